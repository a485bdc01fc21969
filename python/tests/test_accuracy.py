"""Calibration and evaluation: the numbers of `fpmatch calibration` and `fpmatch eval`."""
import numpy as np
import pytest

import fpmatch as fm


def test_calibration_info_and_fmr():
    info = fm.calibration_info()
    assert info["impostor_comparisons"] > 10000 and info["lowest_fmr"] == 1 / info["impostor_comparisons"]
    assert fm.fmr(0.0) == 1.0
    top = fm.false_match_rate(1.0)
    assert top.upper_bound and top.fmr == info["lowest_fmr"] and top.at_or_above == 0
    t = fm.threshold_for_fmr(1e-3)
    assert fm.fmr(t) <= 1e-3
    with pytest.raises(fm.InvalidArgument):
        fm.threshold_for_fmr(1e-9)
    with pytest.raises(fm.InvalidArgument):
        fm.false_match_rate(float("nan"))


def test_calibration_equals_cli(cli):
    want = cli("calibration", "--json")
    assert want["impostor_comparisons"] == fm.calibration_info()["impostor_comparisons"]
    for row in want["thresholds"]:
        assert fm.threshold_for_fmr(row["fmr"]) == row["threshold"]


def test_evaluate_small_lists():
    r = fm.evaluate([0.9, 0.8, 0.3], [0.1, 0.2, 0.35, 0.05])
    assert r.genuine == 3 and r.impostor == 4
    assert 0 < r.eer < 0.5 and set(r.fnmr_at_fmr) == {0.01, 0.001, 0.0001}
    d = r.det
    assert d.threshold.dtype == np.float32 and np.all(np.diff(d.threshold) > 0)
    assert np.all(np.diff(d.fmr) <= 0) and np.all(np.diff(d.fnmr) >= 0)
    separable = fm.evaluate([0.9, 0.8], [0.1, 0.2])
    assert separable.eer == 0 and separable.fnmr_at_fmr[0.0001] == 0
    d2 = fm.det_curve([0.9, 0.8], [0.1, 0.2])
    assert list(d2.threshold[:4]) == list(np.float32([0.1, 0.2, 0.8, 0.9])) and len(d2.threshold) == 5
    assert d2.threshold[4] > 0.9 and d2.fmr[4] == 0 and d2.fnmr[4] == 1  # one above every score
    with pytest.raises(fm.InvalidArgument):
        fm.evaluate([], [0.1])
    with pytest.raises(ValueError):
        fm.evaluate([np.nan], [0.1])


def _rates(r):
    return {"genuine": r.genuine, "impostor": r.impostor, "eer": r.eer, "eer_threshold": r.eer_threshold,
            **{f"fnmr_at_fmr_{t}": v for t, v in r.fnmr_at_fmr.items()}}


def test_evaluate_equals_fpmatch_eval(cli, data_dir):
    dirs = [str(data_dir / "fvc2002_db1b" / "iso"), str(data_dir / "fvc2002_db3b" / "iso")]
    want = cli("eval", "--json", "--no-files", *dirs)
    ev = fm.evaluate_folders(dirs, threads=2)
    assert len(ev.files) == want["templates"]
    assert _rates(ev.rates) == {k: want[k] for k in _rates(ev.rates)}
    for s, r in zip(want["sets"], ev.folder_rates):
        assert _rates(r) == {k: s[k] for k in _rates(r)}
    # evaluate() of the pair scores gives the same numbers, and the scores are match()'s.
    again = fm.evaluate(ev.scores[ev.genuine], ev.scores[~ev.genuine])
    assert _rates(again) == _rates(ev.rates)
    a, b = ev.pairs[0]
    ta, tb = (fm.template(fm.decode(ev.files[k]).views[0]) for k in (a, b))
    assert ev.scores[0] == fm.match(ta, tb)
    assert ev.genuine[0] == (ev.fingers[a] == ev.fingers[b])


def test_evaluate_folders_errors(tmp_path):
    with pytest.raises(fm.Error):
        fm.evaluate_folders([str(tmp_path / "absent")])
    (tmp_path / "noname.ist").write_bytes(b"x")
    with pytest.raises(fm.Error):
        fm.evaluate_folders(str(tmp_path))


def test_runtime_info():
    info = fm.runtime_info()
    assert info["version"] == fm.__version__
    assert isinstance(info["devices"], list) and info["cuda_status"]
