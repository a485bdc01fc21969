"""Galleries, engines and 1:N search: answers equal to `fpmatch search`."""
import concurrent.futures
import os
import pathlib

import numpy as np
import pytest

import fpmatch as fm


@pytest.fixture(scope="module")
def synth_gallery():
    s = fm.SyntheticFingers(seed=21)
    g = fm.Gallery()
    for subject in range(40):
        for finger in (1, 2):
            g.add(f"s{subject:03d}", fm.template(s.impression(subject, finger, 0)), finger)
    probes = [fm.template(s.impression(subject, 1, 1)) for subject in range(0, 40, 3)]
    return g, probes


def test_gallery_editing(synth_gallery, tmp_path):
    g0, probes = synth_gallery
    g = g0.__copy__()
    assert len(g) == 80 and g.live_size == 80 and g.subjects == 40
    i = g.add("extra", probes[0], 3)
    assert i == 80 and g.entry(i).subject == "extra" and g.entry(i).position == 3
    assert g.entry(i).cylinders == probes[0].cylinders and not g.entry(i).removed
    assert fm.match(g.template(i), probes[0]) == fm.match(probes[0], probes[0])
    g.remove(0)
    assert g.entry(0).removed and g.live_size == 80 and len(g) == 81
    assert g.remove_subject("s001") == 2 and g.subjects == 40  # 40 + "extra" - "s001"
    info = g.info()
    assert info["entries"] == 81 and info["live_entries"] == 78 and info["removed_entries"] == 3
    assert info["bytes"] > 0 and info["cylinders"] > 0
    g.compact()
    assert len(g) == 78
    g.reserve(10, 100)
    v = fm.SyntheticFingers(seed=2).impression(1, 4, 0)
    j = g.add("viewed", v)
    assert g.entry(j).position == v.position
    path = tmp_path / "g.fpg"
    g.save(str(path))
    back = fm.Gallery.load(str(path))
    assert len(back) == len(g) and back.subjects == g.subjects and back.load_note == ""
    assert all(back.entry(k).subject == g.entry(k).subject for k in range(len(g)))
    assert len(g0) == 80  # the copy was edited, not the original


def test_gallery_errors(synth_gallery, tmp_path):
    g, probes = synth_gallery
    g = g.__copy__()
    with pytest.raises(fm.InvalidArgument):
        g.add("", probes[0])
    with pytest.raises(fm.InvalidArgument):
        g.add("bad\nid", probes[0])
    with pytest.raises(fm.InvalidArgument):
        g.add("x", probes[0], 11)
    with pytest.raises(fm.InvalidArgument):
        g.remove(10 ** 6)
    with pytest.raises(fm.InvalidArgument):
        g.entry(10 ** 6)
    with pytest.raises(fm.IoError):
        fm.Gallery.load(str(tmp_path / "none.fpg"))
    path = tmp_path / "g.fpg"
    g.save(str(path))
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(fm.CorruptError) as e:
        fm.Gallery.load(str(path))
    assert e.value.code_value == 13
    with pytest.raises(fm.CorruptError):
        fm.Engine.load(str(path))


def test_engine_search_shapes_and_arrays(synth_gallery):
    g, probes = synth_gallery
    e = fm.Engine(g, backend="cpu", threads=2)
    assert e.backend == "cpu" and e.threads == 2 and e.fallback_reason == ""
    one = e.search(probes[0], top_k=5)
    assert len(one) == 5 and one[0].subject == "s000" and one[0].position == 1
    assert [c.score for c in one] == sorted((c.score for c in one), reverse=True)
    batch = e.search(probes, top_k=5)
    assert len(batch) == len(probes)
    assert [(c.index, c.score) for c in batch[0]] == [(c.index, c.score) for c in one]
    idx, scores = e.search_arrays(probes, top_k=5)
    assert idx.shape == scores.shape == (len(probes), 5) and idx.dtype == np.int64 and scores.dtype == np.float32
    for p, cands in enumerate(batch):
        assert list(idx[p]) == [c.index for c in cands] and list(scores[p]) == [c.score for c in cands]
    # Exhaustive scores are those of match_many over the gallery.
    all_scores = fm.match_many(probes[0], [g.template(i) for i in range(len(g))])
    assert one[0].score == all_scores.max() and one[0].index == int(np.argmax(all_scores))
    # Padding when fewer candidates pass min_score.
    idx, scores = e.search_arrays(probes[0], top_k=4, min_score=one[1].score)
    assert idx.shape == (1, 4) and list(idx[0][:2]) == [one[0].index, one[1].index]
    assert all(idx[0][2:] == -1) and np.isnan(scores[0][2:]).all()
    idx, scores = e.search_arrays(probes[:2], top_k=10 ** 12)  # as wide as the gallery, no wider
    assert idx.shape == (2, 80) and not (idx == -1).any() and len(e.search(probes[0], top_k=10 ** 12)) == 80
    assert e.comparisons >= len(g) * (len(probes) + 3)
    assert e.info()["live_entries"] == 80


def test_engine_two_stage_and_subjects(synth_gallery):
    g, probes = synth_gallery
    e = fm.Engine(g, backend="cpu")
    exhaustive = e.search(probes, top_k=3)
    everything = e.search(probes, top_k=3, shortlist=len(g))  # a shortlist of all: the exhaustive answer
    assert [[c.index for c in r] for r in everything] == [[c.index for c in r] for r in exhaustive]
    short = e.search(probes, top_k=3, shortlist_fraction=0.25)
    assert all(len(r) == 3 for r in short)
    subj = e.search_subjects([[(probes[0], 1)], [probes[1]]], top_k=3)
    assert subj[0][0].subject == "s000" and subj[0][0].finger_scores[0] == subj[0][0].score
    assert subj[0][0].finger_entries[0] == exhaustive[0][0].index
    assert len(subj[1]) == 3
    with pytest.raises(fm.InvalidArgument):
        e.search(probes, shortlist=5, shortlist_fraction=0.5)
    with pytest.raises(fm.InvalidArgument):
        e.search(probes, shortlist_fraction=1.5)
    with pytest.raises(fm.InvalidArgument):
        e.search(probes, top_k=0)
    with pytest.raises(fm.InvalidArgument):
        e.search(probes, min_score=float("nan"))
    with pytest.raises(TypeError):
        e.search(["nope"])
    with pytest.raises(fm.InvalidArgument):
        e.search_subjects([[(probes[0], 12)]])


def test_engine_options_and_backends(synth_gallery):
    g, _ = synth_gallery
    with pytest.raises(fm.InvalidArgument):
        fm.Engine(g, backend="tpu")
    with pytest.raises(fm.InvalidArgument):
        fm.Engine(g, simd="sse9")
    with pytest.raises(fm.InvalidArgument):
        fm.Engine(g, threads=5000)
    auto = fm.Engine(g)
    assert auto.backend in ("cpu", "cuda")
    if not fm.runtime_info()["devices"]:
        assert auto.backend == "cpu" and "CUDA" in auto.fallback_reason
        with pytest.raises(fm.Unavailable) as e:
            fm.Engine(g, backend="cuda")
        assert isinstance(e.value, RuntimeError) and e.value.code_value == 14
    scalar = fm.Engine(g, backend="cpu", simd="scalar")
    probe = g.template(5)
    assert [c.score for c in scalar.search(probe)] == [c.score for c in auto.search(probe)]


def test_engine_add_remove(synth_gallery):
    g, probes = synth_gallery
    e = fm.Engine(g, backend="cpu")
    i = e.add("new", probes[0], 1)
    assert e.search(probes[0], top_k=1)[0].index in (i, 0)
    e.remove(i)
    assert all(c.index != i for c in e.search(probes[0]))
    assert e.remove_subject("s000") == 2
    assert all(c.subject != "s000" for c in e.search(probes[0]))
    assert len(g) == 80  # the engine holds its own copy


def test_concurrent_searches_from_threads(synth_gallery):
    g, probes = synth_gallery
    e = fm.Engine(g, backend="cpu", threads=2)
    serial = [e.search_arrays(p, top_k=5) for p in probes]
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        futures = [pool.submit(e.search_arrays, probes[k % len(probes)], top_k=5) for k in range(60)]
        for k, f in enumerate(futures):
            idx, scores = f.result()
            assert np.array_equal(idx, serial[k % len(probes)][0])
            assert np.array_equal(scores, serial[k % len(probes)][1])


def test_search_equals_fpmatch_search(db1, cli, tmp_path):
    # The command's gallery (subject = name up to '_') searched in Python, and
    # the same entries enrolled in Python searched by the command.
    cli_gallery = tmp_path / "cli.fpg"
    cli("enroll", "--gallery", cli_gallery, *db1[::2], json_out=False)
    py = fm.Gallery()
    for path in db1[::2]:
        py.add(os.path.basename(path).split("_")[0], fm.decode(path).views[0])
    py_gallery = tmp_path / "py.fpg"
    py.save(str(py_gallery))
    probe_files = db1[1::8]
    probes = [fm.template(fm.decode(p).views[0]) for p in probe_files]
    for gallery, engine in ((cli_gallery, fm.Engine.load(str(cli_gallery), backend="cpu")),
                            (py_gallery, fm.Engine(py, backend="cpu"))):
        want = cli("search", "--gallery", gallery, "--json", "--top", 7, "--backend", "cpu", *probe_files)
        got = engine.search(probes, top_k=7)
        for w, g in zip(want["probes"], got):
            assert [(c["entry"], c["subject"], c["position"], c["score"]) for c in w["candidates"]] == \
                   [(c.index, c.subject, c.position, c.score) for c in g]
        want = cli("search", "--gallery", gallery, "--json", "--top", 5, "--backend", "cpu", "--shortlist", 10,
                   *probe_files)
        got = engine.search(probes, top_k=5, shortlist=10)
        for w, g in zip(want["probes"], got):
            assert [(c["entry"], c["score"]) for c in w["candidates"]] == [(c.index, c.score) for c in g]


@pytest.mark.skipif(not fm.runtime_info()["devices"], reason="no usable CUDA device (or a build without CUDA)")
def test_cuda_search_equals_cpu(synth_gallery):
    g, probes = synth_gallery
    cpu = fm.Engine(g, backend="cpu").search_arrays(probes, top_k=10)
    cuda = fm.Engine(g, backend="cuda")
    assert cuda.backend == "cuda"
    got = cuda.search_arrays(probes, top_k=10)
    assert np.array_equal(got[0], cpu[0]) and np.array_equal(got[1], cpu[1])
