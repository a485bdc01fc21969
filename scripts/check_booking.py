#!/usr/bin/env python3
"""check_booking.py ANSWERS.json EXPECTED.txt: the booking check's answers
(booking_check --json) against the demo's expected.txt (one line per
transaction: its file name, then GALLERY=SUBJECT for the subject that must
be the only hit there, or GALLERY=- for no hit). Prints one line per
(transaction, gallery) and a summary; exits 1 on any difference."""
import json
import os
import sys


def main():
    answers = {os.path.basename(a["transaction"]): a for a in json.load(open(sys.argv[1]))}
    expected = [line.split() for line in open(sys.argv[2]) if line.strip()]
    bad = 0
    checks = 0
    for name, *galleries in expected:
        a = answers.get(name)
        if a is None:
            print(f"missing: {name} was not answered")
            bad += 1
            continue
        got = {g["gallery"]: g for g in a["galleries"]}
        for item in galleries:
            gallery, want = item.split("=")
            g = got[gallery]
            checks += 1
            ok = (not g["hit"] and g["hits"] == []) if want == "-" else (g["hit"] and g["hits"] == [want])
            said = "HIT " + ", ".join(g["hits"]) if g["hit"] else "no hit"
            print(f"{'ok' if ok else 'WRONG'}: {name} in {gallery}: {said}"
                  f"{'' if ok else ' (expected ' + ('no hit' if want == '-' else 'HIT ' + want) + ')'}")
            bad += not ok
    print(f"booking check: {checks - bad} of {checks} answers as expected")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
