"""Shared fixtures: the real templates and the fpmatch command-line program.

The real templates are found in $FPM_DATA_DIR or ../shared/data next to the
repository; the program in $FPM_CLI or build/examples/fpmatch of the
repository. Tests that need them are skipped when they are absent, except
under CI=true, where their absence is a failure.
"""
import json
import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def _missing(what: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} not found (CI=true: required)")
    pytest.skip(f"{what} not found")


@pytest.fixture(scope="session")
def data_dir() -> pathlib.Path:
    d = pathlib.Path(os.environ.get("FPM_DATA_DIR") or REPO.parent / "shared" / "data")
    if not (d / "fvc2002_db1b" / "iso").is_dir():
        _missing(f"real data ({d})")
    return d


@pytest.fixture(scope="session")
def db1(data_dir) -> list:
    return sorted(str(p) for p in (data_dir / "fvc2002_db1b" / "iso").iterdir())


@pytest.fixture(scope="session")
def cli():
    exe = pathlib.Path(os.environ.get("FPM_CLI") or REPO / "build" / "examples" / "fpmatch")
    if not os.access(exe, os.X_OK):
        _missing(f"the fpmatch program ({exe})")

    def run(*args, json_out=True):
        out = subprocess.run([str(exe), *map(str, args)], check=True, capture_output=True, text=True).stdout
        return json.loads(out) if json_out else out

    return run
