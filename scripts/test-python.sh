#!/usr/bin/env bash
# test-python.sh [CLI]: builds the Python package into a fresh virtual
# environment, build-python/venv (pip install ./python: scikit-build-core and
# nanobind from PyPI compile the library once more, CPU backend, without its
# tests, benchmarks and programs), and runs its pytest suite. CLI is the
# fpmatch program the suite compares its answers with (default: that of the
# release build, build/examples/fpmatch). Afterwards
# `build-python/venv/bin/python -c "import fpmatch"` works.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cli=${1:-$root/build/examples/fpmatch}
# A relative CLI path is taken from the repository root (the suite runs elsewhere).
case $cli in /*) ;; *) cli=$root/$cli ;; esac
venv=$root/build-python/venv
rm -rf "$venv"
python3 -m venv "$venv"
# The CMake build folder is kept between runs (build-python/cmake): a rerun
# recompiles only what changed.
"$venv/bin/python" -m pip install -q "./python[test]" --config-settings=build-dir="$root/build-python/cmake"
# From outside the source tree, so that the installed package is imported.
cd "$root/build-python"
FPM_CLI=$cli "$venv/bin/python" -m pytest -q -p no:cacheprovider "$root/python/tests"
