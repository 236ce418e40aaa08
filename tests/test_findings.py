"""The recommendation logic on hand-made rows: same cases only, SciPy's standing, wording."""

from __future__ import annotations

import math

import pandas as pd

from bench.report import findings, frames


def _row(impl: str, sigma: float, ns: float, grey: float, mode: str = "nearest") -> dict:
    return {
        "impl": impl,
        "dtype": "uint8",
        "dtype_out": "uint8",
        "out_dtype": "uint8",
        "status": "ok",
        "family": "2d",
        "shape": [256, 256],
        "npix": 65536,
        "sigma": sigma,
        "mode": mode,
        "truncate": 4.0,
        "order": 0,
        "cval": 0.0,
        "axes": None,
        "median_ns": ns,
        "min_ns": ns,
        "max_abs_error": grey,
        "max_grey_levels": grey,
    }


def _frame(rows: list[dict]) -> pd.DataFrame:
    return frames.prepare(pd.DataFrame(rows))


SIGMAS = (0.7, 1.0, 2.0, 3.0)


def test_ranks_on_the_cases_all_ran_and_lists_the_others():
    rows = [_row("scipy", s, 100.0, 2.0) for s in SIGMAS]
    rows += [_row("exact", s, 50.0 if s < 2 else 25.0, 0.5) for s in SIGMAS]
    rows += [_row("rough", s, 10.0, 8.0) for s in SIGMAS]
    rows += [_row("partial", 0.7, 1.0, 0.1)]  # fastest and exact, but one case only
    rows += [_row("exact", 2.0, 1.0, 0.1, mode="reflect")]  # another mode: not compared
    (answer,) = findings.answers(_frame(rows), budget_grey_levels=1.0, budget_abs=1e-3)
    assert answer.cases == 4 and answer.compared == 3
    assert answer.best.impl == "exact"
    assert math.isclose(answer.best.speedup, 2.0 * 2**0.5)  # geometric mean of 2, 2, 4, 4
    assert (answer.best.low, answer.best.high) == (2.0, 4.0)
    assert answer.fastest.impl == "rough" and answer.fastest.error == 8.0
    assert answer.scipy_error == 2.0
    assert answer.not_compared == ("partial (1 of 4 cases)",)
    text = findings.sentence(answer, scipy_bias=-0.9)
    assert "use exact: 2.83x SciPy's speed (range 2-4x), worst error 0.5" in text
    assert (
        "SciPy itself misses the budget: worst error 2, 2x the budget, because it truncates" in text
    )
    assert "Fastest overall: rough at 10x SciPy's speed, worst error 8 (outside the budget)" in text


def test_an_option_slower_than_scipy_is_called_slower():
    rows = [_row("scipy", s, 100.0, 2.0) for s in SIGMAS]
    rows += [_row("slow", s, 300.0, 0.5) for s in SIGMAS]
    (answer,) = findings.answers(_frame(rows), budget_grey_levels=1.0, budget_abs=1e-3)
    text = findings.sentence(answer)
    assert answer.best.impl == "slow"
    assert "nothing within the budget is faster than SciPy" in text and "slower than SciPy" in text
    assert "Fastest overall: SciPy itself (outside the budget)." in text
    assert answer.row()["use"] == "slow (slower than SciPy)"


def test_weak_ratios_are_not_stated_as_findings():
    weak = findings.ratio_finding(pd.Series([0.93, 0.96, 1.15]), "float32 vs float64")
    assert weak.startswith("float32 vs float64: not established by this run")
    assert "range 0.93-1.15x over 3 case(s)" in weak
    firm = findings.ratio_finding(pd.Series([1.2, 1.25, 1.3, 1.22, 1.27]), "float32 vs float64")
    assert firm.startswith("float32 vs float64: 1.25x (median 1.25x, range 1.20-1.30x")


def test_few_cases_are_said_to_be_few():
    rows = [_row("scipy", 2.0, 100.0, 2.0), _row("exact", 2.0, 50.0, 0.5)]
    (answer,) = findings.answers(_frame(rows), budget_grey_levels=1.0, budget_abs=1e-3)
    assert "Only 1 case(s): too few to generalise." in findings.sentence(answer)
