#!/usr/bin/env bash
# The main job: install dependencies, build, and run a demo on data the
# project makes itself: a synthetic gallery of 2,000 subjects with two
# fingers each, searched with probes that are new impressions of enrolled
# fingers; the answers are checked against the truth file. Then a short tour
# of the record formats with the shipped sample template.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build -DFPM_BUILD_TESTS=OFF -DFPM_BUILD_BENCH=OFF
fpm=build/examples/fpmatch
out=build/demo
rm -rf "$out" && mkdir -p "$out"
set -x
$fpm version
$fpm synth --subjects 2000 --fingers 2 --probes 20 --seed 2026 --out "$out/synthetic"
$fpm gallery info "$out/synthetic/gallery.fpg"
$fpm search --gallery "$out/synthetic/gallery.fpg" --top 3 \
  "$out"/synthetic/probes/probe_00000{1,2,3}.ist
$fpm search --gallery "$out/synthetic/gallery.fpg" --top 1 --json "$out"/synthetic/probes/*.ist > "$out/results.json"
set +x
python3 - "$out" <<'PY'
import csv, json, sys
out = sys.argv[1]
truth = {r["probe"]: (r["subject"], r["position"]) for r in csv.DictReader(open(f"{out}/synthetic/truth.csv"))}
res = json.load(open(f"{out}/results.json"))
hits = sum(1 for p in res if p["candidates"] and p["candidates"][0]["subject"] == truth[p["probe"].split("/")[-1]][0])
print(f"rank-1: {hits} of {len(res)} probes found their enrolled subject among 4000 templates")
PY
set -x
$fpm bench --gallery "$out/synthetic/gallery.fpg" --batch 16 --seconds 2
$fpm convert examples/data/sample.xyt "$out/sample.ist" --to iso2005 --image-size 300x400
$fpm info "$out/sample.ist"
