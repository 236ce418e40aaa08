"""The instruction-count metric: ``gfbench sweep --metric instructions`` and its compare gate.

Fast tests check the verdict logic on seeded synthetic runs (no valgrind). The tests marked
``valgrind`` run the real thing: every adapter's entry symbols count > 0 instructions
under callgrind (a renamed symbol fails here), and two real sweeps of a tiny grid compare
exit 0, while a planted 5% of extra SciPy work (``scipy_variants:extra_work_5pct``) exits 3
naming the cases.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import REPO, TESTS_DIR, gfbench_inproc
from synthetic_runs import case_params, make_rows, write_run

from bench.exitcodes import ExitCode, UsageError
from bench.guard.compare.instructions import (
    check_threshold,
    compare_instructions,
    instruction_verdict,
    uncounted_impls,
)
from bench.guard.compare.result import compare
from bench.guard.stats import verdicts as gate
from bench.sweep import impls
from bench.sweep.cases import Case
from bench.sweep.instructions import (
    PROCESSES_VAR,
    assign_counts,
    count_instructions,
    entry_symbols,
    read_parts,
)

CASES = case_params(40)

# -- the verdict: deterministic, no noise model --------------------------------------------------


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [
        (1.0, gate.SAME),
        (1.0099, gate.SAME),
        (1.01, gate.SLOWER),
        (1.05, gate.SLOWER),
        (1 / 1.0099, gate.SAME),
        (1 / 1.01, gate.FASTER),
        (0.5, gate.FASTER),
    ],
)
def test_verdict_is_the_ratio_against_the_threshold(ratio, expected):
    assert instruction_verdict(ratio, 0.01) == expected


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.1, float("nan"), "1%"])
def test_a_bad_threshold_is_a_usage_error(bad):
    with pytest.raises(UsageError, match="--instructions-threshold"):
        check_threshold(bad)


@functools.cache
def _base_rows() -> tuple[dict, ...]:
    """The cases' rows without counts, made once: the instruction comparison reads only their
    keys and status, not the simulated timings (``make_rows`` spends its time on those)."""
    return tuple(make_rows(CASES, seed=0))


def _frame(seed: int, *, planted: float = 1.0, planted_dtype: str | None = None) -> pd.DataFrame:
    """Synthetic rows with counts: A/A jitter up to +-0.05% (10x the spread measured here)."""
    rows = [dict(row) for row in _base_rows()]
    rng = np.random.default_rng(seed + 1000)
    for i, row in enumerate(rows):
        extra = planted if planted_dtype in (None, row["dtype"]) else 1.0
        row["instructions"] = 1e6 * (1 + i % 5) * (1 + rng.uniform(-5e-4, 5e-4)) * extra
    return pd.DataFrame(rows)


@pytest.mark.slow  # over 5 s on a quiet machine: the full suite runs it
def test_simulated_error_rates():
    """200 seeded A/A pairs: no case ever flagged; 200 pairs with 5% planted: every case."""
    false_flags = missed = 0
    for seed in range(200):
        a, b = _frame(2 * seed), _frame(2 * seed + 1)
        false_flags += int((compare_instructions(a, b)["verdict"] != gate.SAME).sum())
        # B's own counts, 5% more (what _frame(2 * seed + 1, planted=1.05) draws, not drawn again)
        b_planted = b.assign(instructions=b["instructions"] * 1.05)
        planted = compare_instructions(a, b_planted)
        missed += int((planted["verdict"] != gate.SLOWER).sum())
    assert false_flags == 0
    assert missed == 0


def test_a_plant_in_one_dtype_names_only_its_cases():
    a, b = _frame(1), _frame(2, planted=1.05, planted_dtype="uint8")
    result = compare_instructions(a, b)
    assert len(result) == len(CASES)
    slower = result[result["verdict"] == gate.SLOWER]
    assert set(slower["dtype"]) == {"uint8"}
    assert len(slower) == sum(c["dtype"] == "uint8" for c in CASES)
    assert slower["ratio"].between(1.04, 1.06).all()


def test_wall_time_is_reported_beside_and_disagreement_is_said():
    a, b = _frame(1), _frame(2)
    perf = pd.DataFrame(
        {
            "case_id": [c["case_id"] for c in CASES],
            "ratio": 1.5,
            "verdict": gate.SLOWER,
        }
    )
    result = compare_instructions(a, b, perf=perf)
    assert (result["time_verdict"] == gate.SLOWER).all()
    assert (result["agreement"] == "disagree: instructions same, wall time slower").all()
    agreeing = compare_instructions(a, _frame(2, planted=1.05), perf=perf)
    assert (agreeing["agreement"] == "agree").all()


def test_only_cases_counted_on_both_sides_are_compared():
    a, b = _frame(1), _frame(2)
    b.loc[:4, "instructions"] = None  # e.g. an implementation without an entry symbol
    assert len(compare_instructions(a, b)) == len(CASES) - 5
    assert uncounted_impls(a, b) == ["scipy"]
    assert compare_instructions(a.drop(columns="instructions"), b).empty


def _write(folder: Path, frame: pd.DataFrame, *, slower_time: float = 1.0) -> Path:
    rows = make_rows(CASES, seed=int(folder.name[-1]), slowdown=slower_time)
    for row, count in zip(rows, frame["instructions"], strict=True):
        row["instructions"] = float(count)
    return write_run(folder, rows)


def _cli(*args: str) -> subprocess.CompletedProcess:
    """``gfbench compare ARGS`` through ``bench.cli.main`` in this process."""
    return gfbench_inproc("compare", *map(str, args), cwd=REPO, timeout=300)


def test_compare_gates_on_instructions(tmp_path):
    a = _write(tmp_path / "run-1", _frame(1))
    same = _write(tmp_path / "run-2", _frame(2))
    proc = _cli(a, same)
    assert proc.returncode == ExitCode.OK, proc.stdout + proc.stderr
    assert f"instructions ({len(CASES)} counted cases, deterministic): 0 slower" in proc.stdout
    planted = _write(tmp_path / "run-3", _frame(3, planted=1.05, planted_dtype="uint8"))
    proc = _cli(a, planted, "--json")
    assert proc.returncode == ExitCode.PERF_REGRESSION, proc.stdout + proc.stderr
    pair = json.loads(proc.stdout)["comparisons"][0]
    assert pair["regressions"] == ["instructions"]
    flagged = {r["case_id"] for r in pair["instructions"] if r["verdict"] == gate.SLOWER}
    assert flagged == {c["case_id"] for c in CASES if c["dtype"] == "uint8"}
    text = _cli(a, planted).stdout
    assert "verdict: perf_regression (exit 3, reason: instructions)" in text


def test_instructions_decide_their_cases_even_when_wall_time_is_slower(tmp_path):
    """Wall time 1.5x slower, instructions equal: reported as a disagreement, not a regression."""
    a = _write(tmp_path / "run-1", _frame(1))
    b = _write(tmp_path / "run-2", _frame(2), slower_time=1.5)
    result = compare([a, b])
    pair = result.pairs[0]
    assert pair.exit_code == ExitCode.OK
    assert (pair.instructions["agreement"].str.startswith("disagree")).any()
    assert any("disagree" in note for note in pair.notes)
    assert compare([a, b], instructions_threshold=0.01).exit_code == ExitCode.OK


def test_compare_rejects_a_bad_instructions_threshold(tmp_path):
    a = _write(tmp_path / "run-1", _frame(1))
    proc = _cli(a, a, "--instructions-threshold", "5")
    assert proc.returncode == ExitCode.USAGE
    assert "--instructions-threshold must be a fraction in (0, 1)" in proc.stderr


# -- reading callgrind's dumps -------------------------------------------------------------------


def test_dump_parts_map_to_cases(tmp_path):
    for part, total in enumerate([5, 300, 7, 600, 0, 0], start=1):
        (tmp_path / f"cg.out.{part}").write_text(f"events: Ir\nsummary: {total}\ntotals: {total}\n")
    (tmp_path / "cg.out").write_text("summary: 0\n")  # the final dump at exit: not a part
    cases = [Case(impl="scipy", dtype="float64", shape=(8, 8), sigma=s) for s in (1.0, 2.0, 3.0)]
    parts = read_parts(tmp_path)
    assert parts == {1: 5, 2: 300, 3: 7, 4: 600, 5: 0, 6: 0}
    counts = assign_counts(cases, [None, None, "ValueError: boom"], parts, calls=3)
    assert counts[cases[0].case_id] == 100.0
    assert counts[cases[1].case_id] == 200.0
    assert counts[cases[2].case_id] == "error: ValueError: boom"
    zero = assign_counts(cases, [None, None, None], parts, calls=3)[cases[2].case_id]
    assert zero.startswith("error: 0 instructions inside the entry symbols NI_Correlate1D")
    shifted = assign_counts(cases, [None] * 3, {**parts, 7: 9}, calls=3)
    assert all("expected 6" in v for v in shifted.values())


# -- entry symbols -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", impls.names())
def test_every_adapter_declares_entry_symbols_or_why_not(name):
    symbols, reason = entry_symbols(name)
    assert bool(symbols) != bool(reason)
    assert all(isinstance(s, str) and s for s in symbols)


@pytest.mark.valgrind
def test_every_entry_symbol_counts_instructions():
    """One small case per adapter with symbols, all in 1 valgrind process: each count > 0."""
    cases = []
    for name in impls.names():
        adapter = impls.get(name)
        if not adapter.entry_symbols or adapter.available() is not None:
            continue
        dtype = "uint8" if name == "pillow" else "float32"
        cases.append(Case(impl=name, dtype=dtype, shape=(32, 32), sigma=2.0, mode="nearest"))
    assert any(c.impl == "scipy" for c in cases)
    # one valgrind process: each one imports NumPy, SciPy and bench under callgrind, ~25 s of
    # CPU that two processes pay twice (measured 107 s of CPU for all 7 cases in one process)
    counts = count_instructions(cases, processes=1)
    for case in cases:
        value = counts[case.case_id]
        assert isinstance(value, float) and value > 0, (case.impl, value)
    # a direct convolution does at least one multiply-add per tap, pixel and axis
    scipy_case = next(c for c in cases if c.impl == "scipy")
    assert counts[scipy_case.case_id] > 32 * 32 * 2 * (2 * 8 + 1)


def test_unsupported_and_unavailable_cases_say_why():
    if shutil.which("valgrind") is None:
        pytest.skip("needs valgrind")
    case = Case(impl="opencv-1t", dtype="float32", shape=(8, 8), sigma=1.0)
    assert count_instructions([case])[case.case_id].startswith("unsupported: ")


def test_a_missing_valgrind_is_a_usage_error(tmp_path):
    proc = gfbench_inproc(  # no valgrind on this PATH
        "sweep", "--metric", "instructions", "--dry-run", cwd=tmp_path, env={"PATH": str(tmp_path)}
    )
    assert proc.returncode == ExitCode.USAGE
    assert "--metric instructions is unavailable: valgrind is not on PATH" in proc.stderr
    assert "Traceback" not in proc.stderr


# -- end to end: real sweeps under callgrind, then compare ---------------------------------------

TINY_GRID = """
name = "instructions-tiny"
why = "two SciPy cases: the end-to-end test of the instruction gate"
[defaults]
why = "shared"
truncate = { values = [4.0], why = "default" }
order = { values = [0], why = "a blur" }
cval = { values = [0.0], why = "default" }
mode = { values = ["reflect"], why = "default" }
[[group]]
name = "g"
why = "float and 8-bit"
impl = { values = ["scipy"], why = "the subject" }
dtype = { values = ["float64", "uint8"], why = "two C paths" }
shape = { values = [[48, 40]], why = "small" }
sigma = { values = [2.0], why = "radius 8" }
"""


def _sweep(grid: Path, out: Path, patch: str | None = None) -> Path:
    env = {k: v for k, v in os.environ.items() if k != "GFBENCH_SCIPY_PATCH"}
    # both cases in one valgrind process: the interpreter start-up and the imports under
    # callgrind (~25 s of CPU each) are most of a sweep; the same order in every sweep
    env[PROCESSES_VAR] = "1"
    if patch is not None:
        env["GFBENCH_SCIPY_PATCH"] = patch
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS_DIR), env.get("PYTHONPATH")]))
    # the entry-symbol scope: these figures are of SciPy's C core alone (test_callcount.py
    # tests the whole-call default)
    args = ["--grid", str(grid), "--metric", "instructions", "--instructions-scope", "entry",
            "--no-timing", "--no-progress"]  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "sweep", *args, "--out", str(out), "--json"],
        capture_output=True,
        text=True,
        cwd=out.parent,
        env=env,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert (f"WARNING scipy.ndimage patched by GFBENCH_SCIPY_PATCH={patch}" in proc.stderr) == (
        patch is not None
    )
    return Path(json.loads(proc.stdout)["run_dir"])


@pytest.mark.valgrind
def test_real_sweeps_pass_and_a_planted_five_percent_fails(tmp_path):
    grid = tmp_path / "grid.toml"
    grid.write_text(TINY_GRID)
    runs = [_sweep(grid, tmp_path / "out"), _sweep(grid, tmp_path / "out")]
    runs.append(_sweep(grid, tmp_path / "out", patch="scipy_variants:extra_work_5pct"))
    meta = json.loads((runs[2] / "run.json").read_text())
    assert meta["timing"]["metric"] == "instructions"
    assert meta["instructions"]["patch"] == "scipy_variants:extra_work_5pct"
    assert meta["instructions"]["entry_symbols"]["scipy"] == ["NI_Correlate1D"]

    same = _cli(runs[0], runs[1], "--json")
    assert same.returncode == ExitCode.OK, same.stdout + same.stderr
    records = json.loads(same.stdout)["comparisons"][0]["instructions"]
    assert len(records) == 2
    assert all(abs(r["ratio"] - 1) < 1e-3 for r in records)  # A/A: < 0.1%

    planted = _cli(runs[0], runs[2])
    assert planted.returncode == ExitCode.PERF_REGRESSION, planted.stdout + planted.stderr
    assert "reason: instructions" in planted.stdout
    for label in ("scipy float64 48x40", "scipy uint8 48x40"):
        assert any(line.startswith("slower") and label in line
                   for line in planted.stdout.splitlines()), planted.stdout  # fmt: skip
    ratios = [r["ratio"] for r in json.loads(_cli(runs[0], runs[2], "--json").stdout)
              ["comparisons"][0]["instructions"]]  # fmt: skip
    # 48 rows: 2 (round(2.4)) filtered again = 4.2% more lines (and their borders)
    assert all(1.02 < r < 1.10 for r in ratios), ratios
