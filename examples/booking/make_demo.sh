#!/usr/bin/env bash
# make_demo.sh FPMATCH MAKE_TRANSACTION OUT_DIR [FVC_DATA_DIR]: the data of
# the booking demo (docs/booking.md). Two galleries of ten-print subjects,
# "criminal" and "immigration", and three booking transactions:
#   booking-criminal-only.an2k  a person enrolled in the criminal gallery only
#   booking-both.an2k           a person enrolled in both (under each one's id)
#   booking-neither.an2k        a person enrolled in neither
# The galleries are synthetic subjects (fpmatch synth, different seeds);
# with FVC_DATA_DIR (the FVC 2002 DB1_B ISO templates, folder fvc2002_db1b),
# a real person is added: fingers 101-110 of DB1_B as one ten-print
# (impression 1 enrolled in the immigration gallery only) and a fourth
# transaction of impressions 2, booking-real-immigration.an2k. Answers
# expected: OUT_DIR/expected.txt.
set -euo pipefail
# Programs and folders as absolute paths: the script works inside OUT_DIR.
abs() { case $1 in /*) echo "$1" ;; */*) echo "$PWD/$1" ;; *) command -v "$1" ;; esac; }
fpm=$(abs "$1") make_tx=$(abs "$2") out=$3 fvc=${4:+$(abs "$4")}
CRIMINAL_SUBJECTS=${CRIMINAL_SUBJECTS:-400} IMMIGRATION_SUBJECTS=${IMMIGRATION_SUBJECTS:-600}
mkdir -p "$out/tx"
cd "$out"
"$fpm" synth --subjects "$CRIMINAL_SUBJECTS" --fingers 10 --probes 1 --seed 101 --out criminal_synth --quiet > /dev/null
"$fpm" synth --subjects "$IMMIGRATION_SUBJECTS" --fingers 10 --probes 1 --seed 202 --out immigration_synth --quiet > /dev/null
cp criminal_synth/gallery.fpg criminal.fpg
cp immigration_synth/gallery.fpg immigration.fpg
# Criminal only: synthetic subject 16 of the criminal gallery (id s0000017),
# booked with another impression of its fingers.
"$make_tx" tx/booking-criminal-only.an2k --synthetic 101 16 1 > /dev/null
# Both: a person of another seed, enrolled in both galleries under each
# database's own id, booked with another impression.
"$make_tx" enrol-both.an2k --synthetic 303 5 0 > /dev/null
"$fpm" enroll --gallery criminal.fpg --append --subject C-000777 enrol-both.an2k > /dev/null 2>&1
"$fpm" enroll --gallery immigration.fpg --append --subject I-004242 enrol-both.an2k > /dev/null 2>&1
"$make_tx" tx/booking-both.an2k --synthetic 303 5 1 > /dev/null
# Neither: a person of a third seed, enrolled nowhere.
"$make_tx" tx/booking-neither.an2k --synthetic 404 9 1 > /dev/null
{
  echo "booking-criminal-only.an2k criminal=s0000017 immigration=-"
  echo "booking-both.an2k criminal=C-000777 immigration=I-004242"
  echo "booking-neither.an2k criminal=- immigration=-"
} > expected.txt
if [ -n "$fvc" ]; then
  enrol=() book=()
  for f in $(seq 1 10); do
    enrol+=("$f=$fvc/fvc2002_db1b/iso/$((100 + f))_1.ist")
    book+=("$f=$fvc/fvc2002_db1b/iso/$((100 + f))_2.ist")
  done
  "$make_tx" enrol-real.an2k "${enrol[@]}" > /dev/null
  "$fpm" enroll --gallery immigration.fpg --append --subject I-FVC-DB1 enrol-real.an2k > /dev/null 2>&1
  "$make_tx" tx/booking-real-immigration.an2k "${book[@]}" > /dev/null
  echo "booking-real-immigration.an2k criminal=- immigration=I-FVC-DB1" >> expected.txt
fi
echo "booking demo data in $out: criminal.fpg, immigration.fpg, tx/*.an2k"
