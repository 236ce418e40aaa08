"""Issue 24, findings 3, 6 and 7: every ``--out`` is checked one way, the README's report block
runs in order, and progress goes to stderr while results go to stdout.

- 3: a missing parent folder of any ``--out`` (sweep, report, verify, compare, matrix,
  calibrate, bigarray, and run's --results/--reports) is exit 2 naming the option, and nothing
  is created (before: sweep and report created ``/nonexistent/x`` and exited 0);
- 6: ``gfbench report RUN`` then ``gfbench report results`` (the same run, its default folder)
  both exit 0: a default folder the user never chose does not collide;
- 7: ``matrix`` and ``calibrate`` print progress on stderr; compare's plots do not leak
  matplotlib's "Tight layout not applied" warning.
"""

from __future__ import annotations

import re
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO, gfbench_inproc

GRID = '[[group]]\nname = "tiny"\nshape = [[16, 12]]\nsigma = [1.0, 2.0]\n'


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    """One real untimed run of a 2-case grid (seconds)."""
    folder = tmp_path_factory.mktemp("outs")
    (folder / "g.toml").write_text(GRID)
    proc = gfbench_inproc("sweep", "--grid", "g.toml", "--no-timing", "--no-progress",
                          "--out", "results", cwd=folder)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    (run,) = [p for p in (folder / "results").iterdir() if (p / "run.json").is_file()]
    return run


def _refused(proc, option: str = "--out") -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr
    assert option in proc.stderr and "does not exist" in proc.stderr, proc.stderr


VERBS = {
    "sweep": lambda run: ["sweep", "--grid", "g.toml", "--no-timing", "--out", "missing/x"],
    "report": lambda run: ["report", str(run), "--format", "md", "--out", "missing/deep/r"],
    "verify": lambda run: ["verify", "--group", "documented", "--out", "missing/v.json"],
    "compare": lambda run: ["compare", str(run), str(run), "--out", "missing/c"],
    "matrix": lambda run: [
        "matrix",
        "--scipy",
        "current",
        "--timing",
        "none",
        "--no-verify",
        "--no-sweep",
        "--out",
        "missing/m",
    ],
    "calibrate": lambda run: ["calibrate", "--runs", "1", "--out", "missing/c"],
    "bigarray-file": lambda run: [
        "bigarray",
        "--shape",
        "64",
        "64",
        "--chunks",
        "32",
        "32",
        "--out",
        "missing/b.json",
    ],
    "bigarray-folder": lambda run: [
        "bigarray",
        "--shape",
        "64",
        "64",
        "--chunks",
        "32",
        "32",
        "--out",
        "missing/deep",
    ],
}


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_a_missing_parent_folder_is_exit_2_for_every_out(tiny_run, tmp_path, verb):
    (tmp_path / "g.toml").write_text(GRID)
    proc = gfbench_inproc(*VERBS[verb](tiny_run), cwd=tmp_path)
    _refused(proc)
    assert not (tmp_path / "missing").exists()  # nothing created, no folder tree


@pytest.mark.parametrize("option", ["--results", "--reports"])
def test_run_refuses_a_missing_parent_before_verify(tmp_path, option):
    proc = gfbench_inproc("run", option, "missing/deep", cwd=tmp_path)
    _refused(proc, option)
    assert "reference suite" not in proc.stdout  # verify never ran
    assert not (tmp_path / "missing").exists()


def test_an_out_folder_whose_parent_exists_is_created(tiny_run, tmp_path):
    proc = gfbench_inproc("report", str(tiny_run), "--format", "md", "--out", "new", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "new" / "report.md").is_file()


def _readme_report_block() -> list[str]:
    """The ``gfbench report`` command block of the README or docs/, in order."""
    for page in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        if not page.is_file():
            continue
        for block in re.findall(r"```sh\n(.+?)\n```", page.read_text(), flags=re.S):
            lines = [ln.split("#", 1)[0].strip() for ln in block.splitlines()]
            if lines and lines[0].startswith("gfbench report results/<run-id>"):
                return [ln for ln in lines if ln]
    pytest.fail("no 'gfbench report results/<run-id>' block in README.md or docs/")


@pytest.mark.slow
def test_the_readme_report_block_runs_in_order(tiny_run, tmp_path):
    shutil.copytree(tiny_run, tmp_path / "results" / tiny_run.name)
    block = _readme_report_block()
    assert len(block) >= 3
    for line in block:
        args = line.replace("<run-id>", tiny_run.name).split()[1:]
        proc = gfbench_inproc(*args, "--format", "md", cwd=tmp_path) if "--format" not in args \
            else gfbench_inproc(*args, cwd=tmp_path)  # fmt: skip
        assert proc.returncode == 0, (line, proc.stderr[-1500:])
    assert (tmp_path / "reports" / tiny_run.name / "report.md").is_file()


@pytest.mark.slow  # over 5 s on a quiet machine: the full suite runs it
def test_a_chosen_out_is_still_protected(tiny_run, tmp_path):
    args = ("report", str(tiny_run), "--format", "md", "--out", "mine")
    assert gfbench_inproc(*args, cwd=tmp_path).returncode == 0
    proc = gfbench_inproc(*args, cwd=tmp_path)
    assert proc.returncode == 2 and "--force" in proc.stderr


@pytest.mark.slow
def test_matrix_progress_goes_to_stderr_results_to_stdout(tmp_path):
    proc = gfbench_inproc("matrix", "--scipy", "current", "--timing", "none", "--no-verify",
                          "--no-sweep", "--out", ".", cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "matrix: " in proc.stderr  # progress
    progress = [ln for ln in proc.stdout.splitlines() if re.match(r"(matrix|interleave): ", ln)
                and not ln.startswith("matrix: /") and "..." in ln]  # fmt: skip
    assert not progress, progress
    assert "next: gfbench compare" in proc.stdout  # the result stays on stdout


def test_calibrate_and_interleave_log_to_stderr_by_default(capsys):
    from bench.guard import ab_session as interleave
    from bench.guard.calibrate import command as calibrate
    from bench.guard.matrix import run as matrix_run

    for function in (calibrate.calibrate, interleave.interleaved_timing, matrix_run.run_matrix):
        default = function.__kwdefaults__["log"]
        default("progress line")
        out, err = capsys.readouterr()
        assert out == "" and "progress line" in err, function.__name__


def test_compare_plots_fit_many_series_without_a_layout_warning(tmp_path):
    from bench.guard.compare.plots import plot_time_per_version
    from bench.guard.compare.sides import Side

    def side(label: str, scale: float) -> Side:
        rows = [{"case_id": f"c{i}", "status": "ok", "min_ns": 1e6 * (1 + i) * scale,
                 "family": "quick", "impl": f"implementation-{i % 14}-with-a-long-name",
                 "dtype": ("float32", "float64", "uint8")[i % 3]} for i in range(40)]  # fmt: skip
        return Side(label=label, path=label, frame=pd.DataFrame(rows))

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        written = plot_time_per_version(
            [side("scipy-1.10.1 numpy-1.26.4 (a long label)", 1.0),
             side("scipy-1.17.1 numpy-2.4.6 (another long label)", 1.1)], tmp_path
        )  # fmt: skip
    assert [str(w.message) for w in caught] == []
    assert written and written[0].stat().st_size > 1000
