"""The Python examples (examples/python) run and print the library's numbers."""
import subprocess
import sys

from conftest import REPO

import fpmatch as fm

EXAMPLES = REPO / "examples" / "python"


def run(script, *args):
    return subprocess.run([sys.executable, str(EXAMPLES / script), *map(str, args)], check=True,
                          capture_output=True, text=True).stdout


def test_evaluate_example(data_dir, tmp_path):
    folder = data_dir / "fvc2002_db1b" / "iso"
    out = run("evaluate.py", folder, "--out", tmp_path)
    r = fm.evaluate_folders([str(folder)]).rates
    row = next(line for line in out.splitlines() if line.startswith(str(folder)[-40:]))
    assert row.split()[1:] == [str(r.genuine), str(r.impostor), f"{r.eer:.2%}",
                               *(f"{r.fnmr_at_fmr[t]:.2%}" for t in fm.FMR_TARGETS)]
    det = tmp_path / "det.png" if (tmp_path / "det.png").exists() else tmp_path / "det.csv"
    assert det.stat().st_size > 0
    if det.suffix == ".csv":
        lines = det.read_text().splitlines()
        assert lines[0] == "folder,threshold,fmr,fnmr" and len(lines) == 1 + len(r.det.threshold)


def test_search_example(db1, tmp_path):
    folder = str(db1[0]).rsplit("/", 1)[0]
    gallery = tmp_path / "g.fpg"
    out = run("search.py", "--enroll", folder, "--save", gallery, "--top", 2, "--backend", "cpu", db1[12])
    lines = out.splitlines()
    assert lines[0] == "80 templates of 10 subjects, cpu backend"
    assert lines[2].split()[1] == "102" and "accepted: 102" in lines[4]
    again = run("search.py", "--gallery", gallery, "--top", 2, "--backend", "cpu", db1[12])
    assert again == out
