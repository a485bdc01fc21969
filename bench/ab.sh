#!/usr/bin/env bash
# ab.sh A_BENCH B_BENCH FILTER [ROUNDS] [MIN_TIME]: an interleaved A/B of two
# fpm_bench binaries (two builds of two commits) on one benchmark that
# reports items_per_second: A, B, A, B, ... ROUNDS times (default 10), each a
# process of its own with --benchmark_min_time=MIN_TIME (default 0.7). Prints
# both series, their medians and the median of the per-round ratios B / A:
# on a shared machine whose speed drifts, a ratio taken in the same minute
# says more than two runs taken apart. Extra environment (FPM_DATA_DIR,
# FPM_BENCH_GALLERIES, FPM_BENCH_SIMD) passes through; AB_COUNTER names
# another rate to compare (e.g. comparisons_per_s of the search benchmarks).
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 A_BENCH B_BENCH FILTER [ROUNDS] [MIN_TIME]" >&2; exit 2; }
a=$1 b=$2 filter=$3 rounds=${4:-10} min_time=${5:-0.7} counter=${AB_COUNTER:-items_per_second}
rate() {
  "$1" --benchmark_filter="$filter" --benchmark_min_time="$min_time" 2>/dev/null |
    sed -nE "s/.*${counter}=([0-9.]+)([kMG]?)\\/s.*/\\1 \\2/p" | head -1 |
    awk '{m = $2 == "k" ? 1e3 : $2 == "M" ? 1e6 : $2 == "G" ? 1e9 : 1; printf "%.0f\n", $1 * m}'
}
for _ in $(seq "$rounds"); do
  ra=$(rate "$a"); rb=$(rate "$b")
  [ -n "$ra" ] && [ -n "$rb" ] || { echo "ab.sh: no $counter from '$filter'" >&2; exit 1; }
  echo "$ra $rb"
done | python3 -c '
import statistics, sys
rows = [tuple(map(float, l.split())) for l in sys.stdin if l.strip()]
a = [r[0] for r in rows]; b = [r[1] for r in rows]
print("A", " ".join("%.0f" % x for x in a))
print("B", " ".join("%.0f" % x for x in b))
print("median A %.0f, median B %.0f, median B/A %.3f (%d rounds)" %
      (statistics.median(a), statistics.median(b), statistics.median([y / x for x, y in rows]), len(rows)))
'
