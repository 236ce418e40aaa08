"""Speed targets of the decisive gate (issue 13) as pytest-benchmark benchmarks.

Targets, on this project's 2-core VMs (the figures measured are in the README, "Did it get
slower?"):

- ``gfbench run`` of the quick grid (timed in 3 workers, report included): <= 3 minutes;
- one A/B session of the quick grid's scipy cases, sequential rounds included: < 5 minutes;
- ``gfbench calibrate --runs 20``: < 15 minutes.

No test fails on time: pytest-benchmark records it. The full-size targets take minutes, so
they run only with ``GFBENCH_PERF_TARGETS=1``::

    GFBENCH_PERF_TARGETS=1 pytest tests/perf/test_gate_speed.py --benchmark-enable

Without it (gfbench's CI, ``--benchmark-disable``) each benchmark runs the same code path once
on a two-case grid, so the path stays tested.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.guard.ab_session import EnvUnderTest, ab_session
from bench.guard.calibrate import command as calibrate
from bench.guard.stats.sequential_design import SequentialDesign

REPO = Path(__file__).resolve().parents[2]
FULL = os.environ.get("GFBENCH_PERF_TARGETS") == "1"
TINY_GRID = str(REPO / "tests" / "data" / "matrix_grid.toml")


def _once(benchmark, fn):
    return benchmark.pedantic(fn, rounds=1, iterations=1, warmup_rounds=0)


def test_run_quick_grid(benchmark, tmp_path):
    grid = "quick" if FULL else TINY_GRID

    def run() -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "bench", "run", "--grid", grid, "--json",
             "--results", str(tmp_path / "r"), "--reports", str(tmp_path / "report")],
            capture_output=True, text=True, timeout=900, check=False,
        )  # fmt: skip

    proc = _once(benchmark, run)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert Path(json.loads(proc.stdout)["report"]).is_file()


def test_ab_session_of_the_quick_scipy_cases(benchmark, tmp_path):
    grid = "quick" if FULL else TINY_GRID
    untimed = calibrate.sweep_once(tmp_path / "untimed", grid=grid, impl=["scipy"],
                                   extra=["--no-timing"])  # fmt: skip
    envs = []
    for name in ("A", "B"):
        (tmp_path / name).mkdir()
        envs.append(EnvUnderTest(name, Path(sys.executable), untimed, tmp_path / name))
    design = SequentialDesign() if FULL else SequentialDesign(min_rounds=2, max_rounds=3)
    session = _once(benchmark, lambda: ab_session(envs, design=design, log=lambda m: None))
    assert session.rounds >= design.min_rounds and not session.failed
    assert set(session.runs) == {"A", "B"}


def test_calibrate_twenty_sessions(benchmark, tmp_path):
    kwargs = (
        {"n_runs": 20}
        if FULL
        else {"n_runs": 1, "grid": TINY_GRID, "processes": 2, "max_rounds": 3,
              "inject_dtype": "uint8"}
    )  # fmt: skip
    result = _once(
        benchmark,
        lambda: calibrate.calibrate(out=tmp_path / "cal", log=lambda m: None, **kwargs),
    )
    assert result["summary"]["pairs"] == kwargs["n_runs"]
