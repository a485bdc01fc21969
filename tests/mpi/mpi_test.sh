#!/usr/bin/env bash
# mpi_test.sh CASE FPMATCH FPMATCH_MPI DEFAULT_DATA_DIR WORK_DIR: the sharded
# search over MPI ranks on one machine (docs/scale-out.md), np = 1, 2, 3.
#   answers  synthetic gallery: fpmatch-mpi's answers equal fpmatch search's on
#            the unsplit gallery (per template, per subject, two-stage, FPIR)
#   real     the same on galleries enrolled from the shared real templates
#   faults   a missing, damaged, misplaced or foreign shard, the wrong rank
#            count, a probe that does not decode: every rank exits non-zero
#            within seconds, one message at rank 0 naming the rank and file
#   serve    requests on standard input: answers equal to fpmatch search's,
#            error answers for bad requests, and the server goes on
set -euo pipefail
case=$1 fpm=$2 fpm_mpi=$3 data=${FPM_DATA_DIR:-$4} work=$5
rm -rf "$work" && mkdir -p "$work" && cd "$work"
# Open MPI refuses to start as root unless told (CI runs as root), and
# needs --oversubscribe for more ranks than cores; the single-copy
# mechanism of its shared-memory transport is not allowed in every
# container, so it is turned off.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_rmaps_base_oversubscribe=1
run_mpi() { local n=$1; shift; timeout 120 mpirun --oversubscribe --bind-to none -np "$n" "$fpm_mpi" "$@"; }
fail() { echo "FAIL: $*"; exit 1; }

# same_probes A.json B.json WHAT: the "probes" of two search outputs are equal.
same_probes() {
  python3 - "$1" "$2" "$3" <<'PY' || fail "$3: fpmatch-mpi differs from fpmatch search"
import json, sys
a, b = (json.load(open(f))["probes"] for f in sys.argv[1:3])
if a != b:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            print("first difference at probe", i, "\n", json.dumps(x)[:600], "\n", json.dumps(y)[:600])
            break
    sys.exit(1)
n = sum(len(p["candidates"]) for p in a)
assert n > 0, "no candidates at all: the comparison would prove nothing"
print("ok:", sys.argv[3], "-", len(a), "probes,", n, "candidates")
PY
}

# compare GALLERY SUBJECT_PROBES... -- TEMPLATE_PROBES...: every option set,
# np = 1, 2, 3, against fpmatch search on the unsplit gallery.
compare_all() {
  local gallery=$1 probes=$2
  for n in 1 2 3; do "$fpm" gallery split "$gallery" --shards $n --out "shards$n" > /dev/null; done
  # Two-stage with the shortlist as large as top: every shortlisted entry is
  # returned, so any entry shortlisted on a rank but not in the global
  # shortlist (or the other way round) would show.
  while IFS= read -r opts; do
    # shellcheck disable=SC2086
    "$fpm" search --gallery "$gallery" --threads 1 --json $opts $probes > one.json 2> /dev/null
    for n in 1 2 3; do
      # shellcheck disable=SC2086
      # (mpirun forwards standard input to rank 0: not the option list's.)
      run_mpi $n search --shards "shards$n" --threads 1 --json $opts $probes > mpi.json < /dev/null
      same_probes one.json mpi.json "np=$n $opts"
    done
  done <<'OPTS'
--top 5
--top 40
--top 3 --min-score 0.05
--subjects --top 6
--subjects --top 4 --fpir 0.001
--shortlist 30 --top 30
--shortlist 7% --top 5
--subjects --shortlist 20 --top 20
--subjects --shortlist 10% --top 3 --fpir 0.01
OPTS
}

case $case in
answers)
  "$fpm" synth --subjects 120 --fingers 3 --probes 12 --seed 2027 --out syn > /dev/null 2>&1
  # Removed entries of the source keep their global indices out of the shards.
  compare_all syn/gallery.fpg "$(ls syn/probes/*.ist | tr '\n' ' ')"
  # Weighted shards give the same answers.
  "$fpm" gallery split syn/gallery.fpg --shards 2 --weights 3,1 --out w > /dev/null
  "$fpm" gallery info --json w/shard-0-of-2.fpg > info.json
  python3 -c "
import json; s = json.load(open('info.json'))['shard']
assert s['shard'] == 0 and s['shards'] == 2 and s['weight'] == 3 and s['source_live_entries'] == 360, s
assert 250 <= s['entries'] <= 290, s"
  "$fpm" search --gallery syn/gallery.fpg --json --top 8 syn/probes/*.ist > one.json 2> /dev/null
  run_mpi 2 search --shards w --json --top 8 syn/probes/*.ist > mpi.json
  same_probes one.json mpi.json "weighted shards"
  # --gpu-per-rank, --gpus-per-rank (each rank its node-local devices; on the
  # CPU backend here, so that a machine with fewer GPUs than the ranks ask
  # for runs it too): the node split runs and the answers stay the same.
  run_mpi 3 search --shards shards3 --gpu-per-rank --backend cpu --json --top 8 syn/probes/*.ist > mpi.json 2> /dev/null
  same_probes one.json mpi.json "--gpu-per-rank"
  run_mpi 2 search --shards w --gpus-per-rank 2 --backend cpu --json --top 8 syn/probes/*.ist > mpi.json 2> /dev/null
  same_probes one.json mpi.json "--gpus-per-rank 2"
  # An empty shard (more shards than subjects) takes part in every step,
  # the two-stage key exchange included.
  "$fpm" synth --subjects 2 --fingers 2 --probes 3 --seed 3 --out tiny > /dev/null 2>&1
  "$fpm" gallery split tiny/gallery.fpg --shards 3 --out tiny3 > /dev/null
  for opts in "--top 3" "--shortlist 1 --top 1" "--subjects --shortlist 1 --top 1"; do
    # shellcheck disable=SC2086
    "$fpm" search --gallery tiny/gallery.fpg --json $opts tiny/probes/*.ist > one.json 2> /dev/null
    # shellcheck disable=SC2086
    run_mpi 3 search --shards tiny3 --threads 1 --json $opts tiny/probes/*.ist > mpi.json 2> /dev/null
    same_probes one.json mpi.json "an empty shard, $opts"
  done
  # Text output: the same listing.
  "$fpm" search --gallery syn/gallery.fpg --subjects --top 3 --fpir 0.001 syn/probes/*.ist > one.txt 2> /dev/null
  run_mpi 3 search --shards shards3 --subjects --top 3 --fpir 0.001 syn/probes/*.ist > mpi.txt 2> /dev/null
  diff one.txt mpi.txt > /dev/null || fail "text output differs"
  ;;
real)
  if [ ! -d "$data/fvc2002_db1b" ]; then
    if [ "${CI:-}" = true ]; then fail "shared data not found at $data (CI=true)"; fi
    echo "SKIP: shared data not found at $data (set FPM_DATA_DIR)"; exit 77
  fi
  # Two sets as one gallery (subjects a101.., b101..), impressions 1-4
  # enrolled, 5-8 searched; one extractor's and the other's.
  mkdir -p enrol
  for f in "$data"/fvc2002_db1b/iso/*_[1-4].ist; do cp "$f" "enrol/a$(basename "$f")"; done
  for f in "$data"/secugen_fvc2002_db2b/iso/*_[1-4].iso; do cp "$f" "enrol/b$(basename "$f")"; done
  "$fpm" enroll --gallery real.fpg enrol > /dev/null
  compare_all real.fpg "$(ls "$data"/fvc2002_db1b/iso/10[1-5]_[5-8].ist "$data"/secugen_fvc2002_db2b/iso/10[6-9]_5.iso "$data"/formats/an2k/libbiomeval_type9.an2k | tr '\n' ' ')"
  ;;
faults)
  "$fpm" synth --subjects 40 --fingers 2 --probes 2 --seed 7 --out syn > /dev/null 2>&1
  "$fpm" gallery split syn/gallery.fpg --shards 3 --out s > /dev/null
  "$fpm" gallery split syn/gallery.fpg --shards 3 --out other > /dev/null
  "$fpm" gallery split syn/gallery.fpg --shards 2 --out two > /dev/null
  probe=$(ls syn/probes/*.ist | head -1)
  # expect_fault NAME DIR NP EXIT PATTERN: fails on every rank with EXIT,
  # within 60 s, and rank 0's message matches PATTERN.
  expect_fault() {
    local name=$1 dir=$2 np=$3 want=$4 pattern=$5 start=$SECONDS rc=0
    run_mpi "$np" search --shards "$dir" "$probe" > out.txt 2> err.txt || rc=$?
    [ "$rc" = "$want" ] || { cat err.txt; fail "$name: exit $rc, not $want"; }
    [ $((SECONDS - start)) -lt 60 ] || fail "$name: took $((SECONDS - start)) s"
    [ "$(grep -c "^fpmatch-mpi: error:" err.txt)" = 1 ] || { cat err.txt; fail "$name: not one message"; }
    grep -q -- "$pattern" err.txt || { cat err.txt; fail "$name: message does not match '$pattern'"; }
    [ ! -s out.txt ] || fail "$name: printed answers"
    echo "ok: $name (exit $rc)"
  }
  cp -r s missing && rm missing/shard-1-of-3.fpg
  expect_fault "missing shard" missing 3 4 "rank 1: missing/shard-1-of-3.fpg"
  cp -r s nometa && rm nometa/shard-2-of-3.fpg.shard
  expect_fault "missing metadata" nometa 3 4 "rank 2: nometa/shard-2-of-3.fpg.*shard-2-of-3.fpg.shard"
  cp -r s damaged && printf 'X' | dd of=damaged/shard-1-of-3.fpg bs=1 seek=9000 conv=notrunc 2> /dev/null
  expect_fault "damaged shard" damaged 3 3 "rank 1: damaged/shard-1-of-3.fpg: gallery file .* refused"
  cp -r s swapped && cp two/shard-0-of-2.fpg swapped/shard-2-of-3.fpg
  expect_fault "gallery file of another shard" swapped 3 3 "rank 2: .*belongs to another gallery file"
  cp -r s mixed && cp other/shard-1-of-3.fpg other/shard-1-of-3.fpg.shard mixed/
  expect_fault "shard of another split" mixed 3 2 "shard 1: of another split"
  expect_fault "wrong rank count" s 2 2 "holds a split into 3 shard(s), not 2"
  rc=0; run_mpi 2 search --shards two --gpu-per-rank --devices 1 "$probe" > out.txt 2> err.txt || rc=$?
  [ "$rc" = 2 ] && [ "$(grep -c "^fpmatch-mpi: error: --gpu-per-rank chooses the device" err.txt)" = 1 ] ||
    { cat err.txt; fail "--gpu-per-rank with --devices: exit $rc"; }
  rc=0; run_mpi 2 search --shards two --gpu-per-rank --gpus-per-rank 2 "$probe" > out.txt 2> err.txt || rc=$?
  [ "$rc" = 2 ] && grep -q "not both" err.txt || { cat err.txt; fail "--gpu-per-rank with --gpus-per-rank: exit $rc"; }
  echo junk > junk.ist
  rc=0; run_mpi 2 search --shards two junk.ist > out.txt 2> err.txt || rc=$?
  [ "$rc" = 3 ] && grep -q "^fpmatch-mpi: error: junk.ist: unknown format" err.txt || { cat err.txt; fail "bad probe: exit $rc"; }
  echo "ok: bad probe (exit $rc)"
  ;;
serve)
  "$fpm" synth --subjects 60 --fingers 2 --probes 6 --seed 11 --out syn > /dev/null 2>&1
  "$fpm" gallery split syn/gallery.fpg --shards 2 --out s > /dev/null
  p=(syn/probes/*.ist)
  echo junk > junk.ist
  "$fpm" search --gallery syn/gallery.fpg --json --top 3 "${p[0]}" "${p[1]}" > t.json 2> /dev/null
  "$fpm" search --gallery syn/gallery.fpg --json --subjects --top 2 --fpir 0.001 --shortlist 10% "${p[2]}" > s.json 2> /dev/null
  {
    echo "{\"id\": 1, \"probes\": [\"${p[0]}\", \"${p[1]}\"], \"top\": 3}"
    echo "not json"
    echo "{\"id\": \"bad\", \"probes\": [\"junk.ist\"]}"
    echo ""
    echo "{\"id\": 2, \"probes\": [\"${p[2]}\"], \"subjects\": true, \"top\": 2, \"fpir\": 0.001, \"shortlist\": \"10%\"}"
    echo "{\"id\": 3, \"probes\": [\"no-such-file.ist\"]}"
    echo "{\"id\": 4, \"probes\": [\"${p[0]}\"], \"topp\": 3}"
    echo "{\"id\": 5, \"probes\": [\"${p[0]}\", \"${p[1]}\"], \"top\": 3}"
  } | run_mpi 2 serve --shards s > answers.jsonl 2> serve_err.txt || { cat serve_err.txt; fail "serve exited $?"; }
  python3 - <<'PY' || { cat answers.jsonl; fail "serve answers"; }
import json
lines = [json.loads(l) for l in open("answers.jsonl")]
assert [l["id"] for l in lines] == [1, None, "bad", 2, 3, 4, 5], [l["id"] for l in lines]
t, s = json.load(open("t.json"))["probes"], json.load(open("s.json"))["probes"]
assert lines[0]["probes"] == t and lines[6]["probes"] == t, "per-template answer differs"
assert lines[3]["probes"] == s, "per-subject answer differs"
assert lines[1]["exit_code"] == 2 and "not a JSON line" in lines[1]["error"]
assert lines[2]["exit_code"] == 3 and "junk.ist" in lines[2]["error"]
assert lines[4]["exit_code"] == 4 and "no-such-file.ist" in lines[4]["error"]
assert lines[5]["exit_code"] == 2 and "topp" in lines[5]["error"]
for l in (lines[0], lines[3], lines[6]):
    assert l["ranks"] == 2 and l["seconds"] > 0 and l["merge_seconds"] >= 0, l
print("ok: serve, 7 requests, 4 error answers")
PY
  ;;
*) fail "unknown case $case" ;;
esac
echo "PASS: mpi $case"
