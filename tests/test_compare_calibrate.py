"""``gfbench calibrate``: A/A false positives and injected-slowdown power, on synthetic runs.

The runs are four independent draws of the same simulated machine (per-process luck of
2%, as measured on the 2-core VMs), so every A/A pair is a true null and every injected
20% slowdown is a true effect.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import REPO, gfbench_inproc
from synthetic_runs import case_params, make_rows, write_run

from bench.exitcodes import UsageError
from bench.guard.calibrate import command as calibrate
from bench.guard.compare import result as comparison
from bench.guard.compare import sides as compare_inputs
from bench.guard.stats import verdicts as gate

CASES = case_params(30)


@pytest.fixture
def runs(tmp_path) -> list[Path]:
    return [write_run(tmp_path / f"run-{k}", make_rows(CASES, seed=100 + k)) for k in range(4)]


def test_aa_pairs_do_not_flag_and_injection_is_detected(runs):
    result = calibrate.calibrate(runs=runs, inject=0.20, log=lambda m: None)
    assert len(result["pairs"]) == 6
    assert result["disjoint_pairs"]["pairs"] == 2
    summary = result["all_pairs"]
    assert summary["aa_pairs_flagging_regression"] == 0
    assert summary["aa_case_false_positive_rate"] == 0.0
    assert summary["injected_pairs_flagged"] == 6
    assert summary["injected_case_detection_rate"] == 1.0
    assert all(p["aa_max_ratio"] < 1.10 for p in result["pairs"])


def test_injection_scales_only_the_chosen_impl(runs):
    side = compare_inputs.load_sides(runs[:2])[1]
    slowed = calibrate.inject_slowdown(side, impl="scipy", factor=1.25)
    before = side.frame["samples_ns"].iloc[0]
    after = slowed.frame["samples_ns"].iloc[0]
    assert after == pytest.approx([s * 1.25 for s in before])
    assert side.frame["samples_ns"].iloc[0] == before  # the original is untouched
    pair = comparison.compare_sides(compare_inputs.load_sides(runs[:2])[0], slowed)
    assert (pair.perf["verdict"] == gate.SLOWER).all()


def test_cli_from_runs_json(runs):
    argv = ["calibrate", "--json"]
    for run in runs[:3]:
        argv += ["--from", str(run)]
    proc = gfbench_inproc(*argv, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["all_pairs"]["pairs"] == 3
    assert data["all_pairs"]["aa_pairs_flagging_regression"] == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"inject": -0.2}, "--inject"),
        ({"threshold": 0}, "--threshold"),
        ({"n_runs": 0}, "--runs"),
        ({"n_runs": 1, "mode": "sweeps"}, "--runs"),
        ({"mode": "other"}, "--mode"),
        ({"processes": 1}, "--processes"),
        ({"inject_dtype_factor": 0}, "--inject-dtype-factor"),
        ({"max_rounds": 2, "processes": 3}, "--max-rounds must be an int >= --processes"),
    ],
)
def test_bad_options_are_usage_errors(tmp_path, kwargs, message):
    with pytest.raises(UsageError, match=message):
        calibrate.calibrate(out=tmp_path / "o", log=lambda m: None, **kwargs)


@pytest.mark.slow
def test_interleaved_mode_times_aa_sessions_like_the_matrix(tmp_path):
    grid = str(REPO / "tests" / "data" / "matrix_grid.toml")
    result = calibrate.calibrate(mode="interleaved", n_runs=2, grid=grid, processes=2,
                                 max_rounds=4, inject_dtype="uint8", out=tmp_path / "cal",
                                 log=lambda m: None)  # fmt: skip
    assert result["mode"] == "interleaved" and len(result["sessions"]) == 2
    names = result["scenarios"]
    assert names == ["A/A", "+10% all", "+30% uint8"]
    for session in result["sessions"]:
        assert 2 <= session["rounds"] <= 4 and session["failed"] == 0
        assert session["A/A"]["cases"] == 2  # both cases timed on both sides
        assert session["+30% uint8"]["affected"] == 1  # the float64 case is not slowed
    summary = result["summary"]
    assert summary["pairs"] == 2 and summary["A/A"]["pairs_naming_only_affected"] is None
    text = calibrate.render(result)
    assert "A/A sessions" in text and "+30% uint8: flagged in" in text
