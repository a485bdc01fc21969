#!/usr/bin/env bash
# run.sh BUILD_DIR WORK_DIR: installs BUILD_DIR into WORK_DIR/prefix, runs
# the installed CLI and examples (no LD_LIBRARY_PATH: they find the library
# through their relative runpath), then builds and runs the consumer project
# with find_package(fpmatch) and a C program with pkg-config.
set -euo pipefail
build=$1 work=$2 here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
cmake -S "$here" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$work/prefix" > "$work/configure.log"
cmake --build "$work/consumer" > "$work/build.log"
# A library built with AddressSanitizer (the sanitizer CI job) needs the ASan
# runtime loaded first in programs that are not instrumented themselves.
lib=$(find "$work/prefix" -name 'libfpmatch.so.*' -type f | head -1)
preload=
if readelf -d "$lib" | grep -q 'libasan'; then preload=$(cc -print-file-name=libasan.so); fi
run() { LD_PRELOAD=$preload "$@"; }
unset LD_LIBRARY_PATH
prefix=$work/prefix
[ -x "$prefix/bin/fpmatch" ] || { echo "FAIL: bin/fpmatch not installed"; exit 1; }
readelf -d "$prefix/bin/fpmatch" | grep -q 'R.*PATH.*\$ORIGIN/\.\./lib' ||
  { echo "FAIL: the installed fpmatch has no relative runpath"; readelf -d "$prefix/bin/fpmatch" | grep PATH; exit 1; }
run "$prefix/bin/fpmatch" version > "$work/version.txt" || { echo "FAIL: installed fpmatch does not start"; exit 1; }
grep -q "^fpmatch [0-9]" "$work/version.txt" || { echo "FAIL: installed fpmatch version"; exit 1; }
run "$prefix/bin/fpmatch" synth --subjects 30 --fingers 1 --probes 1 --seed 8 --out "$work/syn" --quiet > /dev/null
want=$(sed -n 2p "$work/syn/truth.csv" | cut -d, -f2)
for ex in c_search cpp_search; do
  bin=$(find "$prefix" -name "$ex" -type f | head -1)
  [ -n "$bin" ] || { echo "FAIL: example $ex not installed"; exit 1; }
  run "$bin" "$work/syn/gallery.fpg" "$work/syn/probes/probe_000001.ist" > "$work/$ex.txt" ||
    { echo "FAIL: installed $ex does not run"; exit 1; }
  head -1 "$work/$ex.txt" | grep -q " $want " || { echo "FAIL: installed $ex did not find $want"; exit 1; }
done
[ -f "$(find "$prefix" -name c_search.c | head -1)" ] || { echo "FAIL: example sources not installed"; exit 1; }
run "$work/consumer/consumer"
run "$work/consumer/consumer_c"
libdir=$(find "$work/prefix" -name fpmatch.pc -printf '%h\n' | head -1)
export PKG_CONFIG_PATH=$libdir
cc $(pkg-config --cflags fpmatch) "$here/consumer.c" -o "$work/pc_consumer" $(pkg-config --libs fpmatch) \
  -Wl,-rpath,"$(pkg-config --variable=libdir fpmatch)"
run "$work/pc_consumer"
echo "PASS: installed CLI and examples, find_package and pkg-config"
