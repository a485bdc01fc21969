#!/usr/bin/env python3
"""Writes a small labelled set of made-up .xyt templates, FINGER_IMPRESSION.xyt:
FINGERS master fingers, IMPRESSIONS impressions each (rotation, shift, position
noise, dropped and spurious minutiae). Deterministic for a given seed."""
import math
import os
import random
import sys

out, fingers, impressions = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(1234)
os.makedirs(out, exist_ok=True)
for f in range(fingers):
    pts = []
    while len(pts) < 40:
        x, y = rng.uniform(40, 260), rng.uniform(40, 360)
        if all(math.hypot(x - a, y - b) > 16 for a, b, _ in pts):
            pts.append((x, y, rng.uniform(0, 360)))
    for i in range(impressions):
        a = math.radians(rng.uniform(-15, 15))
        dx, dy = rng.uniform(-20, 20), rng.uniform(-20, 20)
        lines = []
        for x, y, t in pts:
            if rng.random() < 0.1:
                continue
            cx, cy = x - 150, y - 200
            nx = 150 + math.cos(a) * cx + math.sin(a) * cy + dx + rng.gauss(0, 2)
            ny = 200 - math.sin(a) * cx + math.cos(a) * cy + dy + rng.gauss(0, 2)
            nt = (t + math.degrees(a) + rng.gauss(0, 5)) % 360
            lines.append((nx, ny, nt))
        for _ in range(3):
            lines.append((rng.uniform(40, 260), rng.uniform(40, 360), rng.uniform(0, 360)))
        with open(os.path.join(out, f"f{f + 1}_{i + 1}.xyt"), "w") as fh:
            for x, y, t in lines:
                fh.write(f"{max(0, round(x))} {max(1, round(400 - y))} {round(t) % 360} 60\n")
