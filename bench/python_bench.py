#!/usr/bin/env python3
"""The Python package against the C++ engine, in one run (bench/RESULTS.md).

    python bench/python_bench.py --gallery G.fpg [--cli build/examples/fpmatch]
        [--rounds 5] [--batch 8] [--threads 0] [--backend cpu]

1:N rate: rounds alternate (which goes first alternating too) between
`fpmatch bench --gallery G --batch B --seconds 1` (one warm-up batch, then one
measured batch) and the same batch through Python: an fpmatch.Engine over
the same file, the same probes (entries (i * 7919) mod N, as `fpmatch
bench` picks them), warmed up once, one timed Engine.search per round.
Prints the medians of comparisons per second and their ratio.

Per-call overhead of match(): the time of fpmatch.match(a, b) in a Python
loop less the time per comparison of the same pair inside one
match_many(a, [b] * n) call (the same C++ Matcher call, looped in C++), both
medians of interleaved repetitions; and the time of match() on two empty
templates (the call with no comparison at all).
"""
import argparse
import json
import statistics
import subprocess
import time

import fpmatch as fm


def cpp_rate(cli, gallery, batch, threads, backend):
    out = subprocess.run([cli, "bench", "--gallery", gallery, "--batch", str(batch), "--seconds", "1",
                          "--threads", str(threads), "--backend", backend, "--json"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["comparisons_per_second"]


def py_rate(engine, probes):
    c0, t0 = engine.comparisons, time.perf_counter()
    engine.search(probes, top_k=10)
    return (engine.comparisons - c0) / (time.perf_counter() - t0)


def per_call(a, b, n=20000, reps=7):
    loop, inside, empty = [], [], []
    e = fm.Template()
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(n):
            fm.match(a, b)
        loop.append((time.perf_counter() - t0) / n)
        many = [b] * n
        t0 = time.perf_counter()
        fm.match_many(a, many)
        inside.append((time.perf_counter() - t0) / n)
        t0 = time.perf_counter()
        for _ in range(n):
            fm.match(e, e)
        empty.append((time.perf_counter() - t0) / n)
    return statistics.median(loop), statistics.median(inside), statistics.median(empty)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--gallery", required=True)
    p.add_argument("--cli", default="build/examples/fpmatch")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--backend", default="cpu")
    a = p.parse_args()

    g = fm.Gallery.load(a.gallery)
    probes = []
    i = 0
    while len(probes) < a.batch:
        k = (i * 7919) % len(g)
        if not g.entry(k).removed:
            probes.append(g.template(k))
        i += 1
    pair = (probes[0], probes[1])
    del g  # the engine loads its own copy
    engine = fm.Engine.load(a.gallery, backend=a.backend, threads=a.threads)
    print(f"{engine.info()['live_entries']} templates, {engine.backend} backend, {engine.threads} threads, "
          f"batches of {a.batch} probes")
    engine.search(probes, top_k=10)  # warm-up, as fpmatch bench's

    cpp, py = [], []
    for r in range(a.rounds):
        order = ("cpp", "py") if r % 2 == 0 else ("py", "cpp")
        for which in order:
            if which == "cpp":
                cpp.append(cpp_rate(a.cli, a.gallery, a.batch, a.threads, a.backend))
            else:
                py.append(py_rate(engine, probes))
        print(f"round {r + 1}: C++ {cpp[-1]:,.0f}/s  Python {py[-1]:,.0f}/s")
    mc, mp = statistics.median(cpp), statistics.median(py)
    print(f"median comparisons/s: C++ engine (fpmatch bench) {mc:,.0f}, Python Engine.search {mp:,.0f}, "
          f"ratio {mp / mc:.3f}")

    loop, inside, empty = per_call(*pair)
    print(f"match(): {loop * 1e6:.2f} us per Python call, {inside * 1e6:.2f} us per comparison inside "
          f"match_many: overhead {(loop - inside) * 1e6:.2f} us per call; match() of empty templates "
          f"{empty * 1e6:.2f} us")


if __name__ == "__main__":
    main()
