"""``--cache-sim``: callgrind's cache simulation beside the whole-call instruction count (issue 22).

The fast tests read a hand-written dump with the nine events of ``--cache-sim=yes`` and show
the misses in compare beside the instructions (no verdict of their own). The ``valgrind``
test sweeps two real SciPy cases with ``--cache-sim`` and checks the misses against what a
cache hierarchy must give: the last level is reached only on a first-level miss, so it misses
at most as often, and a 64x64 float64 call reads and writes 64 KiB, twice the 32 KiB L1 data
cache of valgrind's model of this CPU, so it must miss in L1 hundreds of times per call.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import DATA_DIR, run_gfbench

from bench import store
from bench.guard.compare.instructions import compare_instructions
from bench.guard.compare.render import _misses_text
from bench.sweep.callcount import L1_EVENTS, LL_EVENTS, read_totals

DUMP = """version: 1
creator: gfbench-test
positions: line
events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw
summary: 0

fn=(1) main
1 1000 300 200 40 30 20 4 3

totals: 1000 300 200 40 30 20 4 3
"""


@pytest.mark.parametrize("compressed", [False, True])
def test_read_totals_names_every_event_and_fills_the_trailing_zero(tmp_path, compressed):
    path = tmp_path / ("cg.out.1.gz" if compressed else "cg.out.1")
    opener = gzip.open if compressed else open
    with opener(path, "wt") as fh:
        fh.write(DUMP)
    totals = read_totals(path)
    # the header's "summary: 0" (instrumentation switched on later) is not the total; DLmw is
    # left out of the totals line: callgrind drops trailing zeros
    assert totals == {"Ir": 1000, "Dr": 300, "Dw": 200, "I1mr": 40, "D1mr": 30, "D1mw": 20,
                      "ILmr": 4, "DLmr": 3, "DLmw": 0}  # fmt: skip
    assert sum(totals[e] for e in L1_EVENTS) == 90
    assert sum(totals[e] for e in LL_EVENTS) == 7


def test_read_totals_refuses_a_file_that_is_no_dump(tmp_path):
    path = tmp_path / "cg.out.1"
    path.write_text("hello\n")
    with pytest.raises(ValueError, match="not a callgrind dump"):
        read_totals(path)
    path.write_text("events: Ir\nfn=(1) main\n1 10\n")  # cut off before its totals
    with pytest.raises(ValueError, match="not a callgrind dump"):
        read_totals(path)


def _side(instructions: float, l1: float | None, ll: float | None) -> pd.DataFrame:
    return pd.DataFrame([{
        "case_id": "0123456789ab", "impl": "scipy", "dtype": "float64", "shape": (64, 64),
        "sigma": 2.0, "mode": "reflect", "status": "ok", "family": "2d",
        "instructions": instructions, "instructions_entry": instructions / 2,
        "l1_misses": l1, "ll_misses": ll,
    }])  # fmt: skip


def test_compare_puts_the_misses_beside_the_instruction_verdict():
    result = compare_instructions(_side(1e6, 2000.0, 20.0), _side(1.001e6, 3000.0, 20.0))
    row = result.iloc[0]
    assert row["verdict"] == "same"  # 0.1% more instructions: the misses do not decide
    assert row["l1_ratio"] == pytest.approx(1.5) and row["ll_ratio"] == pytest.approx(1.0)
    text = "\n".join(_misses_text(result))
    assert "L1 (valgrind's model cache, --cache-sim): B/A 1.5000-1.5000 over 1 cases" in text
    assert "last-level" in text and "1.0000-1.0000" in text


def test_runs_without_the_simulation_show_no_misses():
    result = compare_instructions(_side(1e6, None, None), _side(1e6, None, None))
    assert result.iloc[0]["l1_ratio"] is None and _misses_text(result) == []


def test_cache_sim_needs_the_whole_call_instruction_count(tmp_path):
    proc = run_gfbench("sweep", "--grid", str(DATA_DIR / "callcount_grid.toml"), "--cache-sim",
                       "--no-timing", "--out", str(tmp_path))  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "--cache-sim needs --metric instructions" in proc.stderr
    proc = run_gfbench("matrix", "--scipy", "current", "--cache-sim", "--out", str(tmp_path))
    assert proc.returncode == 2, proc.stderr
    assert "--cache-sim needs --metric instructions or both" in proc.stderr
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
@pytest.mark.valgrind
@pytest.mark.skipif(
    shutil.which("valgrind") is None,
    reason="valgrind is not on PATH (apt-get install valgrind; .ci/run installs it)",
)
def test_a_cache_sim_sweep_records_misses_a_cache_hierarchy_allows(tmp_path):
    proc = run_gfbench("sweep", "--grid", str(DATA_DIR / "callcount_grid.toml"), "--metric",
                       "instructions", "--cache-sim", "--no-timing", "--no-progress",
                       "--out", str(tmp_path), timeout=900)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    (run,) = [p for p in tmp_path.iterdir() if (p / "run.json").is_file()]
    meta = json.loads((run / "run.json").read_text())
    assert meta["instructions"]["cache_sim"] is True
    rows = store.load(Path(run)).set_index("dtype")
    for dtype in ("float64", "uint8"):
        l1, ll = float(rows.loc[dtype, "l1_misses"]), float(rows.loc[dtype, "ll_misses"])
        assert 0 <= ll <= l1, (dtype, l1, ll)
        assert rows.loc[dtype, "instructions"] > l1  # a miss is a kind of access
    # 32 KiB in, 32 KiB out (plus the line buffers) through a 32 KiB L1: >= 512 line misses
    assert float(rows.loc["float64", "l1_misses"]) > 512
