#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS (default 600) each, LANES at a time
# (default 2), starting from fuzz/corpus/<target>, then merges what each found
# into a minimal new corpus under fuzz/work/<target>-min. Logs in fuzz/work/.
#   scripts/run-fuzzers.sh [SECONDS] [LANES]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
lanes=${2:-2}
if [ ! -x build-fuzz/fuzz/fuzz_iso2005 ] || [ ! -x build-fuzz/fuzz/fuzz_capi ]; then
  CC=clang CXX=clang++ cmake -B build-fuzz -G Ninja -DFPM_BUILD_FUZZERS=ON -DFPM_ENABLE_CUDA=OFF \
    -DFPM_BUILD_TESTS=OFF -DFPM_BUILD_BENCH=OFF -DFPM_BUILD_EXAMPLES=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo .
  cmake --build build-fuzz
fi
mkdir -p fuzz/work fuzz/artifacts
# Undefined behaviour is a finding: stop on the first report (UBSan would
# otherwise log it and go on).
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
run_one() {
  local t=$1
  mkdir -p "fuzz/work/$t"
  cp -n fuzz/corpus/"$t"/* "fuzz/work/$t/" 2>/dev/null || true
  local start=$(date +%s)
  local max_len=4096
  [ "$t" = gallery ] && max_len=262144  # sections are 4096-byte aligned: small galleries are ~100 KB
  if build-fuzz/fuzz/fuzz_"$t" -max_total_time="$secs" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="fuzz/artifacts/$t-" "fuzz/work/$t" >"fuzz/work/$t.log" 2>&1; then
    echo "$t: $(( $(date +%s) - start )) s, no finding, $(grep -c . <(ls "fuzz/work/$t")) corpus files"
  else
    echo "$t: FINDING after $(( $(date +%s) - start )) s, see fuzz/work/$t.log and fuzz/artifacts/"
  fi
  mkdir -p "fuzz/work/$t-min"
  build-fuzz/fuzz/fuzz_"$t" -merge=1 "fuzz/work/$t-min" "fuzz/work/$t" >"fuzz/work/$t-merge.log" 2>&1 || true
}
export -f run_one
export secs
printf '%s\n' iso2005 iso2011 ansi2004 ansi2009 xyt an2k detect gallery capi | xargs -P "$lanes" -I{} bash -c 'run_one {}'
