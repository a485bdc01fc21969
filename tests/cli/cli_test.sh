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
verify)
  python3 "$(dirname "$0")/make_set.py" set 2 2 || fail "cannot make the test set"
  expect_exit 0 "$fpm" verify --json set/f1_1.xyt set/f1_2.xyt
  python3 - <<'PY' || fail "verify --json is wrong"
import json
j = json.load(open("out.txt"))
assert 0 < j["score"] <= 1 and j["impostors"] > 0 and 0 <= j["fmr"] <= 1, j
PY
  "$fpm" verify set/f1_1.xyt set/f1_2.xyt > same.txt || fail "verify failed"
  "$fpm" verify set/f1_1.xyt set/f2_1.xyt > other.txt || fail "verify failed"
  grep -q "^score" same.txt && grep -q "^fmr" same.txt || fail "verify prints no score/fmr"
  python3 -c "
s=float(open('same.txt').read().split()[1]); o=float(open('other.txt').read().split()[1])
assert s > o, (s, o)" || fail "a genuine pair does not outscore an impostor pair"
  expect_exit 2 "$fpm" verify --view-a 3 set/f1_1.xyt set/f1_2.xyt
  ;;
eval)
  python3 "$(dirname "$0")/make_set.py" set 4 3 || fail "cannot make the test set"
  expect_exit 0 "$fpm" eval --json --csv scores.csv --det det.svg set
  python3 - <<'PY' || fail "eval --json is wrong"
import json
j = json.load(open("out.txt"))
assert j["genuine"] == 12 and j["impostor"] == 54, j
for k in ("eer", "fnmr_at_fmr_0.01", "fnmr_at_fmr_0.001"):
    assert 0 <= j[k] <= 1, (k, j[k])
assert j["eer"] < 0.2, j
rows = open("scores.csv").read().splitlines()
assert rows[0] == "file_a,file_b,genuine,score" and len(rows) == 67, len(rows)
assert open("det.svg").read().startswith("<svg")
PY
  expect_exit 0 "$fpm" eval --no-files set
  grep -q "EER" out.txt || fail "eval prints no EER"
  mkdir -p bad && printf '1 2 3 4\n' > bad/nounderscore.xyt
  expect_exit 2 "$fpm" eval --no-files bad
  ;;
calibration)
  expect_exit 0 "$fpm" calibration --json
  python3 - <<'PY' || fail "calibration --json is wrong"
import json
j = json.load(open("out.txt"))
assert j["impostor_comparisons"] > 1000, j
t = [x["threshold"] for x in j["thresholds"]]
assert t == sorted(t), t
PY
  ;;
synth)
  expect_exit 0 "$fpm" synth --subjects 30 --fingers 2 --probes 5 --seed 9 --out syn
  [ -s syn/gallery.fpg ] && [ -s syn/truth.csv ] || fail "synth wrote no gallery or truth"
  [ "$(ls syn/probes | wc -l)" = 5 ] || fail "synth wrote the wrong number of probes"
  [ "$(wc -l < syn/truth.csv)" = 6 ] || fail "truth.csv has the wrong number of lines"
  expect_exit 0 "$fpm" synth --subjects 30 --fingers 2 --probes 5 --seed 9 --out syn2
  cmp -s syn/gallery.fpg syn2/gallery.fpg || fail "synth is not deterministic for a seed"
  cmp -s syn/truth.csv syn2/truth.csv || fail "synth probes are not deterministic"
  expect_exit 2 "$fpm" synth --fingers 11 --out syn3
  ;;
enroll)
  python3 "$(dirname "$0")/make_set.py" set 3 2 || fail "cannot make the test set"
  expect_exit 0 "$fpm" enroll --gallery g.fpg set
  grep -q "6 templates added" out.txt || fail "enroll did not add 6 templates: $(cat out.txt)"
  expect_exit 2 "$fpm" enroll --gallery g.fpg set
  grep -q "exists" err.txt || fail "enroll overwrote a gallery silently"
  expect_exit 0 "$fpm" enroll --gallery g.fpg --append --subject extra set/f1_1.xyt
  expect_exit 0 "$fpm" gallery info --json g.fpg
  python3 - <<'PY' || fail "gallery after append is wrong"
import json
j = json.load(open("out.txt"))
assert j["live_entries"] == 7 and j["subjects"] == 4, j
PY
  printf 'junk' > set/bad_1.xyt
  expect_exit 3 "$fpm" enroll --gallery g2.fpg set
  [ ! -e g2.fpg ] || fail "a failed enroll left a gallery behind"
  ;;
search)
  expect_exit 0 "$fpm" synth --subjects 40 --fingers 1 --probes 6 --seed 3 --out syn
  expect_exit 0 "$fpm" search --gallery syn/gallery.fpg --top 5 --json syn/probes/*.ist
  python3 - <<'PY' || fail "search --json does not find the enrolled fingers"
import csv, json
j = json.load(open("out.txt"))
truth = {r["probe"]: r["subject"] for r in csv.DictReader(open("syn/truth.csv"))}
assert len(j) == 6
hits = 0
for p in j:
    c = p["candidates"]
    assert 0 < len(c) <= 5
    assert all(c[i]["score"] >= c[i + 1]["score"] for i in range(len(c) - 1))
    assert {"subject", "position", "score"} <= set(c[0])
    hits += c[0]["subject"] == truth[p["probe"].split("/")[-1]]
assert hits >= 5, hits
PY
  expect_exit 0 "$fpm" search --gallery syn/gallery.fpg --backend cpu --top 2 syn/probes/probe_000001.ist
  grep -q "score" out.txt || fail "search prints no table"
  expect_exit 2 "$fpm" search --gallery syn/gallery.fpg --backend gpu syn/probes/probe_000001.ist
  # Devices that cannot be used: Auto searches on the CPU.
  expect_exit 0 "$fpm" search --gallery syn/gallery.fpg --devices 0,7 --top 2 syn/probes/probe_000001.ist
  grep -q "score" out.txt || fail "search --devices prints no table"
  grep -q "CUDA not used: ." err.txt || fail "search on the CPU under --backend auto does not say why"
  expect_exit 2 "$fpm" search --gallery syn/gallery.fpg --devices zero syn/probes/probe_000001.ist
  expect_exit 2 "$fpm" search --gallery syn/gallery.fpg --threads -1 syn/probes/probe_000001.ist
  printf 'not a gallery' > bad.fpg
  expect_exit 3 "$fpm" search --gallery bad.fpg syn/probes/probe_000001.ist
  ;;
subjects)
  expect_exit 0 "$fpm" synth --subjects 20 --fingers 2 --probes 2 --seed 4 --out syn
  expect_exit 0 "$fpm" search --gallery syn/gallery.fpg --subjects --json --top 3 syn/probes/*.ist
  python3 - <<'PY' || fail "search --subjects --json is wrong"
import csv, json
j = json.load(open("out.txt"))
truth = {r["probe"]: r["subject"] for r in csv.DictReader(open("syn/truth.csv"))}
for p in j:
    assert p["fingers"] == 1 and len(p["candidates"]) == 3
    assert p["candidates"][0]["subject"] == truth[p["probe"].split("/")[-1]], p
PY
  ;;
bench)
  expect_exit 0 "$fpm" synth --subjects 50 --fingers 1 --probes 1 --seed 5 --out syn
  expect_exit 0 "$fpm" bench --gallery syn/gallery.fpg --batch 4 --seconds 0.3 --threads 1 --json
  python3 - <<'PY' || fail "bench --json is wrong"
import json
j = json.load(open("out.txt"))
for k in ("comparisons", "seconds", "comparisons_per_second", "threads", "backend"):
    assert k in j, k
assert j["threads"] == 1 and j["backend"] in ("cpu", "cuda") and j["comparisons"] >= 200
assert abs(j["comparisons_per_second"] - j["comparisons"] / j["seconds"]) < 1e-6 * j["comparisons_per_second"]
assert j["templates"] == 50 and j["replicate"] == 1
on_cpu = j["backend"] == "cpu"
assert (j["fallback_reason"] != "") == on_cpu, j  # --backend auto on the CPU says why
if on_cpu:
    assert j["devices"] == [] and j["device_memory_bytes"] == 0
PY
  expect_exit 0 "$fpm" bench --gallery syn/gallery.fpg --batch 2 --seconds 0.1 --threads 1 --replicate 3 --json
  python3 - <<'PY' || fail "bench --replicate is wrong"
import json
j = json.load(open("out.txt"))
assert j["templates"] == 150 and j["replicate"] == 3, j
assert j["comparisons"] % 300 == 0 and j["comparisons"] >= 300, j
PY
  expect_exit 2 "$fpm" bench --gallery syn/gallery.fpg --replicate 0
  expect_exit 3 "$fpm" bench --gallery syn/gallery.fpg --replicate 1000000000000
  grep -q "far too large" err.txt || fail "bench --replicate: no clear error for an impossible size"
  ;;
gallery)
  expect_exit 0 "$fpm" synth --subjects 10 --fingers 1 --probes 1 --seed 6 --out syn
  expect_exit 0 "$fpm" gallery info syn/gallery.fpg
  grep -q "checksums verified" out.txt || fail "gallery info does not report verification"
  head -c 5000 syn/gallery.fpg > cut.fpg
  expect_exit 3 "$fpm" gallery info cut.fpg
  grep -q "truncated" err.txt || fail "a truncated gallery is not named as such"
  ;;
*) fail "unknown case $case_name" ;;
esac
echo "PASS: $case_name"
