"""Whole-call instruction counts (``bench.sweep.callcount``): Python and native, under callgrind.

The fast tests read hand-written callgrind dumps (the entry-symbol figure of nested entry
symbols is not counted twice). The ``valgrind`` tests count real SciPy calls: two fresh
valgrind processes give the same counts (within 0.05%); a planted Python-level loop
(``scipy_variants:python_work_30pct``) moves the whole-call count by tens of percent and the
native core's count not at all; a sweep with the default scope records it in run.json and rows.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PATCH_VAR, REPO, TESTS_DIR, gfbench_env, run_gfbench

from bench.sweep.callcount import CallCount, count_call_instructions, read_dump
from bench.sweep.cases import Case

DUMP = """version: 1
creator: gfbench-test
positions: line
events: Ir

fn=(1) main
1 100
cfn=(2) outer
calls=1 0
1 900

fn=(2)
1 200
cfn=(3) inner
calls=1 0
1 700

fn=(3)
1 700

totals: 1000
"""


@pytest.mark.parametrize(
    ("patterns", "entry"),
    [(["outer", "inner"], 900), (["inner"], 700), (["out*"], 900), (["no-such"], 0)],
)
def test_the_entry_figure_is_inclusive_and_never_counts_nested_symbols_twice(
    tmp_path, patterns, entry
):
    path = tmp_path / "cg.out.1"
    path.write_text(DUMP)
    assert read_dump(path, patterns) == (1000, entry)
    assert read_dump(path, []) == (1000, None)


def test_a_count_must_be_positive():
    with pytest.raises(ValueError, match=r"CallCount.call must be > 0"):
        CallCount(call=0.0, entry=None)


CASES = [
    Case(impl="scipy", dtype=d, shape=(64, 64), sigma=2.0, mode="reflect", truncate=4.0)
    for d in ("float64", "uint8")
]


def _count(patch: str | None = None) -> dict:
    env = gfbench_env(patch)
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    # both cases in one fresh valgrind process: the interpreter start-up under valgrind is most
    # of a count; every count sees the cases in the same order, after the same history
    return count_call_instructions(CASES, env=env, processes=1)


def test_the_worker_loads_the_hooks_file_without_pytest_or_mpmath():
    """The counting worker's imports, each paid again under valgrind in every environment: the
    client-request binding comes from the file ``import pytest_codspeed...`` loads (the same
    functions), but without the package's ``__init__`` and so without pytest; and building
    cases and inputs does not import mpmath (only the oracle's ideal weights need it)."""
    from importlib import import_module

    from bench.sweep.callcount import load_hooks

    by_name = import_module("pytest_codspeed.instruments.hooks.dist_instrument_hooks")
    assert load_hooks().__file__ == by_name.__file__
    script = (
        "import sys\n"
        "from bench.sweep.callcount import load_hooks\n"
        "from bench.sweep import impls\n"
        "from bench.sweep.inputs import input_for\n"
        "hooks = load_hooks()\n"
        "assert callable(hooks.callgrind_start_instrumentation)\n"
        "assert callable(hooks.instrument_hooks_set_executed_benchmark)\n"
        "print(sorted(m for m in ('pytest', 'pytest_codspeed', 'mpmath') if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=REPO, timeout=120, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "[]", proc.stdout


@pytest.mark.valgrind
@pytest.mark.slow
def test_whole_call_counts_repeat_exactly_and_see_python_level_work():
    first, second = _count(), _count()
    planted = _count("scipy_variants:python_work_30pct")
    for case in CASES:
        a, b, p = first[case.case_id], second[case.case_id], planted[case.case_id]
        assert isinstance(a, CallCount), a
        # two fresh valgrind processes: the same count to far under the gate's 1%. Quiet and
        # alone they agree to 0.017%; run beside other valgrind tests under xdist they moved
        # by 0.077% (2026-12-02, full suite) and 0.053% (2026-12-03, -n 2 beside
        # test_matrix_instructions: 994,250 vs 993,723 per call), the heap-layout effect
        # docs/measurements.md describes; 0.2% is 5x under the gate
        assert b.call == pytest.approx(a.call, rel=2e-3)
        assert b.entry == pytest.approx(a.entry, rel=2e-3)
        assert 0 < a.entry < a.call  # the C core is most of the call, not all of it
        assert p.call / a.call > 1.10  # the Python loop is counted ...
        # ... and the C core did not move beyond the A/A spread of a different process's heap
        # history (measured 0.077% here in the full suite, run beside another xdist worker)
        assert p.entry == pytest.approx(a.entry, rel=2e-3)


@pytest.mark.valgrind
@pytest.mark.slow
def test_a_sweep_counts_the_whole_call_by_default(tmp_path):
    grid = tmp_path / "grid.toml"
    grid.write_text((TESTS_DIR / "data" / "callcount_grid.toml").read_text())
    proc = run_gfbench(
        "sweep", "--grid", str(grid), "--metric", "instructions", "--no-timing",
        "--no-progress", "--out", str(tmp_path / "out"), "--json", timeout=900,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    run = Path(json.loads(proc.stdout)["run_dir"])
    meta = json.loads((run / "run.json").read_text())
    assert meta["instructions"]["scope"] == "call"
    rows = [json.loads(line) for line in (run / "cases.jsonl").read_text().splitlines()]
    assert len(rows) == 2
    for row in rows:
        assert 0 < row["instructions_entry"] < row["instructions"]
        # the profiles are kept in the run folder, always, and the row names them
        assert row["callgrind_profile"] == f"profiles/{row['case_id']}.callgrind.gz"
        assert row["bytecode_profile"] == f"profiles/{row['case_id']}.bytecodes.json.gz"
        for name in (row["callgrind_profile"], row["bytecode_profile"]):
            assert (run / name).is_file()
    assert PATCH_VAR not in meta["instructions"]
