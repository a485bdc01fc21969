#!/usr/bin/env python3
"""Writes the fuzzers' seed records (fuzz/corpus/<target>/seed-*): small valid
records of every format, built field by field from the standards' layouts
with a fixed random seed, so that the corpus is reproducible and contains
nothing but the project's own bytes."""
import os
import random
import struct
import sys

rng = random.Random(20261127)
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")


def minutiae(n, w, h, ansi=False, quality=True):
    b = b""
    for _ in range(n):
        t = rng.choice([0, 1, 2])
        b += struct.pack(">HH", (t << 14) | rng.randrange(w), rng.randrange(h))
        b += bytes([rng.randrange(180 if ansi else 256)])
        if quality:
            b += bytes([rng.randrange(101)])
    return b


def ext_area(with_blocks):
    if not with_blocks:
        return struct.pack(">H", 0)
    blocks = struct.pack(">HH", 1, 7) + b"\x01\x02\x03" + struct.pack(">HH", 2, 6) + b"\x41\x00"
    return struct.pack(">H", len(blocks)) + blocks


def iso2005(nviews, n, ext=False, w=400, h=500):
    views = b""
    for v in range(nviews):
        views += bytes([rng.randrange(11), 0, rng.randrange(101), n]) + minutiae(n, w, h) + ext_area(ext)
    body = struct.pack(">HHHHHBB", 0, w, h, 197, 197, nviews, 0) + views
    return b"FMR\0 20\0" + struct.pack(">I", 12 + len(body)) + body


def ansi2004(nviews, n, ext=False, w=512, h=512, long_form=False):
    views = b""
    for v in range(nviews):
        views += bytes([rng.randrange(11), 0, rng.randrange(101), n]) + minutiae(n, w, h, ansi=True) + ext_area(ext)
    rest = struct.pack(">HHHHHHHBB", 0x42, 0x11, 0, w, h, 197, 197, nviews, 0) + views
    if long_form:
        return b"FMR\0 20\0" + struct.pack(">HI", 0, 14 + len(rest)) + rest
    return b"FMR\0 20\0" + struct.pack(">H", 10 + len(rest)) + rest


def iso2011(nreps, n, item=6, cert=False, ext=False, w=400, h=500):
    reps = b""
    for r in range(nreps):
        rep = struct.pack(">HBBBBBH", 2025, 1, 2, 3, 4, 5, 6) + struct.pack(">BHH", 1, 0x42, 7)
        rep += bytes([1]) + struct.pack(">BHH", 60, 0x101, 1)
        if cert:
            rep += bytes([1]) + struct.pack(">HB", 0x101, 1)
        rep += bytes([rng.randrange(11), r]) + struct.pack(">HHBHH", 197, 197, 0, w, h)
        rep += bytes([(item << 4) | 0, n]) + minutiae(n, w, h, quality=(item == 6)) + ext_area(ext)
        reps += struct.pack(">I", 4 + len(rep)) + rep
    return b"FMR\x00" b"030\x00" + struct.pack(">IHB", 15 + len(reps), nreps, 1 if cert else 0) + reps


def ansi2009(nviews, n, ext=False, w=512, h=512):
    views = b""
    for v in range(nviews):
        views += bytes([rng.randrange(11), v, 0, rng.randrange(101)]) + struct.pack(">HHHHHHB", 6, 0x37, w, h, 197, 197, n)
        views += minutiae(n, w, h, ansi=True) + ext_area(ext)
    rest = struct.pack(">HHHBB", 0x42, 0x11, 0xb5, nviews, 0) + views
    return b"FMR\x00" b"030\x00" + struct.pack(">I", 12 + len(rest)) + rest


def xyt(n, cols=4):
    lines = []
    for _ in range(n):
        row = [rng.randrange(400), rng.randrange(1, 500), rng.randrange(360)] + ([rng.randrange(101)] if cols == 4 else [])
        lines.append(" ".join(map(str, row)))
    return ("\n".join(lines) + "\n").encode()


GS, RS, US, FS = b"\x1d", b"\x1e", b"\x1f", b"\x1c"


def an2k_tagged(rtype, fields, image=b""):
    """A tagged record: fields (number, bytes) after T.001 (its length)."""
    body = b"".join(GS + b"%d.%03d:" % (rtype, f) + v for f, v in fields)
    if image:
        body += GS + b"%d.999:" % rtype + image
    body += FS
    n = len(body)
    while True:
        head = b"%d.001:%d" % (rtype, n)
        if len(head) + len(body) == n:
            return head + body
        n = len(head) + len(body)


def an2k(n, image="type4", fingers=1):
    """An ANSI/NIST-ITL transaction: Type-1, an image record, Type-9 records
    with standard-format minutiae (9.012: index, XXXXYYYYTTT, quality, type)."""
    records, cnt = [], []
    if image == "type4":
        data = bytes(rng.randrange(256) for _ in range(32))
        records.append(struct.pack(">IBB6sBHHB", 18 + len(data), 1, 1, bytes([2, 255, 255, 255, 255, 255]), 0,
                                   400, 500, 1) + data)
        cnt.append(b"4" + US + b"01")
    elif image == "type13":
        records.append(an2k_tagged(13, [(2, b"01"), (6, b"800"), (7, b"750"), (8, b"1"), (9, b"1000"), (10, b"1000")],
                                   bytes(rng.randrange(256) for _ in range(24))))
        cnt.append(b"13" + US + b"01")
    for finger in range(fingers):
        mins = []
        for i in range(n):
            xyt = b"%04d%04d%03d" % (rng.randrange(2000), rng.randrange(2500), rng.randrange(360))
            mins.append(b"%03d" % (i + 1) + US + xyt + US + b"%d" % rng.randrange(64) + US + b"ABCD"[rng.randrange(4):][:1]
                        + US + b"%d,%d" % (rng.randrange(1, n + 1), rng.randrange(16)))
        records.append(an2k_tagged(9, [(2, b"01"), (3, b"%d" % rng.randrange(4)), (4, b"S"), (6, b"%02d" % (finger + 1)),
                                       (10, b"%d" % n), (11, b"1"), (12, RS.join(mins))]))
        cnt.append(b"9" + US + b"01")
    t1 = an2k_tagged(1, [(2, b"0300"), (3, b"1" + US + b"%d" % len(cnt) + b"".join(RS + c for c in cnt)), (4, b"CAR"),
                         (5, b"20261128"), (11, b"19.69"), (12, b"19.69")])
    return t1 + b"".join(records)


def shard_meta(shard, shards, entries, subjects, source_entries, source_subjects):
    """A shard metadata file (docs/scale-out.md, "Shard files"); the fuzz
    target rewrites both CRCs, so they are left zero here."""
    b = b"FPMSHARD" + struct.pack("<IIIIII", 1, shard, shards, 0, 0, 0) + bytes(range(16))
    b += struct.pack("<QQQdQQ", source_entries, source_entries - 1, source_subjects, 1.5, entries, subjects)
    b += b"".join(struct.pack("<Q", 2 * i) for i in range(entries))
    b += b"".join(struct.pack("<Q", 3 * i) for i in range(subjects))
    return b + b"\0\0\0\0"


seeds = {
    "iso2005": [iso2005(1, 0), iso2005(1, 5), iso2005(2, 12, ext=True), iso2005(1, 40)],
    "ansi2004": [ansi2004(1, 3), ansi2004(3, 10, ext=True), ansi2004(1, 8, long_form=True)],
    "iso2011": [iso2011(1, 4), iso2011(2, 6, item=5, cert=True, ext=True)],
    "ansi2009": [ansi2009(1, 5), ansi2009(2, 7, ext=True)],
    "xyt": [xyt(5), xyt(12, cols=3), b""],
}
seeds["an2k"] = [an2k(6), an2k(12, image="type13", fingers=2), an2k(3, image=None)]
seeds["shard"] = [shard_meta(0, 1, 0, 0, 1, 1), shard_meta(1, 3, 5, 2, 12, 7), shard_meta(2, 3, 40, 13, 90, 40)]
seeds["detect"] = [seeds[k][1] for k in ("iso2005", "ansi2004", "iso2011", "ansi2009", "xyt", "an2k")]
for target, items in seeds.items():
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    for i, data in enumerate(items):
        with open(os.path.join(d, f"seed-{i}"), "wb") as f:
            f.write(data)
print("seeds written to", out)
