"""Templates and comparisons: scores equal to the C++ ones and `fpmatch verify`."""
import numpy as np
import pytest

import fpmatch as fm


@pytest.fixture(scope="module")
def synthetic():
    s = fm.SyntheticFingers(seed=11)
    return [s.impression(subject, 1, imp) for subject in range(6) for imp in range(2)]


def test_template_properties(synthetic):
    t = fm.template(synthetic[0])
    assert 0 < t.cylinders <= 128 and t.source_minutiae == len(synthetic[0])
    assert t.nbytes == 236 * t.cylinders and "cylinders" in repr(t)
    assert fm.Template().cylinders == 0
    assert fm.match(fm.Template(), t) == 0.0


def test_template_from_minutiae_array_equals_from_view(synthetic):
    v = synthetic[3]
    a, b = fm.template(v), fm.template(v.minutiae)
    other = fm.template(synthetic[2])
    # The array carries no image size, which matching does not use.
    assert a.cylinders == b.cylinders and fm.match(a, other) == fm.match(b, other)


def test_cylinder_options(synthetic):
    v = synthetic[0]
    assert fm.template(v, min_quality=0).source_minutiae == len(v)
    with pytest.raises(fm.InvalidArgument):
        fm.template(v, min_quality=300)
    with pytest.raises(fm.InvalidArgument):
        fm.template(v, max_dropped_percent=101)


def test_templates_in_parallel_equal_one_by_one(synthetic):
    many = fm.templates(synthetic, threads=2)
    assert len(many) == len(synthetic)
    probe = fm.template(synthetic[0])
    assert [fm.match(probe, t) for t in many] == [fm.match(probe, fm.template(v)) for v in synthetic]
    with pytest.raises(fm.InvalidArgument):
        fm.templates(synthetic, threads=-1)


def test_match_many_and_all_pairs_equal_match(synthetic):
    ts = fm.templates(synthetic)
    probe = ts[0]
    many = fm.match_many(probe, ts)
    assert many.dtype == np.float32 and many.shape == (len(ts),)
    assert list(many) == [fm.match(probe, t) for t in ts]
    grid = fm.match_all_pairs(ts[:4], ts, threads=3)
    assert grid.shape == (4, len(ts)) and grid.dtype == np.float32
    for i in range(4):
        assert list(grid[i]) == list(fm.match_many(ts[i], ts))
    square = fm.match_all_pairs(ts)
    assert square.shape == (len(ts), len(ts))
    assert np.array_equal(square[:4], grid)
    assert fm.match_many(probe, []).shape == (0,)
    assert fm.match_all_pairs([], ts).shape == (0, len(ts))
    assert fm.match_all_pairs(ts, []).shape == (len(ts), 0)
    # Mates of the same finger score above impostors here.
    assert fm.match(ts[0], ts[1]) > max(fm.match(ts[0], t) for t in ts[2:])


def test_match_type_errors(synthetic):
    t = fm.template(synthetic[0])
    with pytest.raises(TypeError):
        fm.match(t, synthetic[0])  # a View is not a Template
    with pytest.raises(TypeError):
        fm.match_many(t, [t, "x"])
    with pytest.raises(TypeError):
        fm.match_many(t, 5)
    with pytest.raises(fm.InvalidArgument):
        fm.match_all_pairs([t], threads=100000)


def test_scores_equal_fpmatch_verify(db1, cli, data_dir):
    xyt = sorted(str(p) for p in (data_dir / "fvc2002_db1b" / "xyt").iterdir())
    pairs = [(db1[0], db1[1]), (db1[0], db1[9]), (db1[5], db1[40]), (db1[79], db1[72]), (xyt[0], xyt[1]),
             (xyt[3], xyt[50])]
    for a, b in pairs:
        want = cli("verify", "--json", a, b)
        ta, tb = fm.template(fm.decode(a).views[0]), fm.template(fm.decode(b).views[0])
        assert fm.match(ta, tb) == want["score"]
        assert (ta.cylinders, tb.cylinders) == (want["cylinders_a"], want["cylinders_b"])
        f = fm.false_match_rate(fm.match(ta, tb))
        assert f.total == want["impostors"] and f.at_or_above == want["impostors_at_or_above"]
        assert f.fmr == (want["fmr_below"] if f.upper_bound else want["fmr"])


def test_all_pairs_of_a_real_set_equal_match(db1):
    ts = fm.templates([fm.decode(p).views[0] for p in db1[:20]])
    grid = fm.match_all_pairs(ts)
    assert all(grid[i, j] == fm.match(ts[i], ts[j]) for i in range(20) for j in range(20))
