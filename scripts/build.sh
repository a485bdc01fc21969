#!/usr/bin/env bash
# build.sh BUILD_DIR [cmake args...] [--target T...]: configures (CUDA on
# when nvcc is found, also at /usr/local/cuda) and builds with ninja (only
# the targets after --target, when given).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$1; shift
if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH=/usr/local/cuda/bin:$PATH
fi
args=() targets=()
while [ $# -gt 0 ]; do
  if [ "$1" = --target ]; then shift; targets+=("$@"); break; fi
  args+=("$1"); shift
done
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-Release} "${args[@]}" >/dev/null
cmake --build "$dir" -j"$(nproc)" ${targets[@]:+--target "${targets[@]}"}
