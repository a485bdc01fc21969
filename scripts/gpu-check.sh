#!/usr/bin/env bash
# GPU checks, for a machine with an NVIDIA GPU (sm_90 by default):
#   scripts/gpu-check.sh build    configure and build for the GPU
#   scripts/gpu-check.sh test     CUDA parity tests + compute-sanitizer memcheck/racecheck
#   scripts/gpu-check.sh bench    synthetic 200,000-template gallery (and 5 times over in
#                                 memory: 1M); CUDA and CPU 1:N throughput, 1M upload
#                                 time, device memory per template
#   scripts/gpu-check.sh capacity after bench: fill device 0 with copies of the gallery
#   scripts/gpu-check.sh ab       after bench: batch 64 with the maxima score kernel and
#                                 again with the compacted one, the default (same-machine ratio)
#   scripts/gpu-check.sh twostage after bench: two-stage searches (shortlists of 2% and 1%)
#                                 at batch 64, effective comparisons/s, and memcheck on
#                                 the device two-stage test
#   scripts/gpu-check.sh all      build, test, bench, ab, twostage
#   scripts/gpu-check.sh quick    what fits in a few minutes: CLI and tests only, the
#                                 CUDA tests, the benchmark (200,000 and 1M templates, an
#                                 A/B against the maxima kernel), memcheck, racecheck
#   scripts/gpu-check.sh multi    after bench, on a machine with several GPUs: the split
#                                 parity test on every device, batch 64 on device 0 and
#                                 on all devices (scaling); says so and stops with one GPU
#   scripts/gpu-check.sh profile  Nsight Compute sections of one score-kernel launch
#   scripts/gpu-check.sh sanitize memcheck on one CUDA test, racecheck on another (after build)
# Several steps may be given: scripts/gpu-check.sh build profile sanitize
# Logs and a summary table go to $OUT (default build-gpu/out).
# GPU_CHECK_BACKEND=cpu runs the benchmark steps on the CPU backend instead:
# a dry run of this script's own steps on a machine without a GPU (small
# BENCH_SUBJECTS and BENCH_SECONDS then). Dependencies
# that the machine lacks can come as Debian packages unpacked by
# .deps/unpack.sh (see the project notes); shared test data from
# $FPM_DATA_DIR (default .gpu-data when present).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-build-gpu/out}
mkdir -p "$OUT"
[ -f .deps/unpack.sh ] && source .deps/unpack.sh > /dev/null
[ -d .gpu-data ] && export FPM_DATA_DIR=${FPM_DATA_DIR:-$PWD/.gpu-data}
command -v nvcc > /dev/null || export PATH=/usr/local/cuda/bin:$PATH
arch=${CUDA_ARCH:-90}
BACKEND=${GPU_CHECK_BACKEND:-cuda}
summary="$OUT/summary.txt"
note() { echo "$*" | tee -a "$summary"; }

do_build() {
  nvidia-smi -L > "$OUT/gpu.txt" 2>&1
  note "gpu: $(head -1 "$OUT/gpu.txt")"
  local t0=$SECONDS
  # -lineinfo: source lines in the profile's SourceCounters (no change to the code generated).
  cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES="$arch" -DCMAKE_CUDA_FLAGS=-lineinfo \
    -DFPM_ENABLE_CUDA=ON -DFPM_BUILD_BENCH=OFF > "$OUT/configure.log" 2>&1 || { tail -30 "$OUT/configure.log"; return 1; }
  cmake --build build-gpu -j"$(nproc)" ${BUILD_TARGETS:+--target $BUILD_TARGETS} > "$OUT/build.log" 2>&1 || { grep -E "error" -A3 "$OUT/build.log" | head -40; return 1; }
  note "build: ok ($((SECONDS - t0)) s)"
  build-gpu/examples/fpmatch version --self-test | tee -a "$summary"
}

do_test() {
  local t0=$SECONDS
  (cd build-gpu && ctest -j4 --output-on-failure) > "$OUT/ctest.log" 2>&1
  note "ctest (all tests, CUDA ones included): $(grep -E 'tests passed' "$OUT/ctest.log") ($((SECONDS - t0)) s)"
  grep -E "Failed|\*\*\*" "$OUT/ctest.log" | head -20 | tee -a "$summary"
  grep -h "CUDA parity seed" "$OUT/ctest.log" build-gpu/Testing/Temporary/LastTest.log 2>/dev/null | sort -u | head -5 | tee -a "$summary"
  t0=$SECONDS
  compute-sanitizer --tool memcheck --leak-check full --error-exitcode 9 \
    build-gpu/tests/fpm_tests "cuda: per-template search equals the CPU on random galleries" \
    "cuda: per-subject search equals the CPU" "cuda: large batches*" \
    > "$OUT/memcheck.log" 2>&1
  note "memcheck: exit $? ($(grep -E 'ERROR SUMMARY' "$OUT/memcheck.log" | tail -1)) ($((SECONDS - t0)) s)"
  t0=$SECONDS
  compute-sanitizer --tool racecheck --error-exitcode 9 \
    build-gpu/tests/fpm_tests "cuda: per-subject search equals the CPU" > "$OUT/racecheck.log" 2>&1
  note "racecheck: exit $? ($(grep -E 'RACECHECK SUMMARY|ERROR SUMMARY' "$OUT/racecheck.log" | tail -1)) ($((SECONDS - t0)) s)"
}

do_quick() {
  BUILD_TARGETS="fpmatch_cli fpm_tests" do_build || return 1
  local t0=$SECONDS
  build-gpu/tests/fpm_tests "[cuda]" -s 2>&1 | grep -E "CUDA parity seed|passed|failed|FAILED|SKIP|with expansion" > "$OUT/cuda_tests.log"
  note "cuda tests: $(grep -E 'passed|failed' "$OUT/cuda_tests.log" | tail -1) ($((SECONDS - t0)) s)"
  grep -E "CUDA parity seed|FAILED" "$OUT/cuda_tests.log" | head -8 | tee -a "$summary"
  BENCH_SUBJECTS=${BENCH_SUBJECTS:-20000} BENCH_SECONDS=${BENCH_SECONDS:-5} do_bench
  BENCH_SECONDS=${BENCH_SECONDS:-5} do_ab
  BENCH_SECONDS=${BENCH_SECONDS:-5} do_two_stage
  do_sanitize
}

# Two-stage searches on the device: effective comparisons per second
# (templates x probes answered) at shortlists of 2% and 1%, and memcheck on
# the device's two-stage parity test.
do_two_stage() {
  local fpm=build-gpu/examples/fpmatch g=$GALLERY
  eff() { python3 -c "import json;print(f\"{json.load(open('$1'))['effective_comparisons_per_second']/1e6:.1f}\")" 2>&1 | tail -1; }
  for s in 2 1; do
    $fpm bench --gallery $g --backend $BACKEND --batch 64 --seconds "${BENCH_SECONDS:-5}" --shortlist $s% --json \
      > "$OUT/bench_two_stage_$s.json" 2> "$OUT/bench_two_stage_$s.err"
  done
  note "two-stage batch 64, M effective comparisons/s: shortlist 2% $(eff "$OUT/bench_two_stage_2.json"), 1% $(eff "$OUT/bench_two_stage_1.json")"
  local t0=$SECONDS
  timeout "${SANITIZER_SECONDS:-150}" compute-sanitizer --tool memcheck --error-exitcode 9 \
    build-gpu/tests/fpm_tests "cuda: two-stage per-template search equals the CPU*" > "$OUT/memcheck_two_stage.log" 2>&1
  note "memcheck (two-stage): exit $? ($(grep -E 'ERROR SUMMARY' "$OUT/memcheck_two_stage.log" | tail -1)) ($((SECONDS - t0)) s)"
}

# The same comparisons with the maxima score kernel, the first version
# (FPM_CUDA_KERNEL=maxima; "reference", its former name, is accepted too),
# then the compacted one, the default, again: a same-machine ratio.
do_ab() {
  local fpm=build-gpu/examples/fpmatch g=$GALLERY
  rate() { python3 -c "import json;print(f\"{json.load(open('$1'))['comparisons_per_second']/1e6:.2f}\")" 2>&1 | tail -1; }
  FPM_CUDA_KERNEL=maxima $fpm bench --gallery $g --backend $BACKEND --batch 64 --seconds "${BENCH_SECONDS:-5}" --json \
    > "$OUT/bench_ref_64.json" 2> "$OUT/bench_ref_64.err"
  $fpm bench --gallery $g --backend $BACKEND --batch 64 --seconds "${BENCH_SECONDS:-5}" --json \
    > "$OUT/bench_new_64.json" 2> "$OUT/bench_new_64.err"
  note "A/B batch 64, M comparisons/s: compacted kernel $(rate "$OUT/bench_cuda_64.json") then $(rate "$OUT/bench_new_64.json"), maxima kernel $(rate "$OUT/bench_ref_64.json")"
}

do_sanitize() {
  local t0=$SECONDS
  timeout "${SANITIZER_SECONDS:-150}" compute-sanitizer --tool memcheck --leak-check full --error-exitcode 9 \
    build-gpu/tests/fpm_tests "cuda: large batches*" > "$OUT/memcheck.log" 2>&1
  local rc=$?
  note "memcheck (large batches, add and remove): exit $rc ($(grep -E 'ERROR SUMMARY' "$OUT/memcheck.log" | tail -1)) ($((SECONDS - t0)) s)"
  [ $rc = 0 ] || head -c 3000 "$OUT/memcheck.log" | tee -a "$summary"
  t0=$SECONDS
  timeout "${SANITIZER_SECONDS:-150}" compute-sanitizer --tool racecheck --error-exitcode 9 \
    build-gpu/tests/fpm_tests "cuda: every score on the real templates equals the CPU's" > "$OUT/racecheck.log" 2>&1
  rc=$?
  note "racecheck (real templates, per template): exit $rc ($(grep -E 'RACECHECK SUMMARY|ERROR SUMMARY' "$OUT/racecheck.log" | tail -1)) ($((SECONDS - t0)) s)"
  [ $rc = 0 ] || head -c 3000 "$OUT/racecheck.log" | tee -a "$summary"
}

do_profile() {
  local fpm=build-gpu/examples/fpmatch
  [ -s build-gpu/gp/gallery.fpg ] ||
    $fpm synth --subjects 4000 --fingers 1 --probes 0 --seed 7 --out build-gpu/gp --quiet > /dev/null 2>&1
  timeout "${PROFILE_SECONDS:-150}" ncu --kernel-name regex:score_kernel --launch-skip 1 --launch-count 1 \
    --section SpeedOfLight --section LaunchStats --section Occupancy --section ComputeWorkloadAnalysis \
    --section MemoryWorkloadAnalysis --section WarpStateStats --section InstructionStats --section SchedulerStats \
    --section SourceCounters \
    $fpm bench --gallery build-gpu/gp/gallery.fpg --backend cuda --batch 16 --seconds 0.1 > "$OUT/ncu.txt" 2>&1
  note "profile: exit $? (score kernel, 4,000 templates x 16 probes; full report in ncu.txt)"
  grep -E "Duration|Compute \(SM\) Throughput|Memory Throughput|Registers Per|Shared Memory Config|Dynamic Shared|Achieved Occupancy|Theoretical Occupancy|Block Limit|Executed Ipc|Issue Slots Busy|Warp Cycles Per Issued|Stall|No Eligible|L1/TEX Hit|L2 Hit|Pipe|Active Warps" \
    "$OUT/ncu.txt" | head -60 | tee -a "$summary"
  # Where the warps wait: every stall reason, cycles per issued instruction,
  # largest first (a second run, so that a metric name this ncu lacks cannot
  # cost the report above).
  timeout "${PROFILE_SECONDS:-150}" ncu --kernel-name regex:score_kernel --launch-skip 1 --launch-count 1 \
    --metrics 'regex:smsp__average_warps_issue_stalled_.*_per_issue_active\.ratio' \
    $fpm bench --gallery build-gpu/gp/gallery.fpg --backend cuda --batch 16 --seconds 0.1 > "$OUT/ncu_stalls.txt" 2>&1
  note "stall reasons: exit $? (cycles per issued instruction; ncu_stalls.txt)"
  grep -E "issue_stalled" "$OUT/ncu_stalls.txt" | sed -E 's/smsp__average_warps_issue_stalled_//; s/_per_issue_active\.ratio//' |
    sort -k3 -g -r | head -8 | tee -a "$summary"
}

# The benchmark gallery: BENCH_SUBJECTS subjects x 10 fingers (default
# 20,000: 200,000 templates, about 30 s to synthesise on 16 cores).
GALLERY=build-gpu/gbench/gallery.fpg

do_bench() {
  local fpm=build-gpu/examples/fpmatch t0=$SECONDS
  if [ ! -s $GALLERY ]; then
    $fpm synth --subjects "${BENCH_SUBJECTS:-20000}" --fingers 10 --probes 0 --seed 1000 --out build-gpu/gbench --quiet \
      --threads "$(nproc)" > "$OUT/synth.log" 2>&1 || { cat "$OUT/synth.log"; return 1; }
  fi
  note "gallery: $(cat "$OUT/synth.log" 2>/dev/null | head -1) ($((SECONDS - t0)) s)"
  $fpm gallery info --json $GALLERY > "$OUT/gallery.json" 2>&1
  note "gallery load: $(python3 -c "import json;j=json.load(open('$OUT/gallery.json'));print(f\"{j['entries']} templates, {j['load_seconds']:.2f} s, {j['load_gb_per_second']:.2f} GB/s, {j['bytes_per_template']:.0f} B/template\")")"
  for batch in 64 16 1; do
    $fpm bench --gallery $GALLERY --backend $BACKEND --batch $batch --seconds "${BENCH_SECONDS:-15}" --json \
      > "$OUT/bench_cuda_$batch.json" 2> "$OUT/bench_cuda_$batch.err"
    note "$BACKEND batch $batch: $(rate_line "$OUT/bench_cuda_$batch.json")"
  done
  # The bar's configuration: 1M templates (the gallery 5 times over, in
  # memory), batches of 64; its engine setup is the 1M upload.
  $fpm bench --gallery $GALLERY --backend $BACKEND --batch 64 --seconds "${BENCH_SECONDS:-15}" \
    --replicate "${BENCH_REPLICATE:-5}" --json > "$OUT/bench_cuda_1m.json" 2> "$OUT/bench_cuda_1m.err"
  note "$BACKEND batch 64, gallery x${BENCH_REPLICATE:-5}: $(rate_line "$OUT/bench_cuda_1m.json")"
  note "  upload and device memory: $(setup_line "$OUT/bench_cuda_1m.json")"
  $fpm bench --gallery $GALLERY --backend cpu --batch 64 --seconds 10 --json > "$OUT/bench_cpu.json" 2>&1
  note "cpu ($(nproc) threads) batch 64: $(rate_line "$OUT/bench_cpu.json")"
}

rate_line() {
  python3 -c "import json;j=json.load(open('$1'));print(f\"{j['comparisons_per_second']/1e6:.2f} M comparisons/s ({j['comparisons']} in {j['seconds']:.1f} s, {j['templates']} templates)\")" 2>&1 | tail -1
}
setup_line() {
  python3 -c "
import json; j=json.load(open('$1')); t=j['templates']; b=j['device_memory_bytes']
print(f\"engine setup {j['engine_setup_seconds']:.2f} s for {t} templates; {b/1e9:.2f} GB on the device, {b/t:.0f} B/template with scratch\")" 2>&1 | tail -1
}

# Capacity of device 0 by filling it: device bytes per template and the
# fixed scratch from engines on the gallery once and twice over, then an
# engine on the largest whole number of copies that fits, searched once.
# Needs host memory for that gallery (about 9 KB per template).
do_capacity() {
  local fpm=build-gpu/examples/fpmatch k
  for k in 1 2; do
    $fpm bench --gallery $GALLERY --backend $BACKEND --batch 1 --seconds 0.1 --replicate $k --json \
      > "$OUT/cap_$k.json" 2> "$OUT/cap_$k.err" || { cat "$OUT/cap_$k.err"; return 1; }
  done
  python3 - "$OUT" > "$OUT/capacity.txt" <<'PY'
import json, sys
o = sys.argv[1]
a, b = (json.load(open(f"{o}/cap_{k}.json")) for k in (1, 2))
g = json.load(open(f"{o}/gallery.json"))
per = (b["device_memory_bytes"] - a["device_memory_bytes"]) / (b["templates"] - a["templates"])
if per <= 0 or a["device_free_bytes"] <= 0:
    sys.exit("no device memory figures (backend %s)" % a["backend"])
fixed = a["device_memory_bytes"] - per * a["templates"]
room = a["device_free_bytes"] - fixed - (256 << 20)  # the engine keeps 256 MiB free
cyl = g["cylinders"] / g["entries"]
per40 = per + 236 * (40 - cyl)  # 236 bytes per cylinder
print(int(room // per) // a["templates"], int(room // per), f"{per:.0f}", f"{fixed / 1e9:.2f}", f"{cyl:.1f}",
      int(room // per40))
PY
  [ $? = 0 ] || { note "capacity: not measured (no device memory figures)"; return 1; }
  read -r k max_t per fixed cyl max40 < "$OUT/capacity.txt"
  note "capacity (computed): ${max_t} templates of ${cyl} cylinders (${per} B each on the device, ${fixed} GB fixed), ${max40} of 40 cylinders"
  $fpm bench --gallery $GALLERY --backend $BACKEND --batch 1 --seconds 0.1 --replicate "$k" --json \
    > "$OUT/cap_fill.json" 2> "$OUT/cap_fill.err"
  note "capacity (filled): gallery x$k: exit $? $(rate_line "$OUT/cap_fill.json"); $(setup_line "$OUT/cap_fill.json")"
}

# Several GPUs in one engine (the gallery split by subject): parity on every
# device, then the same batch on device 0 alone and on all of them.
do_multi() {
  local fpm=build-gpu/examples/fpmatch n
  n=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU')
  if [ "${n:-0}" -lt 2 ]; then note "multi: $n GPU(s), nothing to split over"; return 0; fi
  local all
  all=$(seq -s, 0 $((n - 1)))
  build-gpu/tests/fpm_tests "cuda: a gallery split over every device*" > "$OUT/multi_tests.log" 2>&1
  note "multi: split parity test on $n GPUs: exit $? ($(grep -E 'passed|failed' "$OUT/multi_tests.log" | tail -1))"
  for devs in 0 "$all"; do
    $fpm bench --gallery $GALLERY --backend cuda --devices "$devs" --batch 64 --seconds "${BENCH_SECONDS:-5}" \
      --replicate "${BENCH_REPLICATE:-5}" --json > "$OUT/bench_multi_${devs//,/_}.json" 2> "$OUT/bench_multi.err"
    note "multi: devices $devs, batch 64, gallery x${BENCH_REPLICATE:-5}: $(rate_line "$OUT/bench_multi_${devs//,/_}.json"); $(setup_line "$OUT/bench_multi_${devs//,/_}.json")"
  done
}

: > "$summary"
for step in "${@:-all}"; do
  case $step in
  build) do_build ;;
  test) do_test ;;
  bench) do_bench ;;
  all) do_build && do_test && do_bench && do_ab && do_two_stage ;;
  twostage) do_two_stage ;;
  ab) do_ab ;;
  capacity) do_capacity ;;
  multi) do_multi ;;
  quick) do_quick ;;
  profile) do_profile ;;
  sanitize) do_sanitize ;;
  *) echo "usage: $0 build|test|bench|ab|capacity|multi|all|quick|profile|sanitize ..."; exit 2 ;;
  esac || break
done
echo "== summary"; cat "$summary"
