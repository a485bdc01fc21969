#!/usr/bin/env bash
# Installs dependencies, builds and runs every test twice: first a build with
# AddressSanitizer + UndefinedBehaviorSanitizer (CPU only), then the normal
# build (with the CUDA backend compiled when nvcc is present), whose ctest
# summary ends the output. GPU-only tests report "Skipped" without a device.
# In between, a ThreadSanitizer build runs the CUDA score kernels on CPU
# threads (tests "kernel emulation ...": a data race in their shared-memory
# protocol fails it) and the CUDA backend's host code on simulated devices
# (tests "simulated devices: ..." and "simulated faults: ...": several
# devices searched from one thread each, concurrent searches, a device
# failing while other searches run) and engine writers (add/remove while
# others search: a bounded wait, a serial replay's answers). Every stage fails when it finds no
# test (--no-tests=error), and scripts/build.sh sets every build option on
# each call, so nothing another script left in a build folder changes this.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
echo "== sanitizer build (ASan + UBSan)"
# Warnings stay warnings in the sanitizer builds: GCC 12's instrumentation
# raises false -Wmaybe-uninitialized reports inside libstdc++ (std::regex in
# Catch2). The release build below compiles everything with -Werror.
# MPI is left to the release build: Open MPI's own allocations at exit read
# as leaks to LeakSanitizer. The shard files and the merge are library code
# and are tested here.
BUILD_TYPE=RelWithDebInfo scripts/build.sh build-asan -DFPM_SANITIZE=ON -DFPM_ENABLE_CUDA=OFF -DFPM_BUILD_BENCH=OFF \
  -DFPM_WERROR=OFF -DFPM_ENABLE_MPI=OFF
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest --no-tests=error --output-on-failure -j"$(nproc)")
echo "== thread-sanitizer build (CUDA kernels on CPU threads, simulated devices)"
BUILD_TYPE=RelWithDebInfo scripts/build.sh build-tsan -DFPM_SANITIZE_THREAD=ON -DFPM_ENABLE_CUDA=OFF \
  -DFPM_BUILD_BENCH=OFF -DFPM_BUILD_EXAMPLES=OFF -DFPM_WERROR=OFF -DFPM_ENABLE_MPI=OFF --target fpm_tests fpm_simulated_cuda_tests
(cd build-tsan && TSAN_OPTIONS=halt_on_error=1 \
   ctest --no-tests=error --output-on-failure -R "^(kernel emulation|simulated devices|simulated faults|engine writers)" -j"$(nproc)")
echo "== release build"
scripts/build.sh build
# The Python package, built into a fresh virtual environment and tested
# against the release build's program, before the final test stage (its summary ends this).
echo "== python package (build-python/venv; pytest against build/examples/fpmatch)"
scripts/test-python.sh build/examples/fpmatch
cd build && ctest --no-tests=error --output-on-failure -j"$(nproc)"
