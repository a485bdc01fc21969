"""Evidence, FPIR and hit / no-hit decisions: the C++ library's numbers."""
import math

import pytest

import fpmatch as fm


def test_rates_and_inverses():
    assert fm.modelled_fmr(0.0) == pytest.approx(1.0)
    high = fm.modelled_fmr(0.08)
    assert 1e-12 <= high < 1e-4
    t = fm.threshold_for_modelled_fmr(1e-5)
    assert fm.modelled_fmr(t) <= 1e-5
    assert fm.fpir_at(0.0, 1000) == 0.0
    assert fm.fpir_at(1e-6, 1000) == pytest.approx(1 - (1 - 1e-6) ** 1000, rel=1e-9)
    fmr = fm.subject_fmr_for_fpir(0.01, 10_000)
    assert fm.fpir_at(fmr, 10_000) == pytest.approx(0.01, rel=1e-9)
    for bad in (-0.1, 1.5, math.nan):
        with pytest.raises(fm.InvalidArgument):
            fm.fpir_at(bad, 10)
    for bad in (0.0, 1.0, math.nan):
        with pytest.raises(fm.InvalidArgument):
            fm.subject_fmr_for_fpir(bad, 10)
    with pytest.raises(fm.InvalidArgument):
        fm.subject_fmr_for_fpir(0.01, 0)


def test_subject_evidence():
    one = fm.subject_evidence([0.05])
    assert one.finger_fmrs == [pytest.approx(fm.modelled_fmr(0.05))]
    assert one.fmr == pytest.approx(one.finger_fmrs[0])
    assert one.evidence == pytest.approx(-math.log(one.finger_fmrs[0]))
    two = fm.subject_evidence([0.05, 0.04])
    e = two.evidence
    assert two.fmr == pytest.approx(math.exp(-e) * (1 + e))  # Fisher's combination, two fingers
    # The best of three compared entries is weaker evidence than one.
    best_of_3 = fm.subject_evidence([0.05], [3])
    assert best_of_3.finger_fmrs[0] == pytest.approx(1 - (1 - one.finger_fmrs[0]) ** 3)
    with pytest.raises(fm.InvalidArgument):
        fm.subject_evidence([])
    with pytest.raises(fm.InvalidArgument):
        fm.subject_evidence([0.05], [0])
    with pytest.raises(fm.InvalidArgument):
        fm.subject_evidence([0.05, 0.04], [1])
    with pytest.raises(fm.InvalidArgument):
        fm.subject_evidence([math.nan])


def test_decisions_on_a_synthetic_gallery():
    s = fm.SyntheticFingers(seed=5)
    g = fm.Gallery()
    for subject in range(60):
        for finger in (1, 2):
            g.add(f"s{subject:03d}", fm.template(s.impression(subject, finger, 0)), finger)
    e = fm.Engine(g, backend="cpu")
    mated = [(fm.template(s.impression(7, 1, 1)), 1), (fm.template(s.impression(7, 2, 1)), 2)]
    unenrolled = [(fm.template(s.impression(500, 1, 0)), 1)]
    answers = e.search_subjects_at_fpir([mated, unenrolled], 0.01, top_k=5)
    assert len(answers) == 2
    (cands, dec), (cands_u, dec_u) = answers
    assert dec.target_fpir == 0.01 and dec.subjects == 60
    assert dec.fmr_threshold == pytest.approx(fm.subject_fmr_for_fpir(0.01, 60))
    assert dec.hit and cands[dec.hits[0]].subject == "s007"
    assert len(dec.evidence) == len(cands) == len(dec.fpir)
    for c, ev, f in zip(cands, dec.evidence, dec.fpir):
        assert ev.fmr == pytest.approx(fm.subject_evidence(c.finger_scores).fmr)
        assert f == pytest.approx(fm.fpir_at(ev.fmr, 60))
    assert all(dec.evidence[i].fmr <= dec.fmr_threshold for i in dec.hits)
    assert not dec_u.hit and dec_u.hits == []
    # The module-level rule gives the engine's answer from the same candidates.
    again = fm.decide_at_fpir(cands, 60, 0.01)
    assert again.hits == dec.hits and [x.fmr for x in again.evidence] == [x.fmr for x in dec.evidence]
    for bad in (0.0, 1.0, math.nan):
        with pytest.raises(fm.InvalidArgument):
            e.search_subjects_at_fpir([mated], bad)
        with pytest.raises(fm.InvalidArgument):
            fm.decide_at_fpir(cands, 60, bad)


def test_decisions_equal_fpmatch_search(db1, cli, tmp_path):
    gallery = tmp_path / "g.fpg"
    cli("enroll", "--gallery", gallery, *db1[::2], json_out=False)
    probe_files = db1[1::8]
    want = cli("search", "--gallery", gallery, "--json", "--top", 5, "--backend", "cpu", "--subjects",
               "--fpir", 0.001, *probe_files)
    e = fm.Engine.load(str(gallery), backend="cpu")
    probes = [[fm.template(v) for v in fm.decode(p).views] for p in probe_files]
    got = e.search_subjects_at_fpir(probes, 0.001, top_k=5)
    for w, (cands, dec) in zip(want["probes"], got):
        assert [c["subject"] for c in w["candidates"]] == [c.subject for c in cands]
        assert [c["subject_fmr"] for c in w["candidates"]] == pytest.approx([x.fmr for x in dec.evidence], rel=1e-12)
        assert [c["fpir"] for c in w["candidates"]] == pytest.approx(dec.fpir, rel=1e-12)
        d = w["decision"]
        assert d["hit"] == dec.hit and d["subjects"] == dec.subjects
        assert d["hits"] == [cands[i].subject for i in dec.hits]
