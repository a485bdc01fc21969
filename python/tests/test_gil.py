"""The GIL is released while the library works: another Python thread runs
in the middle of a long match_many, match_all_pairs, search and templates call."""
import threading
import time

import pytest

import fpmatch as fm


@pytest.fixture(scope="module")
def many():
    s = fm.SyntheticFingers(seed=4)
    views = [s.impression(k, 1 + k % 10, 0) for k in range(600)]
    return views, fm.templates(views)


def runs_alongside(call, min_seconds=0.2):
    """True when the main thread ran Python code well inside `call` running
    on another thread (50 ms from either end: longer than the interpreter's
    5 ms switch interval, so not a switch just before or after the call)."""
    span, ticks = [], []

    def worker():
        t0 = time.perf_counter()
        call()
        span.extend([t0, time.perf_counter()])

    t = threading.Thread(target=worker)
    t.start()
    while t.is_alive():
        ticks.append(time.perf_counter())
        time.sleep(0.001)
    t.join()
    t0, t1 = span
    assert t1 - t0 >= min_seconds, "the call was too short to tell; make it longer"
    return any(t0 + 0.05 < x < t1 - 0.05 for x in ticks)


def test_match_many_releases_the_gil(many):
    _, ts = many
    assert runs_alongside(lambda: fm.match_many(ts[0], ts * 150))


def test_match_all_pairs_releases_the_gil(many):
    _, ts = many
    assert runs_alongside(lambda: fm.match_all_pairs(ts[:60], ts * 2, threads=1))


def test_search_releases_the_gil(many):
    _, ts = many
    g = fm.Gallery()
    for k, t in enumerate(ts * 3):
        g.add(f"s{k}", t, 0)
    e = fm.Engine(g, backend="cpu", threads=1)
    assert runs_alongside(lambda: e.search(ts[:40], top_k=3))


def test_templates_release_the_gil(many):
    views, _ = many
    assert runs_alongside(lambda: fm.templates(views * 2, threads=1))
