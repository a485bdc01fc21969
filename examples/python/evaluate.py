#!/usr/bin/env python3
"""Accuracy of fpmatch on folders of FVC-style templates (FINGER_IMPRESSION.ext).

    python evaluate.py FOLDER [FOLDER...] [--out DIR] [--threads N]

Compares every unordered pair of each folder's templates once (genuine pairs:
same FINGER), prints the EER and a table of FNMR at FMR 1%, 0.1% and 0.01%
(the numbers `fpmatch eval` prints), and writes the DET curve: DIR/det.png
when matplotlib is installed, otherwise DIR/det.csv (threshold, fmr, fnmr).
"""
import argparse
import csv
import pathlib

import fpmatch


def write_det_csv(path, curves):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["folder", "threshold", "fmr", "fnmr"])
        for name, det in curves:
            for t, a, b in zip(det.threshold, det.fmr, det.fnmr):
                w.writerow([name, f"{t:.9g}", a, b])


def plot_det(path, curves):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 5))
    for name, det in curves:
        keep = (det.fmr > 0) & (det.fnmr > 0)  # log axes
        ax.plot(det.fmr[keep], det.fnmr[keep], label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("false match rate")
    ax.set_ylabel("false non-match rate")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folders", nargs="+")
    p.add_argument("--out", default=".", help="where to write the DET curve (default: here)")
    p.add_argument("--threads", type=int, default=0, help="0: all cores")
    a = p.parse_args()

    ev = fpmatch.evaluate_folders(a.folders, threads=a.threads)
    rows = [(folder, r) for folder, r in zip(a.folders, ev.folder_rates)]
    if len(a.folders) > 1:
        rows.append(("all (pairs across folders are impostors)", ev.rates))
    print(f"{'set':<40} {'genuine':>8} {'impostor':>9} {'EER':>7} "
          + " ".join(f"{'FNMR@FMR=' + format(t, '.2%'):>15}" for t in fpmatch.FMR_TARGETS))
    for name, r in rows:
        print(f"{name[-40:]:<40} {r.genuine:>8} {r.impostor:>9} {r.eer:>7.2%} "
              + " ".join(f"{r.fnmr_at_fmr[t]:>15.2%}" for t in fpmatch.FMR_TARGETS))

    curves = [(name, r.det) for name, r in rows]
    out = pathlib.Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        plot_det(out / "det.png", curves)
        print(f"DET curve: {out / 'det.png'}")
    except ImportError:
        write_det_csv(out / "det.csv", curves)
        print(f"DET curve: {out / 'det.csv'} (install matplotlib for a plot)")


if __name__ == "__main__":
    main()
