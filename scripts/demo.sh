#!/usr/bin/env bash
# The main job: install dependencies, build, and run a demo on data the
# project makes itself: a synthetic gallery of 2,000 subjects with two
# fingers each, searched with probes that are new impressions of enrolled
# fingers; the answers are checked against the truth file (every probe must
# find its subject at rank 1, or the demo fails). Then a short throughput
# measurement and a tour of the record formats with the shipped sample
# template. In between, the booking check: three bookings (ANSI/NIST-ITL
# transactions) searched against two galleries, criminal and immigration,
# each answered hit or no hit at FPIR 0.001 and checked. The last line says
# what was shown and whether every check passed.
set -euo pipefail
cd "$(dirname "$0")/.."
step="installing dependencies"
trap 'rc=$?; [ $rc -eq 0 ] || echo "demo: FAILED while $step (exit $rc)"' EXIT
scripts/install-deps.sh
step="building the fpmatch CLI"
scripts/build.sh build --target fpmatch_cli booking_check make_transaction
fpm=build/examples/fpmatch
out=build/demo
rm -rf "$out" && mkdir -p "$out"
step="making the synthetic gallery"
set -x
$fpm version
$fpm synth --subjects 2000 --fingers 2 --probes 20 --seed 2026 --out "$out/synthetic"
$fpm gallery info "$out/synthetic/gallery.fpg"
{ set +x; step="searching"; } 2>/dev/null
set -x
$fpm search --gallery "$out/synthetic/gallery.fpg" --top 3 \
  "$out"/synthetic/probes/probe_00000{1,2,3}.ist
$fpm search --gallery "$out/synthetic/gallery.fpg" --top 1 --json "$out"/synthetic/probes/*.ist > "$out/results.json"
{ set +x; step="checking the answers against the truth file"; } 2>/dev/null
python3 scripts/check_rank1.py "$out/results.json" "$out/synthetic/truth.csv" | tee "$out/rank1.txt"
step="the booking check"
set -x
bash examples/booking/make_demo.sh "$fpm" build/examples/make_transaction "$out/booking"
build/examples/booking_check --gallery criminal="$out/booking/criminal.fpg" --gallery immigration="$out/booking/immigration.fpg" \
  "$out"/booking/tx/*.an2k
build/examples/booking_check --json --gallery criminal="$out/booking/criminal.fpg" \
  --gallery immigration="$out/booking/immigration.fpg" "$out"/booking/tx/*.an2k > "$out/booking.json"
{ set +x; } 2>/dev/null
python3 scripts/check_booking.py "$out/booking.json" "$out/booking/expected.txt" | tee "$out/booking.txt"
step="measuring throughput"
set -x
$fpm bench --gallery "$out/synthetic/gallery.fpg" --batch 16 --seconds 2 --json > "$out/bench.json"
{ set +x; } 2>/dev/null
rate=$(python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print(f\"{j['comparisons_per_second']:,.0f} comparisons/s on the {j['backend']} backend ({j['threads']} threads)\")" "$out/bench.json")
echo "throughput: $rate"
step="converting the sample template"
set -x
$fpm convert examples/data/sample.xyt "$out/sample.ist" --to iso2005 --image-size 300x400
$fpm info "$out/sample.ist"
{ set +x; } 2>/dev/null
echo "demo: PASSED: built fpmatch; enrolled 4,000 synthetic templates (2,000 subjects, 2 fingers);" \
     "$(head -1 "$out/rank1.txt"); $(tail -1 "$out/booking.txt"); $rate;" \
     "sample .xyt converted to ISO 19794-2:2005"
