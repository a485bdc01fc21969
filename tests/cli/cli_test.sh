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
  grep -q "unknown subcommand 'no-such-command'" err.txt || fail "an unknown subcommand is not named: $(cat err.txt)"
  expect_exit 2 "$fpm" gallery frobnicate x.fpg
  grep -q "unknown subcommand 'frobnicate' for 'fpmatch gallery'" err.txt || fail "gallery: unknown subcommand not named"
  expect_exit 0 "$fpm" --version
  grep -q "^fpmatch [0-9]" out.txt || fail "--version prints no version: $(cat out.txt)"
  ;;
info)
  expect_exit 0 "$fpm" convert "$data/sample.xyt" rec.ist --to iso2005 --image-size 300x400
  expect_exit 0 "$fpm" info rec.ist
  grep -q "ISO/IEC 19794-2:2005" out.txt || fail "info does not name the format"
  grep -q "36 minutiae" out.txt || fail "info does not count the minutiae"
  # --rescale stretches the decoded geometry: the image size follows it; out of range is refused.
  expect_exit 0 "$fpm" info rec.ist --rescale 2,0.5
  grep -q "image 600x200 px" out.txt || fail "info --rescale 2,0.5 does not stretch the image size: $(cat out.txt)"
  expect_exit 2 "$fpm" info rec.ist --rescale 5,1
  grep -q "rescale" err.txt || fail "info --rescale 5,1 is not refused by name"
  expect_exit 2 "$fpm" info rec.ist --rescale 1
  expect_exit 0 "$fpm" info --json --minutiae rec.ist
  python3 - <<'PY' || fail "info --json output is wrong"
import json
j = json.load(open("out.txt"))
assert j[0]["format"] == "iso2005", j
assert j[0]["views"][0]["minutiae_count"] == 36
assert len(j[0]["views"][0]["minutiae"]) == 36
assert j[0]["header"]["image_width"] == 300          # numbers as numbers
assert j[0]["header"]["capture_equipment_id"] == "0x0000"  # hex ids stay text
PY
  expect_exit 0 "$fpm" info rec.ist
  [ "$(grep -c -i "views" out.txt)" = 1 ] || fail "info prints the view count twice: $(cat out.txt)"
  # Bytes after the record: one plain warning.
  cat rec.ist > padded.ist && printf 'xyz' >> padded.ist
  expect_exit 0 "$fpm" info padded.ist
  grep -q "warning: .*3 bytes after the declared record end; ignored$" out.txt || fail "trailing-bytes warning: $(cat out.txt)"
  grep -q "ignored; ignored" out.txt && fail "a warning says 'ignored' twice"
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
  # Unknown options are named, even when a value follows them.
  expect_exit 2 "$fpm" verify --top 3 "$data/sample.xyt" "$data/sample.xyt"
  grep -q "unknown option '--top' for 'fpmatch verify'" err.txt || fail "verify --top: $(cat err.txt)"
  expect_exit 2 "$fpm" info --minutia "$data/sample.xyt"
  grep -q "unknown option '--minutia'" err.txt || fail "info --minutia: $(cat err.txt)"
  grep -q "does not exist" err.txt && fail "an unknown option is reported as a missing file"
  # A format that is read but not written: a bad command line, not bad input.
  # An ANSI/NIST-ITL transaction is written, and read back with its minutiae.
  expect_exit 0 "$fpm" convert "$data/sample.xyt" t.an2k --to an2k --image-size 300x400
  expect_exit 0 "$fpm" info --json t.an2k
  python3 -c "
import json; r = json.load(open('out.txt'))[0]
assert r['format'] == 'an2k' and len(r['views']) == 1 and r['views'][0]['minutiae_count'] > 10, r" ||
    fail "convert --to an2k: $(head -c 400 out.txt)"
  expect_exit 2 "$fpm" convert "$data/sample.xyt" y.ist --to iso2011
  grep -q "read but not written" err.txt || fail "convert --to iso2011: $(cat err.txt)"
  [ ! -e y.ist ] || fail "convert --to iso2011 wrote a file"
  # The wrong --format: the message shows the version bytes escaped.
  expect_exit 0 "$fpm" convert "$data/sample.xyt" v2005.ist --to iso2005 --image-size 300x400
  expect_exit 3 "$fpm" info --format iso2011 v2005.ist
  grep -q 'found " 20\\0"' err.txt || fail "version bytes are not escaped: $(cat err.txt)"
  LC_ALL=C grep -q '[^[:print:]]' err.txt && fail "an error message holds unprintable bytes"
  # An input larger than any record: bad input (3), not a bad command line.
  truncate -s 70M huge.ist
  expect_exit 3 "$fpm" info huge.ist
  grep -q "byte limit" err.txt || fail "oversized input: $(cat err.txt)"
  # What the target format cannot hold: its own code (7).
  python3 -c "
for i in range(300): print(20 + (i * 7) % 280, 20 + (i * 13) % 380, (i * 37) % 360, 50)" > many.xyt
  expect_exit 7 "$fpm" convert many.xyt many.ist --to iso2005 --image-size 300x400
  grep -q "cannot be written as iso2005" err.txt || fail "encode refusal: $(cat err.txt)"
  [ ! -e many.ist ] || fail "a refused convert wrote a file"
  ;;
version)
  expect_exit 0 "$fpm" version
  grep -q "fpmatch" out.txt || fail "version prints no name"
  grep -q "cuda backend" out.txt || fail "version says nothing about CUDA"
  grep -q "insufficient" out.txt && fail "version reads as a broken driver without --verbose"
  if grep -q "^device 0" out.txt; then
    expect_exit 0 "$fpm" version --self-test
    grep -q "self-test: passed" out.txt || fail "no self-test line"
  else
    expect_exit 5 "$fpm" version --self-test
    grep -q "^self-test: not run: " out.txt || fail "version --self-test without a device says nothing: $(cat out.txt)"
  fi
  expect_exit 0 "$fpm" version --verbose
  ;;
verify)
  python3 "$(dirname "$0")/make_set.py" set 2 2 || fail "cannot make the test set"
  expect_exit 0 "$fpm" verify --json set/f1_1.xyt set/f1_2.xyt
  python3 - <<'PY' || fail "verify --json is wrong"
import json
j = json.load(open("out.txt"))
assert 0 < j["score"] <= 1 and j["impostors"] > 0, j
assert (j["fmr"] is None and 0 < j["fmr_below"] < 1) or 0 < j["fmr"] <= 1, j
PY
  "$fpm" verify set/f1_1.xyt set/f1_2.xyt > same.txt || fail "verify failed"
  "$fpm" verify set/f1_1.xyt set/f2_1.xyt > other.txt || fail "verify failed"
  grep -q "^score" same.txt && grep -q "^fmr" same.txt || fail "verify prints no score/fmr"
  python3 -c "
s=float(open('same.txt').read().split()[1]); o=float(open('other.txt').read().split()[1])
assert s > o, (s, o)" || fail "a genuine pair does not outscore an impostor pair"
  expect_exit 2 "$fpm" verify --view-a 3 set/f1_1.xyt set/f1_2.xyt
  # A score above every calibration impostor: an upper bound, never 0.
  expect_exit 0 "$fpm" verify --json set/f1_1.xyt set/f1_1.xyt
  python3 - <<'PY' || fail "verify --json of a bound FMR is wrong"
import json
j = json.load(open("out.txt"))
assert j["fmr"] is None and 0 < j["fmr_below"] < 1e-3 and j["impostors_at_or_above"] == 0, j
PY
  expect_exit 0 "$fpm" verify set/f1_1.xyt set/f1_1.xyt
  grep -q "^fmr   < [0-9.]*e-0[0-9] " out.txt || fail "verify text of a bound FMR: $(cat out.txt)"
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
assert rows[0] == "file_a,file_b,genuine,score,same_image" and len(rows) == 67, rows[0]
assert all(r.endswith(",0") for r in rows[1:]), "a same-image pair without linked folders"
assert open("det.svg").read().startswith("<svg")
PY
  expect_exit 0 "$fpm" eval --no-files set
  grep -q "EER" out.txt || fail "eval prints no EER"
  # The same fingers in a second folder, linked: one impression twice is a
  # same-image pair, other impressions across the folders genuine.
  cp -r set set2
  expect_exit 0 "$fpm" eval --json --no-files --same-fingers 1,2 set set2
  python3 - <<'PY' || fail "eval --same-fingers is wrong"
import json
j = json.load(open("out.txt"))
assert j["same_image_pairs"] == 12 and j["genuine"] == 48 and j["impostor"] == 276 - 60, j
assert len(j["cross"]) == 1 and j["cross"][0]["genuine"] == 24 and j["cross"][0]["same_image"]["genuine"] == 12, j
PY
  expect_exit 0 "$fpm" eval --no-files --same-fingers 1,2 set set2
  grep -q "same image, other extraction" out.txt || fail "eval --same-fingers prints no same-image figures"
  expect_exit 2 "$fpm" eval --no-files --same-fingers 1,3 set set2
  expect_exit 2 "$fpm" eval --no-files --same-fingers 2,2 set set2
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
  rm set/bad_1.xyt
  # Nothing to enrol: refused, nothing written, and the reason given.
  mkdir -p empty nested/inner && cp set/f1_1.xyt nested/inner/ && touch nested/.hidden
  expect_exit 3 "$fpm" enroll --gallery e.fpg empty
  [ ! -e e.fpg ] || fail "enroll wrote a gallery of zero templates"
  grep -q "nothing to enrol" err.txt || fail "empty folder: $(cat err.txt)"
  expect_exit 3 "$fpm" enroll --gallery e.fpg nested
  grep -q "1 sub-folder (use --recursive" err.txt && grep -q "1 hidden file" err.txt || fail "skips not explained: $(cat err.txt)"
  [ ! -e e.fpg ] || fail "enroll wrote a gallery of zero templates"
  expect_exit 0 "$fpm" enroll --gallery e.fpg --recursive --quiet nested
  grep -q "1 templates added" out.txt || fail "--recursive did not read the sub-folder: $(cat out.txt)"
  # A second set with the same file names: a warning, and a prefix keeps them apart.
  python3 "$(dirname "$0")/make_set.py" set2 3 2 || fail "cannot make the second set"
  expect_exit 0 "$fpm" enroll --gallery p.fpg --quiet set
  expect_exit 0 "$fpm" enroll --gallery p.fpg --quiet --append set2
  grep -q "warning: 3 subject id(s) of the new files are already in" err.txt || fail "no merge warning: $(cat err.txt)"
  expect_exit 0 "$fpm" enroll --gallery q.fpg --quiet set
  expect_exit 0 "$fpm" enroll --gallery q.fpg --quiet --append --subject-prefix db2/ set2
  grep -q "warning" err.txt && fail "a prefixed append still warns: $(cat err.txt)"
  expect_exit 0 "$fpm" gallery info --json q.fpg
  python3 -c "import json; j = json.load(open('out.txt')); assert j['subjects'] == 6, j" || fail "--subject-prefix did not keep the sets apart"
  ;;
search)
  expect_exit 0 "$fpm" synth --subjects 40 --fingers 1 --probes 6 --seed 3 --out syn
  expect_exit 0 "$fpm" search --gallery syn/gallery.fpg --top 5 --json syn/probes/*.ist
  python3 - <<'PY' || fail "search --json does not find the enrolled fingers"
import csv, json
j = json.load(open("out.txt"))
truth = {r["probe"]: r["subject"] for r in csv.DictReader(open("syn/truth.csv"))}
assert j["templates"] == 40 and j["backend"] in ("cpu", "cuda") and "fallback_reason" in j, j
assert (j["fallback_reason"] != "") == (j["backend"] == "cpu"), j  # --backend auto on the CPU says why
assert len(j["probes"]) == 6
hits = 0
for p in j["probes"]:
    c = p["candidates"]
    assert 0 < len(c) <= 5
    assert all(c[i]["score"] >= c[i + 1]["score"] for i in range(len(c) - 1))
    assert {"subject", "position", "score", "entry", "fmr"} <= set(c[0])
    for k in c:  # an FMR, or an upper bound where no impostor reaches the score
        assert (k["fmr"] is None) == ("fmr_below" in k), k
        assert k["fmr"] is None or 0 < k["fmr"] <= 1, k
    hits += c[0]["subject"] == truth[p["probe"].split("/")[-1]]
assert hits >= 5, hits
PY
  # Plain output names the entry and gives bounds as bounds.
  expect_exit 0 "$fpm" search --gallery syn/gallery.fpg --backend cpu --top 40 syn/probes/probe_000001.ist
  grep -q "entry [0-9]" out.txt || fail "search does not say which entry matched: $(cat out.txt)"
  grep -q "lowest\|fmr 0.00e+00\|fmr -" out.txt && fail "search prints an FMR of zero or an unexplained marker"
  # Long subject ids keep the columns.
  expect_exit 0 "$fpm" enroll --gallery long.fpg --quiet --subject a-very-long-subject-identifier-0123456789 \
    syn/probes/probe_000001.ist
  expect_exit 0 "$fpm" enroll --gallery long.fpg --quiet --append --subject short syn/probes/probe_000002.ist
  for flags in "" "--subjects"; do
    expect_exit 0 "$fpm" search --gallery long.fpg $flags syn/probes/probe_000001.ist
    python3 - <<'PY' || fail "search $flags: columns do not line up: $(cat out.txt)"
rows = [l for l in open("out.txt") if l.startswith("  ")]
assert len(rows) == 2 and len({r.index("score") for r in rows}) == 1, rows
PY
  done
  expect_exit 0 "$fpm" search --gallery syn/gallery.fpg --backend cpu --top 2 syn/probes/probe_000001.ist
  grep -q "score" out.txt || fail "search prints no table"
  expect_exit 2 "$fpm" search --gallery syn/gallery.fpg --backend gpu syn/probes/probe_000001.ist
  # Devices that cannot be used: Auto searches on the CPU.
  expect_exit 0 "$fpm" search --gallery syn/gallery.fpg --devices 0,7 --top 2 syn/probes/probe_000001.ist
  grep -q "score" out.txt || fail "search --devices prints no table"
  grep -q "; searching on the CPU$\|CUDA not used: ." err.txt ||
    fail "search on the CPU under --backend auto does not say why: $(cat err.txt)"
  [ "$(grep -c "CUDA" err.txt)" = 1 ] || fail "the CUDA note is not printed once: $(cat err.txt)"
  grep -q "insufficient" err.txt && fail "without --verbose the runtime's reason reads as a broken driver"
  expect_exit 0 "$fpm" search --verbose --gallery syn/gallery.fpg --devices 0,7 --top 2 syn/probes/probe_000001.ist
  grep -q "CUDA.*(.\+)" err.txt || fail "--verbose does not give the reason: $(cat err.txt)"
  # --backend cuda without a usable device: its own exit code.
  if ! "$fpm" version | grep -q "^device 0"; then
    expect_exit 5 "$fpm" search --gallery syn/gallery.fpg --backend cuda syn/probes/probe_000001.ist
    grep -q "not usable" err.txt || fail "search --backend cuda: $(cat err.txt)"
  fi
  # An unknown option followed by a value is named as such.
  expect_exit 2 "$fpm" search --gallery syn/gallery.fpg --tpo 3 syn/probes/probe_000001.ist
  grep -q "unknown option '--tpo' for 'fpmatch search'" err.txt || fail "search --tpo 3: $(cat err.txt)"
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
assert j["per_subject"] is True
for p in j["probes"]:
    assert p["fingers"] == 1 and len(p["candidates"]) == 3
    assert p["candidates"][0]["subject"] == truth[p["probe"].split("/")[-1]], p
    for c in p["candidates"]:
        for f in c["fingers"]:  # each finger's best score carries its FMR
            assert "entry" not in f or (f["fmr"] is None) == ("fmr_below" in f), f
PY
  expect_exit 0 "$fpm" search --gallery syn/gallery.fpg --subjects --top 3 syn/probes/probe_000001.ist
  grep -q "fmr -" out.txt && fail "search --subjects prints an unexplained fmr marker"
  grep -q "entry [0-9]*, [0-9.]*, fmr " out.txt || fail "search --subjects does not show the fingers: $(cat out.txt)"
  # A decision at a target FPIR: the mated probe is a hit, and the evidence
  # of every candidate is there.
  expect_exit 0 "$fpm" search --gallery syn/gallery.fpg --subjects --json --top 3 --fpir 0.001 syn/probes/*.ist
  python3 - <<'PY' || fail "search --subjects --fpir --json is wrong"
import csv, json
j = json.load(open("out.txt"))
truth = {r["probe"]: r["subject"] for r in csv.DictReader(open("syn/truth.csv"))}
for p in j["probes"]:
    d = p["decision"]
    assert d["target_fpir"] == 0.001 and d["subjects"] == 20, d
    assert 0 < d["subject_fmr_threshold"] < 0.001 / 20 * 1.01, d
    assert d["hit"] is True and d["hits"][0] == truth[p["probe"].split("/")[-1]], p
    for c in p["candidates"]:
        assert 0 < c["subject_fmr"] <= 1 and 0 <= c["fpir"] <= 1 and c["evidence"] >= 0, c
        assert (c["subject"] in d["hits"]) == (c["subject_fmr"] <= d["subject_fmr_threshold"]), (c, d)
PY
  expect_exit 0 "$fpm" search --gallery syn/gallery.fpg --subjects --top 3 --fpir 0.001 syn/probes/probe_000001.ist
  grep -q "HIT: " out.txt || fail "search --fpir prints no hit for a mated probe: $(cat out.txt)"
  # A decision only per subject, and only at an FPIR in (0, 1).
  expect_exit 2 "$fpm" search --gallery syn/gallery.fpg --fpir 0.001 syn/probes/probe_000001.ist
  expect_exit 2 "$fpm" search --gallery syn/gallery.fpg --subjects --fpir 1 syn/probes/probe_000001.ist
  expect_exit 2 "$fpm" search --gallery syn/gallery.fpg --subjects --fpir -0.1 syn/probes/probe_000001.ist
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
if on_cpu:  # no device: no device figures, rather than zeros
    assert j["devices"] == [] and j["device_memory_bytes"] is None and j["device_free_bytes"] is None, j
else:
    assert isinstance(j["device_memory_bytes"], int) and isinstance(j["device_free_bytes"], int), j
assert j["batch_seconds"] > 0 and j["warmup_seconds"] > 0, j
PY
  # A batch is the unit: one longer than --seconds is measured whole, and said.
  expect_exit 0 "$fpm" bench --gallery syn/gallery.fpg --batch 64 --seconds 0.000001 --threads 1 --replicate 4
  grep -q "^note: one batch takes .* longer than --seconds; measured 1 batch" out.txt || fail "no note: $(cat out.txt)"
  expect_exit 0 "$fpm" bench --gallery syn/gallery.fpg --batch 2 --seconds 0.1 --threads 1 --replicate 3 --json
  python3 - <<'PY' || fail "bench --replicate is wrong"
import json
j = json.load(open("out.txt"))
assert j["templates"] == 150 and j["replicate"] == 3, j
assert j["comparisons"] % 300 == 0 and j["comparisons"] >= 300, j
PY
  # Per subject: probes of an enrolled subject's fingers (3 of its 3 here);
  # exhaustive, each finger meets the entries of its position: 3 x 30 per probe.
  expect_exit 0 "$fpm" synth --subjects 30 --fingers 3 --probes 1 --seed 6 --out syn3
  expect_exit 0 "$fpm" bench --gallery syn3/gallery.fpg --subjects 10 --batch 2 --seconds 0.1 --threads 1 --json
  python3 - <<'PY' || fail "bench --subjects is wrong"
import json
j = json.load(open("out.txt"))
assert j["per_subject"] and j["probe_fingers"] == 10 and j["subjects"] == 30, j
assert j["comparisons"] % 180 == 0 and j["comparisons"] == 180 * j["batches"], j
assert abs(j["effective_comparisons_per_second"] - j["comparisons_per_second"]) < 1e-6 * j["comparisons_per_second"], j
assert abs(j["probes_per_second"] - 2 * j["batches"] / j["seconds"]) < 1e-6 * j["probes_per_second"], j
PY
  expect_exit 0 "$fpm" bench --gallery syn3/gallery.fpg --subjects 3 --batch 2 --seconds 0.1 --threads 1 --shortlist 3 --json
  python3 - <<'PY' || fail "bench --subjects --shortlist is wrong"
import json
j = json.load(open("out.txt"))
# The shortlist raised to the bench's top 10: 10 subjects of 3 entries,
# each finger against its own position's: 2 probes x 10 x 3.
assert j["comparisons"] == 60 * j["batches"], j
assert abs(j["effective_comparisons_per_second"] - 180 * j["batches"] / j["seconds"]) < 1e-6 * j["effective_comparisons_per_second"], j
PY
  expect_exit 0 "$fpm" bench --gallery syn3/gallery.fpg --subjects 3 --fpir 0.001 --batch 2 --seconds 0.1 --threads 1 --json
  python3 - <<'PY' || fail "bench --subjects --fpir is wrong"
import json
j = json.load(open("out.txt"))
# Enrolled subjects' own fingers: every probe of every batch (and the warm-up) is a hit.
assert j["fpir"] == 0.001 and j["hits"] == 2 * (j["batches"] + 1), j
PY
  expect_exit 2 "$fpm" bench --gallery syn3/gallery.fpg --fpir 0.001
  expect_exit 2 "$fpm" bench --gallery syn3/gallery.fpg --subjects 3 --fpir 1.5
  expect_exit 2 "$fpm" bench --gallery syn3/gallery.fpg --subjects 11
  expect_exit 2 "$fpm" bench --gallery syn/gallery.fpg --replicate 0
  expect_exit 6 "$fpm" bench --gallery syn/gallery.fpg --replicate 1000000000000
  grep -q "far too large" err.txt || fail "bench --replicate: no clear error for an impossible size"
  ;;
shortlist)
  expect_exit 0 "$fpm" synth --subjects 60 --fingers 2 --probes 4 --seed 8 --out syn
  # A shortlist of the whole gallery is the exhaustive answer; a small one
  # makes only its full comparisons (4 probes x 12).
  expect_exit 0 "$fpm" search --gallery syn/gallery.fpg --top 3 --threads 1 --json syn/probes/*.ist
  mv out.txt exhaustive.json
  expect_exit 0 "$fpm" search --gallery syn/gallery.fpg --top 3 --threads 1 --shortlist 100% --json syn/probes/*.ist
  mv out.txt whole.json
  expect_exit 0 "$fpm" search --gallery syn/gallery.fpg --top 3 --threads 2 --shortlist 12 --json syn/probes/*.ist
  mv out.txt twelve.json
  expect_exit 0 "$fpm" search --gallery syn/gallery.fpg --top 3 --threads 1 --shortlist 0.1 --json syn/probes/*.ist
  python3 - <<'PY' || fail "search --shortlist is wrong"
import json
ex, whole, twelve, tenth = (json.load(open(f)) for f in ("exhaustive.json", "whole.json", "twelve.json", "out.txt"))
assert [p["candidates"] for p in whole["probes"]] == [p["candidates"] for p in ex["probes"]]
assert ex["shortlist"] == 0 and twelve["shortlist"] == 12 and tenth["shortlist_fraction"] == 0.1
assert twelve["comparisons"] == 4 * 12, twelve["comparisons"]
assert tenth["comparisons"] == 4 * 12, tenth["comparisons"]  # ceil(0.1 * 120)
assert [p["candidates"] for p in tenth["probes"]] == [p["candidates"] for p in twelve["probes"]]
PY
  for bad in -1 1.5 150% abc 0.5x 2%% ""; do
    [ -z "$bad" ] && continue
    expect_exit 2 "$fpm" search --gallery syn/gallery.fpg --shortlist "$bad" syn/probes/probe_000001.ist
    grep -q -- "--shortlist" err.txt || fail "--shortlist $bad: no clear error: $(cat err.txt)"
  done
  expect_exit 0 "$fpm" bench --gallery syn/gallery.fpg --batch 4 --seconds 0.2 --threads 1 --shortlist 5% --json
  python3 - <<'PY' || fail "bench --shortlist --json is wrong"
import json
j = json.load(open("out.txt"))
assert j["shortlist_fraction"] == 0.05, j
# 5% of 120 = 6 entries, raised to top 10: 10 full comparisons per probe.
assert j["comparisons"] == 10 * 4 * (j["batches"]), j
assert abs(j["effective_comparisons_per_second"] - 120 * 4 * j["batches"] / j["seconds"]) < 1e-6 * j["effective_comparisons_per_second"]
assert j["effective_comparisons_per_second"] > j["comparisons_per_second"], j
PY
  # gallery info reports the codes; a version 1 file gets them computed, and says so once.
  expect_exit 0 "$fpm" gallery info --json syn/gallery.fpg
  python3 - <<'PY' || fail "gallery info: no first-stage figures"
import json
j = json.load(open("out.txt"))["first_stage"]
assert j["code_version"] == 2 and j["bytes_per_template"] == 516 and j["memory_bytes"] == 120 * 516, j
assert j["computed_on_load"] is False, j
PY
  ;;
gallery)
  expect_exit 0 "$fpm" synth --subjects 10 --fingers 1 --probes 1 --seed 6 --out syn
  expect_exit 0 "$fpm" gallery info syn/gallery.fpg
  grep -q "checksums verified" out.txt || fail "gallery info does not report verification"
  head -c 5000 syn/gallery.fpg > cut.fpg
  expect_exit 3 "$fpm" gallery info cut.fpg
  grep -q "truncated" err.txt || fail "a truncated gallery is not named as such"
  # Temporary files of saves (docs/gallery-format.md, "Writing"): one of a
  # killed save (a pid that has exited, on this host) and one of a save in
  # progress (this shell's pid). info reports both and removes nothing; the
  # next save removes the stale one only.
  python3 - <<'PY' || fail "cannot make the temporary files"
import os, subprocess
host = "".join(chr(b) if chr(b).isalnum() and b < 128 or chr(b) in "._-" else "%%%02X" % b
               for b in os.uname().nodename.encode())
ns = os.stat("/proc/self/ns/pid").st_ino
p = subprocess.Popen(["true"]); p.wait()
open("syn/gallery.fpg.tmp.%s.%d.%d.AbC123" % (host, ns, p.pid), "wb").write(b"x" * 1000)
open("syn/gallery.fpg.tmp.%s.%d.%d.XyZ789" % (host, ns, os.getppid()), "wb").write(b"x")
PY
  expect_exit 0 "$fpm" gallery info --json syn/gallery.fpg
  python3 - <<'PY' || fail "gallery info --json does not report the temporary files: $(cat out.txt)"
import json
j = json.load(open("out.txt"))
s, o = j["stale_temporary_files"], j["other_temporary_files"]
assert len(s) == 1 and s[0]["file"].endswith(".AbC123") and s[0]["bytes"] == 1000, s
assert len(o) == 1 and o[0]["file"].endswith(".XyZ789") and o[0]["reason"] == "in use", o
PY
  expect_exit 0 "$fpm" gallery info syn/gallery.fpg
  grep -q "1 stale temporary file" out.txt || fail "gallery info does not report a stale temporary file: $(cat out.txt)"
  ls syn/gallery.fpg.tmp.*.AbC123 >/dev/null 2>&1 || fail "gallery info removed a temporary file"
  expect_exit 0 "$fpm" enroll --gallery syn/gallery.fpg --append --quiet --subject extra "$(ls syn/probes/* | head -n 1)"
  ls syn/gallery.fpg.tmp.*.AbC123 >/dev/null 2>&1 && fail "a save left a stale temporary file"
  ls syn/gallery.fpg.tmp.*.XyZ789 >/dev/null 2>&1 || fail "a save removed the temporary file of a running process"
  ;;
*) fail "unknown case $case_name" ;;
esac
echo "PASS: $case_name"
