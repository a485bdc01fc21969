#!/usr/bin/env bash
# booking_test.sh FPMATCH MAKE_TRANSACTION BOOKING_CHECK SOURCE_DIR DEFAULT_DATA_DIR WORK_DIR:
# the booking example end to end (docs/booking.md): the demo data
# (examples/booking/make_demo.sh: synthetic ten-print subjects, and a real
# FVC person when the shared data is there), each transaction hit or no hit
# in each gallery as expected.txt says, and bad input: a finger twice, no
# finger, an FPIR outside (0, 1), unknown finger positions, a gallery of
# one-finger subjects.
set -euo pipefail
fpm=$1 make_tx=$2 check=$3 src=$4 data=${FPM_DATA_DIR:-$5} work=$6
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$work" && mkdir -p "$work" && cd "$work"
fvc=""
if [ -d "$data/fvc2002_db1b" ]; then
  fvc=$data
elif [ "${CI:-}" = true ]; then
  fail "shared data not found at $data (CI=true)"
else
  echo "note: shared data not found at $data: synthetic subjects only"
fi
bash "$src/examples/booking/make_demo.sh" "$fpm" "$make_tx" demo $fvc > /dev/null
"$check" --json --gallery criminal=demo/criminal.fpg --gallery immigration=demo/immigration.fpg demo/tx/*.an2k > answers.json
python3 "$src/scripts/check_booking.py" answers.json demo/expected.txt || fail "the answers differ from expected.txt"
python3 - <<'PY' || fail "the answers' evidence"
import json
for a in json.load(open("answers.json")):
    assert a["finger_positions"] == list(range(1, 11)), a["finger_positions"]
    for g in a["galleries"]:
        assert 0 < g["subject_fmr_threshold"] < 1e-5, g["subject_fmr_threshold"]
        for c in g["candidates"]:
            assert len(c["fingers"]) == 10 and (c["fpir"] <= 1e-3) == (c["subject"] in g["hits"]), c
PY
# A wrong expectation is caught.
sed 's/criminal=s0000017/criminal=s0000018/' demo/expected.txt > wrong.txt
python3 "$src/scripts/check_booking.py" answers.json wrong.txt > /dev/null && fail "check_booking.py passes a wrong answer"
"$check" --gallery criminal=demo/criminal.fpg --gallery immigration=demo/immigration.fpg demo/tx/booking-both.an2k > both.txt
[ "$(grep -c ": HIT at FPIR 1.0e-03" both.txt)" = 2 ] && grep -q "for an examiner to verify" both.txt ||
  { cat both.txt; fail "text output of the booking in both galleries"; }

# Bad input.
f1=demo/criminal_synth/probes/probe_000001.ist
rc=0; "$make_tx" twice.an2k 1="$f1" 1="$f1" > /dev/null
"$check" --gallery c=demo/criminal.fpg twice.an2k > out.txt 2> err.txt || rc=$?
[ "$rc" = 3 ] && grep -q "finger position 1 appears twice" err.txt || { cat err.txt; fail "a finger twice: exit $rc"; }
python3 - <<'PY'
# A transaction of a Type-1 record alone: no finger at all.
GS, US, FS = "\x1d", "\x1f", "\x1c"
body = GS + "1.002:0500" + GS + "1.003:1" + US + "0" + FS
n = len("1.001:") + len(body) + 1
while len("1.001:") + len(str(n)) + len(body) != n:
    n += 1
open("empty.an2k", "wb").write(("1.001:" + str(n) + body).encode())
PY
rc=0; "$check" --gallery c=demo/criminal.fpg empty.an2k > out.txt 2> err.txt || rc=$?
[ "$rc" = 3 ] && [ ! -s out.txt ] || { cat err.txt out.txt; fail "no finger: exit $rc"; }
for bad in 0 1 -0.5 nan 1e-3x; do
  rc=0; "$check" --fpir "$bad" --gallery c=demo/criminal.fpg demo/tx/booking-both.an2k > /dev/null 2> err.txt || rc=$?
  [ "$rc" = 2 ] && grep -q "fpir must be a number in (0, 1)" err.txt || fail "--fpir $bad: exit $rc"
done
rc=0; "$check" --gallery c=missing.fpg demo/tx/booking-both.an2k > /dev/null 2> err.txt || rc=$?
[ "$rc" = 4 ] || { cat err.txt; fail "a missing gallery: exit $rc"; }
# Unknown positions (0): each finger is compared with every finger of a
# subject; the enrolled person is still found, and more comparisons count
# against the evidence, not for it.
"$make_tx" unknown.an2k --synthetic 101 16 1 > /dev/null
python3 - <<'PY'
# The booking of criminal s0000017 with every finger position set to 0.
data = open("unknown.an2k", "rb").read().decode("latin-1")
import re
data = re.sub("9\\.006:\\d\\d", "9.006:00", data)
open("unknown.an2k", "wb").write(data.encode("latin-1"))
PY
"$check" --json --gallery c=demo/criminal.fpg unknown.an2k > unknown.json
python3 - <<'PY' || fail "unknown positions"
import json
(a,) = json.load(open("unknown.json"))
assert a["finger_positions"] == [0] * 10, a
g = a["galleries"][0]
assert g["hit"] and g["hits"] == ["s0000017"], g["hits"]
print("ok: unknown positions: still a hit on s0000017")
PY
# A gallery without subject structure (every template its own subject):
# each subject has one finger, the other nine fingers count as not
# enrolled (score 0) and the evidence is that one finger's.
mkdir -p singles
for i in $(seq 1 10); do cp "demo/criminal_synth/probes/probe_000001.ist" "singles/t${i}_1.ist"; done
"$fpm" enroll --gallery singles.fpg singles > /dev/null 2>&1
"$check" --json --gallery singles=singles.fpg demo/tx/booking-neither.an2k > singles.json
python3 - <<'PY' || fail "a gallery of one-finger subjects"
import json
(a,) = json.load(open("singles.json"))
g = a["galleries"][0]
assert g["subjects"] == 10 and not g["hit"], g
for c in g["candidates"]:
    assert sum(1 for f in c["fingers"] if f["score"] > 0) <= 1, c
print("ok: a gallery of one-finger subjects: no hit by accident")
PY
echo "PASS: booking example"
