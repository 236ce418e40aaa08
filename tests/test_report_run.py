"""`gfbench run`, the README's main job: verify, then a sweep, then the report.

One real end-to-end run in a subprocess, on a 16-case grid so that it takes seconds rather than
the quick grid's minutes.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import REPO

TINY_GRID = """
name = "tiny"
why = "a seconds-long grid for the test of gfbench run"

[defaults]
why = "SciPy's defaults"
truncate = { values = [4.0], why = "SciPy's default" }
order = { values = [0], why = "a plain blur" }
cval = { values = [0.0], why = "SciPy's default" }
mode = { values = ["reflect"], why = "SciPy's default" }

[[group]]
name = "tiny"
why = "two sizes, two sigmas, SciPy and one peer"
impl = { values = ["scipy", "opencv-1t"], why = "the subject and the usual alternative" }
dtype = { values = ["float64", "uint8"], why = "a float and an integer dtype" }
shape = { values = [[32, 32], [64, 64]], why = "two small sizes" }
sigma = { values = [1.0, 2.5], why = "two sigmas" }
"""


@pytest.mark.slow  # over 5 s on a quiet machine: the full suite runs it
def test_gfbench_run_verifies_sweeps_and_reports(tmp_path):
    grid = tmp_path / "tiny.toml"
    grid.write_text(TINY_GRID)
    results, reports = tmp_path / "results", tmp_path / "reports"
    command = [sys.executable, "-m", "bench", "run", "--grid", str(grid)]
    command += ["--results", str(results), "--reports", str(reports)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (run_dir,) = [p for p in results.iterdir() if (p / "run.json").is_file()]
    index = reports / run_dir.name / "index.html"
    lines = done.stdout.strip().splitlines()
    assert lines[-1] == f"report: {index}"
    assert "verify: OK" in done.stdout
    assert index.is_file() and (index.parent / "report.md").is_file()
    assert len((run_dir / "cases.jsonl").read_text().splitlines()) == 16
    md = (index.parent / "report.md").read_text()
    assert f"# gfbench report: {run_dir.name}" in md
    assert "**Speed summary**" in md and "### Integer outputs are truncated" in md
