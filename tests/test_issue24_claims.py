"""Issue 24: what the README and docs say, the tool does (findings 8 and 9), and the scripts
that regenerate the quoted figures still run and print the quoted shape.

Each measurement script in ``scripts/`` prints a header (date, machine, load, command) and
its figures; here each one's ``--help`` parses, and the cheap ones run on the committed
example run (no new timing), so a quoted command cannot silently rot.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest
from conftest import REPO, gfbench_inproc, run_gfbench

EXAMPLE_RUN = REPO / "reports" / "example" / "run"
SCRIPTS = sorted(p for p in (REPO / "scripts").glob("*.py") if not p.name.startswith("_"))


def _script(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout, check=False)  # fmt: skip


def _has_header(text: str) -> None:
    for field in ("# date: ", "# machine: ", "# load average (1/5/15 min): ", "# command: "):
        assert field in text, (field, text[:500])


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_measurement_script_has_a_working_help(script):
    proc = _script(str(script), "--help", timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "usage:" in proc.stdout


def test_measure_unstable_prints_the_quoted_shape():
    proc = _script("scripts/measure_unstable.py", str(EXAMPLE_RUN))
    assert proc.returncode == 0, proc.stderr
    _has_header(proc.stdout)
    line = proc.stdout.strip().splitlines()[-1]
    assert re.search(r": \d+ of \d+ timed rows unstable \(\d+\.\d%\); by reason \{", line), line
    assert re.search(r"shortest sample per row \(ms\): min \d+\.\d{3}, median", line), line


@pytest.mark.slow
def test_measure_drift_reads_identical_runs_as_ratio_one(tmp_path):
    (tmp_path / "g.toml").write_text('[[group]]\nname = "t"\nshape = [[32, 32]]\nsigma = [1.0]\n')
    proc = gfbench_inproc("sweep", "--grid", "g.toml", "--processes", "2", "--repeats", "2",
                          "--no-progress", "--out", "one", cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    (run,) = [p for p in (tmp_path / "one").iterdir() if (p / "run.json").is_file()]
    for name in ("a", "b"):  # the same run twice: every ratio is exactly 1
        shutil.copytree(run, tmp_path / "pair" / name)
    proc = _script("scripts/measure_drift.py", "--reuse", str(tmp_path / "pair"))
    assert proc.returncode == 0, proc.stderr
    _has_header(proc.stdout)
    assert '"cases": 1' in proc.stdout and '"reference_drift": 1.0' in proc.stdout
    assert '"median_abs_log": 0.0' in proc.stdout and '"gmean": 1.0' in proc.stdout
    assert "corrected closer to 1 than raw (median |log ratio|) in 0 of 1 pairs" in proc.stdout


def test_verify_accepts_the_example_group_of_its_own_table():
    proc = run_gfbench("verify", "--group", "example", timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.count("example (seed 7x7)") == 1
    groups = re.findall(r"^(\w[\w ()]*?)\s{2,}\d+\s", proc.stdout, flags=re.M)
    assert groups == ["example (seed 7x7)"], proc.stdout


def test_help_texts_say_what_the_tool_does():
    bigarray = gfbench_inproc("bigarray", "--help")
    assert bigarray.returncode == 0 and "DASK_NUMBERS" not in bigarray.stdout
    assert "a few tiles per thread" not in bigarray.stdout
    matrix = gfbench_inproc("matrix", "--help")
    assert "long-lived worker" in matrix.stdout and "fresh worker processes" not in matrix.stdout
    sweep = gfbench_inproc("sweep", "--help")
    assert "dask is for --no-timing" in " ".join(sweep.stdout.split())


def test_the_example_report_states_the_sweeps_unstable_rule():
    text = " ".join((REPO / "reports" / "example" / "README.md").read_text().split())
    assert "pyperf's rule" not in text
    assert "minima vary by >= 10%" in text and "< 1 ms" in text


def test_ctrl_c_during_timing_says_what_was_kept(tmp_path):
    from rich.console import Console

    from bench.sweep.result import SweepResult, print_summary

    result = SweepResult(run_dir=tmp_path, status="interrupted", counts={}, n_cases=515,
                         n_measured=0, wall_seconds=30.0, accuracy_seconds=0.0, unstable=[],
                         exported=[], summary=[], timing_workers=(2, 3))  # fmt: skip
    err, out = Console(record=True, width=300), Console(record=True, width=300)
    print_summary(err, result, out)
    text = err.export_text() + out.export_text()
    assert "2 of 3 timing workers finished and are kept" in text
    assert "--resume" in text and "0/515 cases stored" in text


@pytest.mark.slow
def test_a_timed_sweep_on_dask_warns_that_a_cluster_is_for_accuracy(tmp_path):
    proc = run_gfbench("sweep", "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9",
                       "--grid", str(REPO / "tests/data/tiny_grid.toml"), cwd=tmp_path,
                       timeout=120)  # fmt: skip
    assert proc.returncode == 2  # the unreachable scheduler; the warning came first
    assert "fresh process(es)" in proc.stderr and "--no-timing" in proc.stderr
