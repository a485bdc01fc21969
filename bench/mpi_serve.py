#!/usr/bin/env python3
"""The sharded search over MPI on one machine: throughput of np = 1 against
np = 2, the merge's share of the time per batch, and `fpmatch-mpi serve`
latency per request at several batch sizes (docs/scale-out.md, "Measured
on one machine"; figures in bench/RESULTS.md).

    python3 bench/mpi_serve.py --fpmatch build/examples/fpmatch \\
        --fpmatch-mpi build/examples/fpmatch-mpi --work /tmp/mpi-bench

Makes a synthetic gallery (fpmatch synth), splits it into 1 and 2 shards,
and for each round and configuration starts one server, sends warm-up
requests, then `--requests` requests per batch size one after the other
(each sent when the previous answer has arrived), timing each from the
write of the request to the read of its answer. Configurations run
interleaved, round by round; the figures are medians over the rounds.
"""
import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import time


def percentile(xs, q):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def serve_round(args, env, np, threads, shards, probes, batches, extra):
    cmd = ["mpirun", "--oversubscribe", "--bind-to", "none", "-np", str(np), args.fpmatch_mpi, "serve",
           "--shards", shards, "--backend", "cpu", "--threads", str(threads)]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True, env=env)
    out = {}
    rid = 0

    def ask(batch_probes):
        nonlocal rid
        rid += 1
        req = {"id": rid, "probes": batch_probes, "top": 10}
        req.update(extra)
        t0 = time.perf_counter()
        p.stdin.write(json.dumps(req) + "\n")
        p.stdin.flush()
        line = p.stdout.readline()
        dt = time.perf_counter() - t0
        a = json.loads(line)
        if "error" in a or a["id"] != rid:
            sys.exit(f"bad answer: {line[:300]}")
        return dt, a

    for b in batches:
        for i in range(args.warmup):
            ask(probes[:b])
        lat, secs, merge, slowest = [], [], [], []
        for i in range(args.requests):
            start = (i * b) % (len(probes) - b + 1)
            dt, a = ask(probes[start:start + b])
            lat.append(dt)
            secs.append(a["seconds"])
            merge.append(a["merge_seconds"])
            slowest.append(a["slowest_rank_seconds"])
        out[b] = {"latency": lat, "seconds": secs, "merge": merge, "slowest": slowest}
    p.stdin.close()
    p.wait()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fpmatch", required=True)
    ap.add_argument("--fpmatch-mpi", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--subjects", type=int, default=5000)
    ap.add_argument("--fingers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--requests", type=int, default=40)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--batches", default="1,16")
    ap.add_argument("--shortlist", default="", help="e.g. 2%%: two-stage requests")
    ap.add_argument("--per-subject", action="store_true")
    args = ap.parse_args()
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_btl_vader_single_copy_mechanism="none")
    os.makedirs(args.work, exist_ok=True)
    gallery = os.path.join(args.work, "syn", "gallery.fpg")
    if not os.path.exists(gallery):
        subprocess.run([args.fpmatch, "synth", "--subjects", str(args.subjects), "--fingers", str(args.fingers),
                        "--probes", "64", "--seed", "2028", "--out", os.path.join(args.work, "syn")], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for n in (1, 2):
        subprocess.run([args.fpmatch, "gallery", "split", gallery, "--shards", str(n), "--out",
                        os.path.join(args.work, f"shards{n}")], check=True, stdout=subprocess.DEVNULL)
    probes = sorted(glob.glob(os.path.join(args.work, "syn", "probes", "*.ist")))
    batches = [int(b) for b in args.batches.split(",")]
    extra = {}
    if args.shortlist:
        extra["shortlist"] = args.shortlist
    if args.per_subject:
        extra["subjects"] = True
    # np = 1 on both cores (two engine threads), np = 1 on one, np = 2 with one each.
    configs = [("np=1, 2 threads", 1, 2), ("np=1, 1 thread", 1, 1), ("np=2, 1 thread each", 2, 1)]
    runs = {c[0]: [] for c in configs}
    for r in range(args.rounds):
        for name, np, threads in configs:
            runs[name].append(serve_round(args, env, np, threads, os.path.join(args.work, f"shards{np}"), probes,
                                          batches, extra))
    templates = args.subjects * args.fingers
    print(f"gallery: {args.subjects} subjects x {args.fingers} fingers = {templates} templates; "
          f"{'per subject' if args.per_subject else 'per template'}"
          f"{', shortlist ' + args.shortlist if args.shortlist else ', exhaustive'}; "
          f"{args.rounds} rounds x {args.requests} requests per batch size; medians over rounds")
    print("| configuration | batch | probes/s | latency p50 ms | p99 ms | merge ms | merge share | slowest rank ms |")
    print("|---|---|---|---|---|---|---|---|")
    for name, _, _ in configs:
        for b in batches:
            rounds = [x[b] for x in runs[name]]
            med = lambda f: statistics.median(f(x) for x in rounds)
            p50 = med(lambda x: percentile(x["latency"], 0.5))
            p99 = med(lambda x: percentile(x["latency"], 0.99))
            rate = med(lambda x: b * len(x["latency"]) / sum(x["latency"]))
            merge = med(lambda x: statistics.median(x["merge"]))
            share = med(lambda x: sum(x["merge"]) / sum(x["seconds"]))
            slow = med(lambda x: statistics.median(x["slowest"]))
            print(f"| {name} | {b} | {rate:.1f} | {p50 * 1e3:.1f} | {p99 * 1e3:.1f} | {merge * 1e3:.3f} | "
                  f"{share * 100:.3f}% | {slow * 1e3:.1f} |")


if __name__ == "__main__":
    main()
