"""One real ``gfbench matrix`` build: an older SciPy from PyPI, cached between runs.

Marked ``slow`` and skipped unless selected (``pytest -m slow``, or ``GFBENCH_SLOW=1``):
the first build downloads SciPy, numpy and the harness' dependencies (about 40 s with
pip on the 2-core VM, see the README); later runs reuse the cached environment under
``~/.cache/gfbench/test-envs`` and take seconds plus the verify and sweep inside.
``test_matrix.py`` exercises the same code path with a local fake on every run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.guard.compare import command as compare
from bench.guard.compare import correctness as changes
from bench.guard.matrix import command as matrix

REPO = Path(__file__).resolve().parents[1]
GRID = REPO / "tests" / "data" / "tiny_grid.toml"
# the oldest SciPy with wheels for this Python: 1.10.1 predates axes= (1.11)
OLD_SCIPY = {(3, 10): "1.10.1", (3, 11): "1.10.1", (3, 12): "1.11.4", (3, 13): "1.14.1"}.get(
    sys.version_info[:2], "1.14.1"
)


def pair_rows(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "cases.jsonl").read_text().splitlines()]


@pytest.fixture
def slow_selected(request):
    expr = request.config.getoption("markexpr") or ""
    if os.environ.get("GFBENCH_SLOW") != "1" and ("slow" not in expr or "not slow" in expr):
        pytest.skip("real environment build (PyPI, ~1 min): run with `pytest -m slow`")


@pytest.mark.slow
def test_real_build_verify_sweep_and_compare(tmp_path, slow_selected):
    cache = Path.home() / ".cache" / "gfbench" / "test-envs"
    out = matrix.run_matrix(
        scipy=[OLD_SCIPY], grid=str(GRID), out=tmp_path, cache_dir=cache, rounds=2,
        log=lambda m: None,
    )  # fmt: skip
    env = json.loads((out / "matrix.json").read_text())["environments"][0]
    assert env["status"] == "ok", env["error"]
    assert env["versions"]["scipy"] == OLD_SCIPY
    numpy_major = int(env["versions"]["numpy"].split(".")[0])
    if OLD_SCIPY.startswith("1.10"):
        assert numpy_major == 1  # SciPy 1.10 wheels need numpy < 1.27: resolved, not guessed
    assert env["verify_exit"] == 0, "the reference suite must pass on " + OLD_SCIPY
    assert env["sweep_exits"] == [0]  # the untimed sweep; timing is interleaved

    # the same grid in this (newer) environment, then compare old -> new
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "sweep", "--grid", str(GRID), "--impl", "scipy",
         "--out", str(tmp_path / "here"), "--no-progress"],
        capture_output=True, text=True, cwd=REPO, timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    here = next((tmp_path / "here").iterdir())
    pair = compare.compare([out / env["folder"], here]).pairs[0]
    # Measured: between SciPy 1.10 (numpy 1.26) and SciPy 1.17 (numpy 2.x) integer and
    # float32 outputs are bit-identical, float64 ones differ in the last bits -- numpy's
    # doing (SciPy 1.14.1 on numpy 1.26 vs 2.2 shows the same differences).
    changed = [c for c in pair.changes if c["kind"] == changes.OUTPUT]
    old_run = next((out / env["folder"] / "runs").iterdir())
    rows = {"a": {r["case_id"]: r for r in pair_rows(old_run)},
            "b": {r["case_id"]: r for r in pair_rows(here)}}  # fmt: skip
    for change in changed:
        for side in ("a", "b"):
            row = rows[side][change["case_id"]]
            assert row["dtype"] == "float64", change
            assert row["max_abs_error"] < 1e-12, change  # both within float64 rounding
    assert pair.environment["versions"]["scipy"]["a"] == OLD_SCIPY
    assert len(pair.perf) > 0  # timed on both sides (samples as units: "here" is one process)
