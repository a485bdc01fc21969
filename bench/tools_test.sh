#!/usr/bin/env bash
# tools_test.sh FPIR_CHECK LOSO DATA_DIR: the measuring tools whose figures
# bench/RESULTS.md quotes run on small inputs, print what the figures are
# read from, and refuse bad arguments with exit code 2 (usage) or 1 (error).
set -uo pipefail
fpir=$1 loso=$2 data=${FPM_DATA_DIR:-$3}
fail=0
check() {  # check NAME EXPECTED_RC PATTERN COMMAND...
  local name=$1 want=$2 pattern=$3; shift 3
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" != "$want" ] || ! grep -q -- "$pattern" <<<"$out"; then
    echo "FAIL $name: exit $rc (want $want), output:"; echo "$out" | tail -15; fail=1
  else
    echo "ok   $name"
  fi
}
check "fpir_check two-stage and exhaustive" 0 "exhaustive search: 40 probes" \
  "$fpir" synthetic 30 30 10 3 --pool 120 --shortlist 0.1 --check-exhaustive --threads 2
check "fpir_check prints both calibrations" 0 "synthetic impostor pool's own tail model" \
  "$fpir" synthetic 30 30 10 3 --pool 120 --threads 1
check "fpir_check refuses a shortlist of 1" 2 "shortlist" "$fpir" synthetic 30 30 10 --shortlist 1
check "fpir_check refuses a small pool" 2 "pool at least 101" "$fpir" synthetic 30 30 10 --pool 100
check "fpir_check refuses an unknown option" 2 "unknown" "$fpir" synthetic 30 30 10 --nope
check "fpir_check usage" 2 "usage" "$fpir"
check "loso needs two sets" 2 "usage" "$loso" "$data/fvc2002_db1b/iso"
check "loso refuses a bad list" 1 "bad list" "$loso" a b --quality 5x
check "loso refuses a missing folder" 1 "cannot open" "$loso" /nonexistent/a /nonexistent/b
if [ -d "$data/fvc2002_db1b/iso" ] && [ -d "$data/secugen_fvc2002_db1b/iso" ]; then
  check "loso on two shared sets" 0 "mean left-out minus in-sample" \
    "$loso" "$data/fvc2002_db1b/iso" "$data/secugen_fvc2002_db1b/iso" --quality 0,55 --dropped 40 --threads 2
else
  echo "SKIP loso on two shared sets: no shared data at $data"
fi
exit $fail
