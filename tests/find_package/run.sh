#!/usr/bin/env bash
# run.sh BUILD_DIR WORK_DIR: installs BUILD_DIR into WORK_DIR/prefix, then
# builds and runs the consumer project with find_package(fpmatch) and a C
# program with pkg-config.
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
run "$work/consumer/consumer"
run "$work/consumer/consumer_c"
libdir=$(find "$work/prefix" -name fpmatch.pc -printf '%h\n' | head -1)
export PKG_CONFIG_PATH=$libdir
cc $(pkg-config --cflags fpmatch) "$here/consumer.c" -o "$work/pc_consumer" $(pkg-config --libs fpmatch) \
  -Wl,-rpath,"$(pkg-config --variable=libdir fpmatch)"
run "$work/pc_consumer"
echo "PASS: find_package and pkg-config"
