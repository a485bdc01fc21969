"""A gallery split into shards from Python: the split, the metadata, and
merged shard answers equal to one engine's on the unsplit gallery."""
import pytest

import fpmatch as fm


@pytest.fixture()
def gallery_file(tmp_path):
    sf = fm.SyntheticFingers(seed=77)
    g = fm.Gallery()
    for s in range(30):
        for f in range(1, 1 + s % 3 + 1):
            g.add(f"p{1000 - 13 * s}", fm.template(sf.impression(s, f, 0)), position=f)
    path = tmp_path / "g.fpg"
    g.save(str(path))
    probes = [fm.template(sf.impression(s, 1, 1)) for s in range(0, 30, 4)]
    return path, probes


def test_split_and_merge_equal_one_engine(gallery_file, tmp_path):
    path, probes = gallery_file
    files = fm.split_gallery(str(path), str(tmp_path / "shards"), 3)
    assert [f.split("/")[-1] for f in files] == [fm.shard_file_name(i, 3) for i in range(3)]
    shards = [fm.load_shard(f) for f in files]
    infos = [info for _, info in shards]
    fm.check_complete_split(infos)
    whole = fm.Gallery.load(str(path))
    assert sum(i.entries for i in infos) == len(whole)
    assert len({i.split_id for i in infos}) == 1 and [i.shard for i in infos] == [0, 1, 2]
    engine = fm.Engine(whole, backend="cpu", threads=1)
    engines = [fm.Engine(g, backend="cpu", threads=1) for g, _ in shards]
    for top in (1, 7, 100):
        expect = engine.search(probes, top_k=top)
        per_shard = [e.search(probes, top_k=top) for e in engines]
        for p in range(len(probes)):
            lists = [fm.to_source_indices(infos[r], per_shard[r][p]) for r in range(3)]
            got = fm.merge_shard_candidates(lists, top)
            assert [(c.index, c.subject, c.score) for c in got] == [(c.index, c.subject, c.score) for c in expect[p]]
        finger_probes = [[(probes[0], 1)], [(probes[1], 0), (probes[2], 1)]]
        sexpect = engine.search_subjects(finger_probes, top_k=top)
        sper = [e.search_subjects(finger_probes, top_k=top) for e in engines]
        for p in range(2):
            lists = [fm.to_source_indices(infos[r], sper[r][p]) for r in range(3)]
            got = fm.merge_shard_subjects(lists, top)
            assert [(c.subject, c.score, c.finger_entries) for c in got] == \
                [(c.subject, c.score, c.finger_entries) for c in sexpect[p]]


def test_metadata_and_refusals(gallery_file, tmp_path):
    path, _ = gallery_file
    files = fm.split_gallery(str(path), str(tmp_path / "w"), 2, weights=[3, 1])
    a, b = (fm.read_shard_info(f) for f in files)
    assert a.weight == 3 and b.weight == 1 and a.entries > b.entries
    assert list(a.global_index) == sorted(a.global_index) and len(a.subject_rank) == a.subjects
    other = fm.split_gallery(str(path), str(tmp_path / "o"), 2)
    with pytest.raises(fm.InvalidArgument):
        fm.check_complete_split([a, fm.read_shard_info(other[1])])
    with pytest.raises(fm.InvalidArgument):
        fm.split_gallery(str(path), str(tmp_path / "x"), 0)
    with pytest.raises(fm.InvalidArgument):
        fm.split_gallery(str(path), str(tmp_path / "x"), 2, weights=[1])
    with open(files[0] + ".shard", "r+b") as f:
        f.seek(60)
        f.write(b"\x55")
    with pytest.raises(fm.CorruptError):
        fm.read_shard_info(files[0])
