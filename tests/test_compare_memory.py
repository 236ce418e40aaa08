"""``gfbench compare``'s memory gate: verdicts on synthetic rows, and a planted growth end to end.

The plant is a real change in a real sweep: ``GFBENCH_SCIPY_PATCH`` swaps in
``scipy_variants.allocates_4x_float64`` (4 float64 copies of the input, touched and freed inside
the call). Two untimed sweeps of ``tests/data/memory_grid.toml``, one with the plant, must give
exit 3 with the reason "memory" and name exactly the SciPy cases where the plant exceeds the
floor; an A/A pair must flag nothing.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from conftest import TESTS_DIR, gfbench_inproc, run_gfbench
from synthetic_runs import case_params, make_rows, write_run

from bench.exitcodes import ExitCode, UsageError
from bench.guard.compare import memory as cm
from bench.guard.compare.result import compare
from bench.sweep import peakrss

MIB = 2**20
GRID = TESTS_DIR / "data" / "memory_grid.toml"
FLOOR = cm.DEFAULT_FLOOR_BYTES


# -- the verdict on one case ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a_mib", "b_mib", "verdict", "why"),
    [
        (10, 15, cm.MORE, "> floor"),  # +50%, +5 MiB
        (10, 13, cm.SAME, "under the floor"),  # +30% but only +3 MiB
        (100, 118, cm.SAME, "within ±20%"),  # +18 MiB but only +18%
        (100, 121, cm.MORE, "> 1.20"),  # both
        (15, 10, cm.LESS, "beyond floor"),  # symmetric
        (100, 84, cm.SAME, "within ±20%"),  # A/B = 1.19
        (0.1, 0.9, cm.SAME, "under the floor"),  # 9x, but below a mebibyte
        (0, 5, cm.MORE, "> floor"),  # nothing before, 5 MiB now
        (0, 0, cm.SAME, "within"),
    ],
)
def test_memory_verdict(a_mib, b_mib, verdict, why):
    found, ratio, reason = cm.memory_verdict(
        a_mib * MIB, b_mib * MIB, threshold=0.20, floor_bytes=FLOOR
    )
    assert found == verdict, reason
    assert why in reason
    expected = b_mib / a_mib if a_mib else (math.inf if b_mib else 1.0)
    assert ratio == pytest.approx(expected)


def test_threshold_is_validated():
    for bad in (0, -0.1, 10, float("nan"), float("inf")):
        with pytest.raises(UsageError, match="--memory-threshold"):
            cm.validate_memory_threshold(bad)
    cm.validate_memory_threshold(0.05)


# -- synthetic runs -------------------------------------------------------------------------------

CASES = case_params(8)


def _rows(seed: int, rss_mib: list[float | None], *, status_error: int | None = None) -> list:
    rows = make_rows(CASES, seed=seed)
    for row, value in zip(rows, rss_mib, strict=True):
        row["peak_rss_bytes"] = None if value is None else int(value * MIB)
    if status_error is not None:
        row = rows[status_error]
        row.update(status="error", reason="boom", out_dtype=None)
        for key in [k for k in row if k.endswith("_ns") or k in ("samples_ns", "n_samples")]:
            row[key] = None
    return rows


BASE = [8.0, 8.0, 2.0, 2.0, 40.0, 40.0, 0.5, 0.5]


def test_compare_run_memory_names_only_grown_cases(tmp_path):
    grown = BASE.copy()
    grown[0] = 16.0  # +8 MiB, 2x: more memory
    grown[2] = 4.0  # 2x but +2 MiB: under the floor
    grown[4] = 30.0  # -10 MiB, A/B 1.33: less memory
    grown[6] = None  # not measured on B: not compared
    a = write_run(tmp_path / "a", _rows(1, BASE))
    b = write_run(tmp_path / "b", _rows(2, grown))
    result = compare([a, b])
    pair = result.pairs[0]
    frame = pair.memory.set_index("case_id")
    assert len(frame) == 7  # case 6 is unmeasured on B
    assert frame.loc[CASES[0]["case_id"], "verdict"] == cm.MORE
    assert frame.loc[CASES[2]["case_id"], "verdict"] == cm.SAME
    assert frame.loc[CASES[4]["case_id"], "verdict"] == cm.LESS
    assert (frame.drop(index=[CASES[i]["case_id"] for i in (0, 4)])["verdict"] == cm.SAME).all()
    row = frame.loc[CASES[0]["case_id"]]
    assert (row.rss_a_bytes, row.rss_b_bytes, row.ratio) == (8 * MIB, 16 * MIB, 2.0)
    assert row.floor_bytes == FLOOR
    assert pair.regressions == ["memory"]
    assert pair.exit_code == ExitCode.PERF_REGRESSION
    document = result.to_dict()
    assert document["regressions"] == ["memory"]
    assert document["comparisons"][0]["memory_counts"] == {cm.MORE: 1, cm.LESS: 1, cm.SAME: 5}


def test_error_rows_are_not_gated():
    a = pd.DataFrame(_rows(1, BASE))
    b = pd.DataFrame(_rows(2, [v * 4 for v in BASE], status_error=0))
    frame = cm.compare_run_memory(a, b).set_index("case_id")
    assert CASES[0]["case_id"] not in frame.index and len(frame) == 7


def test_rounds_merge_by_median_and_resolution_raises_the_floor(tmp_path):
    a_rounds = [_rows(1, BASE), _rows(2, BASE), _rows(3, BASE)]
    b_values = [BASE.copy() for _ in range(3)]
    b_values[0][0] = 30.0  # one noisy round out of three: the median stays at 8 MiB
    rows_a = [r for rows in a_rounds for r in rows]
    rows_b = [r for values in b_values for r in _rows(4, values)]
    a = pd.DataFrame(rows_a)
    b = pd.DataFrame(rows_b)
    frame = cm.compare_run_memory(a, b, floor_bytes=FLOOR)
    first = frame.set_index("case_id").loc[CASES[0]["case_id"]]
    assert (first.rss_b_bytes, first.n_a, first.n_b, first.verdict) == (8 * MIB, 3, 3, cm.SAME)
    # a run that records a coarse counter resolution widens the floor of its comparisons
    side = type("S", (), {"metas": ({"peak_rss_method": {"resolution_bytes": 3 * MIB}},)})()
    assert cm.resolution_bytes(side) == 3 * MIB


def test_runs_without_rss_are_not_gated_and_say_so(tmp_path):
    a = write_run(tmp_path / "a", _rows(1, [None] * 8))
    b = write_run(tmp_path / "b", _rows(2, [v * 3 for v in BASE]))
    pair = compare([a, b]).pairs[0]
    assert pair.memory.empty and pair.regressions == []
    assert any("memory: not compared" in note for note in pair.notes)


# -- as a user runs it ----------------------------------------------------------------------------


def test_cli_memory_threshold_is_checked(tmp_path):
    a = write_run(tmp_path / "a", _rows(1, BASE))
    done = gfbench_inproc("compare", str(a), str(a), "--memory-threshold", "0", cwd=tmp_path)
    assert done.returncode == ExitCode.USAGE
    assert "--memory-threshold must be a fraction" in done.stderr
    assert "Traceback" not in done.stderr


def _sweep(out: Path, cwd: Path, patch: str | None = None) -> Path:
    done = run_gfbench(
        "sweep", "--grid", str(GRID), "--no-timing", "--out", str(out), cwd=cwd, patch=patch
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    if patch:
        assert f"scipy.ndimage patched by GFBENCH_SCIPY_PATCH={patch}" in done.stderr
    (run,) = [p for p in out.iterdir() if (p / "run.json").exists()]
    return run


@pytest.mark.slow
@pytest.mark.skipif(peakrss.unsupported_reason() is not None, reason="no native peak memory")
def test_planted_memory_growth_is_flagged_end_to_end(tmp_path):
    base = _sweep(tmp_path / "a", tmp_path)
    again = _sweep(tmp_path / "a2", tmp_path)
    plant = "scipy_variants:allocates_4x_float64"
    planted = _sweep(tmp_path / "b", tmp_path, patch=plant)
    meta = json.loads((planted / "run.json").read_text())
    assert meta["impl_versions"]["scipy"].endswith(f"+patched:{plant}")
    assert meta["peak_rss_method"]["fixed_mmap_threshold"] is True  # untimed: nothing is timed

    # A/A: no memory verdict other than "same"
    done = gfbench_inproc("compare", str(base), str(again), "--json", cwd=tmp_path)
    assert done.returncode == ExitCode.OK, done.stdout[-3000:] + done.stderr[-2000:]
    pair = json.loads(done.stdout)["comparisons"][0]
    assert pair["memory_counts"] == {cm.MORE: 0, cm.LESS: 0, cm.SAME: 8}

    # the plant: exit 3, reason memory, the SciPy cases whose plant (8 MiB) exceeds the floor
    out = tmp_path / "report"
    done = gfbench_inproc("compare", str(base), str(planted), "--out", str(out), cwd=tmp_path)
    assert done.returncode == ExitCode.PERF_REGRESSION, done.stdout[-3000:] + done.stderr[-2000:]
    assert "verdict: perf_regression (exit 3, reason: memory)" in done.stdout
    flagged = [line for line in done.stdout.splitlines() if line.startswith(cm.MORE)]
    assert len(flagged) == 2, done.stdout
    assert all("scipy" in line and "512x512" in line for line in flagged), flagged
    document = json.loads((out / "compare.json").read_text())
    assert document["regressions"] == ["memory"]
    rows = document["comparisons"][0]["memory"]
    more = {(r["impl"], r["dtype"]) for r in rows if r["verdict"] == cm.MORE}
    assert more == {("scipy", "float32"), ("scipy", "uint8")}
    for r in rows:
        if r["verdict"] == cm.MORE:  # the plant is 8 MiB; SciPy's own use is ~1 MiB
            assert 7.5 * MIB < r["change_bytes"] < 8.5 * MIB + peakrss.resolution_bytes()
    assert "more memory" in (out / "compare.md").read_text()
