"""The suite's own set-up (tests/conftest.py) under pytest-xdist, as the README's command runs it.

A small suite in a temporary folder runs with this checkout's ``conftest.py`` and markers.
Under ``-n 2 --dist loadgroup`` its serial tests run in one worker, one after another, and
first; under ``-n 2`` alone they still never overlap (the lock of `_one_serial_test_at_a_time`).
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO, TESTS_DIR

from bench.sweep.grid import tomllib  # tomli on Python 3.10

INNER_TESTS = """
import json, os, time
import pytest

def _log(name):
    start = time.time()
    time.sleep(0.2)
    with open(os.environ["INNER_LOG"], "a") as f:
        f.write(json.dumps({"name": name, "worker": os.environ.get("PYTEST_XDIST_WORKER"),
                            "start": start, "end": time.time()}) + "\\n")

@pytest.mark.serial
@pytest.mark.parametrize("i", range(4))
def test_serial(i):
    _log(f"serial{i}")

@pytest.mark.parametrize("i", range(4))
def test_other(i):
    _log(f"other{i}")
"""


def _inner_suite(folder: Path) -> None:
    shutil.copy(TESTS_DIR / "conftest.py", folder / "conftest.py")
    options = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]
    markers = "\n".join(f"    {m}" for m in options["ini_options"]["markers"])
    (folder / "pytest.ini").write_text(f"[pytest]\nmarkers =\n{markers}\n")
    (folder / "test_inner.py").write_text(INNER_TESTS)


def _run_inner(folder: Path, *options: str) -> tuple[subprocess.CompletedProcess, list[dict]]:
    log = folder / "log.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", *options, "-p", "no:cacheprovider", "-q", str(folder)],
        cwd=folder,
        env={**_clean_env(), "INNER_LOG": str(log)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    rows = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return proc, rows


def _serial(rows: list[dict]) -> list[dict]:
    """The serial tests' rows, by start; asserts that no two of them overlapped."""
    serial = sorted((r for r in rows if r["name"].startswith("serial")), key=lambda r: r["start"])
    assert len(serial) == 4, rows
    assert all(a["end"] <= b["start"] for a, b in itertools.pairwise(serial)), serial
    return serial


def test_serial_tests_run_in_one_worker_one_at_a_time(tmp_path):
    _inner_suite(tmp_path)
    proc, rows = _run_inner(tmp_path, "-n", "2", "--dist", "loadgroup")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(rows) == 8
    serial = _serial(rows)
    # one worker: on pytest >= 9.2 with pytest-xdist <= 3.8 the group is lost
    # (pytest-dev/pytest-xdist#1386), which pyproject's test extra rules out
    assert len({r["worker"] for r in serial}) == 1, serial
    # collected first, so the group starts at once rather than after the other tests
    worker = serial[0]["worker"]
    first = min((r for r in rows if r["worker"] == worker), key=lambda r: r["start"])
    assert first["name"].startswith("serial"), rows


def test_serial_tests_take_turns_without_loadgroup(tmp_path):
    """Without ``--dist loadgroup`` they land in both workers; the lock keeps them apart."""
    _inner_suite(tmp_path)
    proc, rows = _run_inner(tmp_path, "-n", "2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(rows) == 8
    serial = _serial(rows)
    assert len({r["worker"] for r in serial}) == 2, serial  # else the lock was not needed


def _clean_env() -> dict[str, str]:
    # the outer session's xdist and pytest variables must not leak into the inner one
    return {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHONPATH"))}
