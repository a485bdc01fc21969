#!/usr/bin/env bash
# cli_test.sh CASE FPMATCH DATA_DIR WORK_DIR: one CLI behaviour per CASE.
set -uo pipefail
case_name=$1 fpm=$2 data=$3 work=$4
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_exit() {  # expect_exit CODE CMD...
  local want=$1; shift
  "$@" >out.txt 2>err.txt
  local got=$?
  [ "$got" = "$want" ] || { cat out.txt err.txt >&2; fail "'$*' exited $got, expected $want"; }
}

case $case_name in
help)
  expect_exit 0 "$fpm" --help
  grep -q "info" out.txt || fail "--help lists no subcommands"
  for sub in info convert version; do
    expect_exit 0 "$fpm" "$sub" --help
  done
  expect_exit 2 "$fpm"
  expect_exit 2 "$fpm" no-such-command
  ;;
info)
  expect_exit 0 "$fpm" convert "$data/sample.xyt" rec.ist --to iso2005 --image-size 300x400
  expect_exit 0 "$fpm" info rec.ist
  grep -q "ISO/IEC 19794-2:2005" out.txt || fail "info does not name the format"
  grep -q "36 minutiae" out.txt || fail "info does not count the minutiae"
  expect_exit 0 "$fpm" info --json --minutiae rec.ist
  python3 - <<'PY' || fail "info --json output is wrong"
import json
j = json.load(open("out.txt"))
assert j[0]["format"] == "iso2005", j
assert j[0]["views"][0]["minutiae_count"] == 36
assert len(j[0]["views"][0]["minutiae"]) == 36
assert j[0]["header"]["image_width"] == "300"
PY
  ;;
convert)
  expect_exit 0 "$fpm" convert "$data/sample.xyt" a.ist --to iso2005 --image-size 300x400
  expect_exit 0 "$fpm" convert a.ist b.ist --to iso2005
  cmp -s a.ist b.ist || fail "iso2005 -> iso2005 is not byte-identical"
  expect_exit 0 "$fpm" convert a.ist c.ansi --to ansi2004
  expect_exit 0 "$fpm" info c.ansi
  grep -q "ANSI INCITS 378-2004" out.txt || fail "converted record is not ANSI 378-2004"
  expect_exit 0 "$fpm" convert "$data/sample.xyt" d.xyt --to xyt --image-size 300x400
  cmp -s "$data/sample.xyt" d.xyt || fail "xyt -> xyt is not identical"
  expect_exit 0 "$fpm" convert d.xyt m1.xyt --to xyt --image-size 300x400 --out-xyt m1
  expect_exit 0 "$fpm" convert m1.xyt back.xyt --xyt m1 --to xyt --image-size 300x400
  cmp -s d.xyt back.xyt || fail "nist -> m1 -> nist is not identical"
  ;;
errors)
  printf 'not a template' > junk.bin
  expect_exit 3 "$fpm" info junk.bin
  grep -q "unknown format" err.txt || fail "no reason given for junk input"
  printf 'FMR\0 20\0\0\0\0\x40' > short.ist
  expect_exit 3 "$fpm" info short.ist
  grep -q "record_length" err.txt || fail "truncated record error does not name the field"
  expect_exit 2 "$fpm" info does-not-exist.ist
  expect_exit 2 "$fpm" convert "$data/sample.xyt" x.out --to jpeg
  expect_exit 2 "$fpm" info --image-size 12 "$data/sample.xyt"
  expect_exit 4 "$fpm" convert "$data/sample.xyt" /nonexistent-dir/x.ist --to iso2005
  [ ! -e x.out ] || fail "a failed convert left an output file"
  ;;
version)
  expect_exit 0 "$fpm" version
  grep -q "fpmatch" out.txt || fail "version prints no name"
  grep -q "cuda backend" out.txt || fail "version says nothing about CUDA"
  ;;
*) fail "unknown case $case_name" ;;
esac
echo "PASS: $case_name"
