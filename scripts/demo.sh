#!/usr/bin/env bash
# The main job: install dependencies, build, and run a demo on data the
# project ships (examples/data/sample.xyt, a made-up template): convert it
# between the standard formats and print what each record holds.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build -DFPM_BUILD_TESTS=OFF -DFPM_BUILD_BENCH=OFF
fpm=build/examples/fpmatch
out=build/demo
mkdir -p "$out"
set -x
$fpm version
$fpm convert examples/data/sample.xyt "$out/sample.ist" --to iso2005 --image-size 300x400
$fpm convert "$out/sample.ist" "$out/sample.ansi" --to ansi2004
$fpm convert "$out/sample.ansi" "$out/sample-m1.xyt" --to xyt --out-xyt m1
$fpm info "$out/sample.ist" "$out/sample.ansi"
$fpm info --xyt m1 "$out/sample-m1.xyt"
