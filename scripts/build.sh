#!/usr/bin/env bash
# build.sh BUILD_DIR [cmake args...] [--configure-only | --target T...]:
# configures and builds with ninja (only the targets after --target, when
# given). Every option the project's scripts rely on is set on every call
# (tests, bench and examples on; sanitizers off; warnings as errors; CUDA on
# exactly when nvcc is found, also at /usr/local/cuda; MPI exactly when
# Open MPI's compiler wrapper is found), so that what an
# earlier call left in the build folder's CMake cache never changes what
# this one builds; the caller's cmake args come after and win.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$1; shift
if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH=/usr/local/cuda/bin:$PATH
fi
cuda=OFF
command -v nvcc >/dev/null 2>&1 && cuda=ON
mpi=OFF
command -v mpicxx >/dev/null 2>&1 && mpi=ON
args=(-DFPM_BUILD_TESTS=ON -DFPM_BUILD_BENCH=ON -DFPM_BUILD_EXAMPLES=ON -DFPM_BUILD_FUZZERS=OFF
      -DFPM_SANITIZE=OFF -DFPM_SANITIZE_THREAD=OFF -DFPM_WERROR=ON -DFPM_ENABLE_CUDA=$cuda
      -DFPM_ENABLE_MPI=$mpi)
targets=() configure_only=0
while [ $# -gt 0 ]; do
  case $1 in
    --target) shift; targets+=("$@"); break ;;
    --configure-only) configure_only=1; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-Release} "${args[@]}" >/dev/null
[ "$configure_only" = 1 ] && exit 0
cmake --build "$dir" -j"$(nproc)" ${targets[@]:+--target "${targets[@]}"}
