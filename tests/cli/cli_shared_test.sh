#!/usr/bin/env bash
# cli_shared_test.sh FPMATCH DEFAULT_DATA_DIR WORK_DIR: info, verify, eval,
# enroll and search on the real templates.
set -euo pipefail
fpm=$1 data=${FPM_DATA_DIR:-$2} work=$3
if [ ! -d "$data/fvc2002_db1b" ]; then
  if [ "${CI:-}" = true ]; then echo "FAIL: shared data not found at $data (CI=true)"; exit 1; fi
  echo "SKIP: shared data not found at $data (set FPM_DATA_DIR)"; exit 77
fi
rm -rf "$work" && mkdir -p "$work" && cd "$work"
"$fpm" info "$data"/formats/*/*.ist "$data"/formats/ansi378/* > info.txt
grep -c "format:" info.txt | grep -qx 11 || { echo "FAIL: info did not describe the 11 records"; exit 1; }
# An ANSI/NIST-ITL Type-9 record gives no image width: said so, not "0x320".
"$fpm" info "$data"/formats/an2k/libbiomeval_type9.an2k > an2k_info.txt
grep -q "image height [0-9]* px (width not recorded)" an2k_info.txt || { echo "FAIL: an2k image size"; cat an2k_info.txt; exit 1; }
"$fpm" info --json "$data"/formats/an2k/libbiomeval_type9.an2k > an2k_info.json
python3 -c "
import json; h = json.load(open('an2k_info.json'))[0]['header']
assert h['records'] == 2 and h['version'] == '0300' and h['date'] == '20090807', h"
"$fpm" verify --json "$data/fvc2002_db1b/iso/101_1.ist" "$data/fvc2002_db1b/iso/101_2.ist" > same.json
"$fpm" verify --json "$data/fvc2002_db1b/iso/101_1.ist" "$data/fvc2002_db1b/iso/102_1.ist" > other.json
python3 - <<'PY'
import json
s, o = json.load(open("same.json")), json.load(open("other.json"))
assert s["score"] > o["score"] and (s["fmr"] or s["fmr_below"]) < 0.001 < o["fmr"], (s, o)
PY
"$fpm" eval --json --no-files "$data/fvc2002_db1b/iso" "$data/fvc2002_db2b/iso" > eval.json
python3 - <<'PY'
import json
j = json.load(open("eval.json"))
db1, db2 = j["sets"]
assert (db1["genuine"], db1["impostor"], j["impostor"]) == (280, 2880, 12160), j
assert abs(db1["eer"] - 0.010565476190476191) < 1e-12 and abs(db1["fnmr_at_fmr_0.001"] - 5 / 280) < 1e-12, db1
assert abs(db2["eer"] - 0.007564484126984126) < 1e-12 and abs(db2["fnmr_at_fmr_0.001"] - 3 / 280) < 1e-12, db2
PY
mkdir -p enrol && cp "$data"/fvc2002_db1b/iso/*_1.ist enrol/
"$fpm" enroll --gallery fvc.fpg enrol > /dev/null
"$fpm" search --gallery fvc.fpg --top 1 --json "$data"/fvc2002_db1b/iso/10{1,2,3,4,5}_2.ist > found.json
python3 - <<'PY'
import json
for p in json.load(open("found.json"))["probes"]:
    want = p["probe"].split("/")[-1].split("_")[0]
    assert p["candidates"][0]["subject"] == want, p
PY
# ANSI/NIST-ITL: the two libbiomeval transactions hold the same finger;
# enrolled from one among the FVC fingers, it is found with the other.
mkdir -p an2k && cp "$data"/formats/an2k/libbiomeval_type9-13.an2k an2k/a103_1.an2k
"$fpm" enroll --gallery an2k.fpg an2k enrol > /dev/null
"$fpm" search --gallery an2k.fpg --top 1 --json "$data"/formats/an2k/libbiomeval_type9.an2k > an2k.json
python3 - <<'PY'
import json
(p,) = json.load(open("an2k.json"))["probes"]
assert p["candidates"][0]["subject"] == "a103" and p["candidates"][0]["score"] > 0.5, p
PY
echo "PASS: CLI on the shared data"
