#!/usr/bin/env python3
"""1:N identification with fpmatch: enroll a folder of templates, search probes.

    python search.py --enroll FOLDER [--save GALLERY.fpg] PROBE...
    python search.py --gallery GALLERY.fpg PROBE...

Subjects are the file names up to their first '_' (as `fpmatch enroll`).
Prints each probe's best candidates with their scores and the false match
rate each score corresponds to (the library's shipped calibration), and
whether the best one is accepted at FMR 0.1%.
"""
import argparse
import pathlib

import fpmatch


def enroll(folder):
    gallery = fpmatch.Gallery()
    files = sorted(p for p in pathlib.Path(folder).iterdir() if p.is_file() and not p.name.startswith("."))
    for path in files:
        for view in fpmatch.decode(path).views:  # every view, with its own finger position
            gallery.add(path.name.split("_")[0], view)
    return gallery


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--enroll", help="folder of templates to enroll")
    src.add_argument("--gallery", help="gallery file (fpmatch enroll, Gallery.save)")
    p.add_argument("--save", help="write the enrolled gallery here")
    p.add_argument("--top", type=int, default=5)
    p.add_argument("--backend", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("probes", nargs="+")
    a = p.parse_args()

    if a.enroll:
        gallery = enroll(a.enroll)
        if a.save:
            gallery.save(a.save)
        engine = fpmatch.Engine(gallery, backend=a.backend)
    else:
        engine = fpmatch.Engine.load(a.gallery, backend=a.backend)
    info = engine.info()
    print(f"{info['live_entries']} templates of {info['subjects']} subjects, {engine.backend} backend")

    threshold = fpmatch.threshold_for_fmr(1e-3)
    probes = [fpmatch.template(fpmatch.decode(path).views[0]) for path in a.probes]
    for path, candidates in zip(a.probes, engine.search(probes, top_k=a.top)):
        print(path)
        for rank, c in enumerate(candidates, 1):
            f = fpmatch.false_match_rate(c.score)
            fmr = f"< {f.fmr:.2g}" if f.upper_bound else f"{f.fmr:.2g}"
            print(f"  {rank}. {c.subject:<12} finger {c.position:<2} entry {c.index:<6} score {c.score:.6f} fmr {fmr}")
        best = candidates[0] if candidates else None
        verdict = f"accepted: {best.subject}" if best and best.score >= threshold else "no match"
        print(f"  at FMR 0.1% (threshold {threshold:.6f}): {verdict}")


if __name__ == "__main__":
    main()
