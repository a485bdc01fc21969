#!/usr/bin/env bash
# examples_test.sh FPMATCH C_SEARCH CPP_SEARCH WORK_DIR
set -euo pipefail
fpm=$1 c=$2 cpp=$3 work=$4
rm -rf "$work" && mkdir -p "$work" && cd "$work"
"$fpm" synth --subjects 50 --fingers 1 --probes 3 --seed 11 --out syn > /dev/null
for p in 1 2 3; do
  probe=$(printf 'probe_%06d.ist' $p)
  want=$(grep "^$probe," syn/truth.csv | cut -d, -f2)
  "$c" syn/gallery.fpg "syn/probes/$probe" > c.txt
  "$cpp" syn/gallery.fpg "syn/probes/$probe" > cpp.txt
  head -1 c.txt | grep -q " $want " || { echo "FAIL: c_search did not find $want first"; cat c.txt; exit 1; }
  cmp -s c.txt cpp.txt || { echo "FAIL: the C and C++ examples disagree"; diff c.txt cpp.txt; exit 1; }
  # A rate below what the calibration shows is an upper bound, never 0.
  if grep -q "fmr 0.00e+00" c.txt; then echo "FAIL: an FMR printed as zero"; cat c.txt; exit 1; fi
  grep -q "fmr [<0-9]" c.txt || { echo "FAIL: no FMR printed"; cat c.txt; exit 1; }
done
grep -q "fmr < [0-9]" c.txt || { echo "FAIL: a genuine match above every impostor is not shown as a bound"; cat c.txt; exit 1; }
"$c" 2>/dev/null && exit 1
"$c" missing.fpg syn/probes/probe_000001.ist 2> err.txt && exit 1
grep -q "missing.fpg" err.txt || { echo "FAIL: c_search does not explain its error"; exit 1; }
echo "PASS: examples"
