#!/usr/bin/env bash
# build.sh BUILD_DIR [cmake args...]: configures (CUDA on when nvcc is found,
# also at /usr/local/cuda) and builds with ninja.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$1; shift
if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH=/usr/local/cuda/bin:$PATH
fi
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-Release} "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)"
