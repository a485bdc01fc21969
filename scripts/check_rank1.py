#!/usr/bin/env python3
"""check_rank1.py RESULTS.json TRUTH.csv: the demo's accuracy check.

RESULTS.json is `fpmatch search --json` output, TRUTH.csv the `fpmatch synth`
truth file (probe,subject,position). Prints how many probes found their
enrolled subject at rank 1 and exits 1 unless every probe did (the demo's
data are made with a fixed seed, so a miss means the matcher changed)."""
import csv
import json
import sys


def main(results_path, truth_path):
    truth = {r["probe"]: r["subject"] for r in csv.DictReader(open(truth_path))}
    probes = json.load(open(results_path))["probes"]
    missed = []
    for p in probes:
        name = p["probe"].split("/")[-1]
        c = p["candidates"]
        if name not in truth:
            missed.append(f"{name} (not in the truth file)")
        elif not c or c[0]["subject"] != truth[name]:
            got = c[0]["subject"] if c else "no candidate"
            missed.append(f"{name} (rank 1: {got}, enrolled: {truth[name]})")
    hits = len(probes) - len(missed)
    print(f"rank-1: {hits} of {len(probes)} probes found their enrolled subject first")
    for m in missed:
        print(f"  missed: {m}")
    ok = len(probes) > 0 and not missed and len(probes) == len(truth)
    if len(probes) != len(truth):
        print(f"  {len(truth)} probes in the truth file, {len(probes)} searched")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
