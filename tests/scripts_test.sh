#!/usr/bin/env bash
# scripts_test.sh CASE SOURCE_DIR WORK_DIR: the README's two commands and
# the scripts behind them.
set -uo pipefail
case_name=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
fail() { echo "FAIL: $*" >&2; exit 1; }

case $case_name in
build_options)
  # What one script leaves in a build folder's cache (demo.sh used to leave
  # FPM_BUILD_TESTS=OFF) must not change what the next one builds.
  bash "$src/scripts/build.sh" "$work/b" -DFPM_BUILD_TESTS=OFF -DFPM_BUILD_BENCH=OFF -DFPM_WERROR=OFF \
    --configure-only || fail "configure failed"
  grep -q "^FPM_BUILD_TESTS:BOOL=OFF" b/CMakeCache.txt || fail "the caller's options do not win"
  bash "$src/scripts/build.sh" "$work/b" --configure-only || fail "configure failed"
  for opt in FPM_BUILD_TESTS FPM_BUILD_BENCH FPM_BUILD_EXAMPLES FPM_WERROR; do
    grep -q "^$opt:BOOL=ON" b/CMakeCache.txt || fail "$opt stayed as an earlier call left it"
  done
  # Every ctest stage of the test command refuses to pass with zero tests.
  n=$(grep -c "ctest " "$src/scripts/test.sh")
  m=$(grep "ctest " "$src/scripts/test.sh" | grep -c -- "--no-tests=error")
  [ "$n" -ge 3 ] && [ "$n" = "$m" ] || fail "$((n - m)) of $n ctest stages in test.sh lack --no-tests=error"
  if command -v mpicxx > /dev/null; then
    grep -q "^FPM_ENABLE_MPI:BOOL=ON" b/CMakeCache.txt || fail "MPI is installed but the build leaves it out"
  fi
  grep -q "FPM_BUILD_TESTS=OFF" "$src/scripts/demo.sh" && fail "demo.sh turns the tests off in the shared build folder"
  ;;
apt_lock)
  # install-deps.sh waits (bounded) while another package operation holds
  # the dpkg lock, and says so; apt-get and dpkg-query are stand-ins here.
  mkdir -p bin
  cat > bin/dpkg-query <<'SH'
#!/bin/sh
[ "$3" = catch2 ] && exit 1
echo "install ok installed"
SH
  cat > bin/apt-get <<'SH'
#!/bin/sh
n=$(cat "$STUB_DIR/calls" 2>/dev/null || echo 0); n=$((n + 1)); echo $n > "$STUB_DIR/calls"
echo "apt-get $*" >> "$STUB_DIR/log"
if [ "$n" -le "${STUB_LOCKED_CALLS:-0}" ]; then
  echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)" >&2
  exit 100
fi
exit 0
SH
  printf '#!/bin/sh\nexec "$@"\n' > bin/sudo
  chmod +x bin/*
  export STUB_DIR=$work PATH=$work/bin:$PATH FPM_APT_RETRY_S=0
  STUB_LOCKED_CALLS=2 bash "$src/scripts/install-deps.sh" > out.txt 2>&1 || { cat out.txt; fail "install-deps did not wait for the lock"; }
  [ "$(grep -c "holds the apt/dpkg lock; waiting" out.txt)" = 2 ] || { cat out.txt; fail "waiting is not said"; }
  grep -q "install .*catch2" log || fail "the missing package was not installed: $(cat log)"
  grep -q "DPkg::Lock::Timeout" log || fail "apt-get is not asked to wait for the dpkg lock"
  rm -f calls log
  FPM_APT_LOCK_WAIT_S=0 STUB_LOCKED_CALLS=99 bash "$src/scripts/install-deps.sh" > out.txt 2>&1 &&
    fail "install-deps succeeded although the lock was never free"
  grep -q "still held after 0 s; giving up" out.txt || { cat out.txt; fail "no bound on the wait"; }
  ;;
demo_check)
  # The demo fails when a probe does not find its subject at rank 1.
  cat > truth.csv <<'CSV'
probe,subject,position
probe_000001.ist,s1,1
probe_000002.ist,s2,1
CSV
  cat > results.json <<'JSON'
{"probes": [{"probe": "p/probe_000001.ist", "candidates": [{"subject": "s1"}]},
            {"probe": "p/probe_000002.ist", "candidates": [{"subject": "s2"}]}]}
JSON
  python3 "$src/scripts/check_rank1.py" results.json truth.csv > out.txt || fail "a correct result fails: $(cat out.txt)"
  grep -q "rank-1: 2 of 2" out.txt || fail "no rank-1 line: $(cat out.txt)"
  sed -i 's/probe_000002.ist,s2/probe_000002.ist,s9/' truth.csv
  python3 "$src/scripts/check_rank1.py" results.json truth.csv > out.txt && fail "a rank-1 miss passes"
  grep -q "missed: probe_000002.ist (rank 1: s2, enrolled: s9)" out.txt || fail "the miss is not named: $(cat out.txt)"
  grep -q 'echo "demo: PASSED' "$src/scripts/demo.sh" && grep -q 'demo: FAILED' "$src/scripts/demo.sh" ||
    fail "the demo ends without a verdict line"
  ;;
bench_ab)
  # bench/ab.sh alternates two benchmark binaries and reports the medians and
  # the median ratio; stand-ins print fixed rates (A 100k, B 150k /s).
  for x in a:100 b:150; do
    cat > "bench_${x%%:*}" <<SH
#!/bin/sh
echo "BM_Match/3   7.9 us   7.9 us   1000 items_per_second=${x##*:}k/s avx512"
SH
    chmod +x "bench_${x%%:*}"
  done
  out=$(bash "$src/bench/ab.sh" ./bench_a ./bench_b 'BM_Match/3' 3) || fail "ab.sh failed"
  echo "$out" | grep -q "median A 100000, median B 150000, median B/A 1.500 (3 rounds)" || fail "ab.sh said: $out"
  # AB_COUNTER picks another rate of the same lines (the search benchmarks').
  printf '#!/bin/sh\necho "BM_Search/g 0.9 s 0.9 s 1 comparisons_per_s=%s.5k/s per_thread=1k/s"\n' 80 > bench_c
  printf '#!/bin/sh\necho "BM_Search/g 0.9 s 0.9 s 1 comparisons_per_s=%s.5k/s per_thread=1k/s"\n' 120 > bench_d
  chmod +x bench_c bench_d
  out=$(AB_COUNTER=comparisons_per_s bash "$src/bench/ab.sh" ./bench_c ./bench_d 'BM_Search' 2) || fail "ab.sh with AB_COUNTER failed"
  echo "$out" | grep -q "median A 80500, median B 120500, median B/A 1.497 (2 rounds)" || fail "ab.sh with AB_COUNTER said: $out"
  printf '#!/bin/sh\necho nothing\n' > bench_none && chmod +x bench_none
  bash "$src/bench/ab.sh" ./bench_a ./bench_none 'BM_Match/3' 1 >/dev/null 2>&1 && fail "ab.sh passed without rates"
  ;;
*) fail "unknown case $case_name" ;;
esac
echo "PASS: $case_name"
