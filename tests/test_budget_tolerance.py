"""Issue 24, finding 5: a recommendation is never decided by float noise the reader cannot see.

With ``--budget-grey-levels 0.5``, opencv-sep-1t's uint8 error of 0.500007 (a float32 kernel
rounding a value at x.49999 the other way) was shown as "0.5" yet excluded, and mahotas at
0.499999 was recommended though slower than SciPy. Errors are compared with the budget as
shown (3 significant digits), which the findings state.
"""

from __future__ import annotations

import pandas as pd
from test_findings import SIGMAS, _frame, _row

from bench.report import findings, frames, tables


def _rows() -> list[dict]:
    rows = [_row("scipy", s, 100.0, 1.98) for s in SIGMAS]
    rows += [_row("opencv-sep-1t", s, 5.0, 0.500007) for s in SIGMAS]  # 20x SciPy
    rows += [_row("mahotas", s, 190.0, 0.499999) for s in SIGMAS]  # slower than SciPy
    return rows


def test_an_error_shown_as_the_budget_is_within_it():
    (answer,) = findings.answers(_frame(_rows()), budget_grey_levels=0.5, budget_abs=1e-3)
    assert answer.best.impl == "opencv-sep-1t"
    assert answer.row()["use"] == "opencv-sep-1t"
    assert answer.row()["worst error"] == "0.5"
    text = findings.sentence(answer)
    assert "use opencv-sep-1t: 20x SciPy's speed, worst error 0.5." in text


def test_an_error_visibly_above_the_budget_is_not():
    rows = [r | {"max_abs_error": 0.501, "max_grey_levels": 0.501}
            if r["impl"] == "opencv-sep-1t" else r for r in _rows()]  # fmt: skip
    (answer,) = findings.answers(_frame(rows), budget_grey_levels=0.5, budget_abs=1e-3)
    assert answer.best.impl == "mahotas"
    assert answer.row()["use"] == "mahotas (slower than SciPy)"
    assert "error 0.501 (outside the budget)" in findings.sentence(answer)


def test_the_per_size_table_uses_the_same_rule():
    table = tables.recommendation_table(_frame(_rows()), budget_grey_levels=0.5, budget_abs=1e-3)
    assert set(table["recommended"]) == {"opencv-sep-1t"}


def test_the_rule_is_stated_with_the_budgets():
    text = findings.budget_text(0.5, 1e-3)
    assert "as shown (3 significant digits)" in text and "0.500007 shown as 0.5" in text


def test_within_budget_edges():
    assert frames.within_budget(0.5004999, 0.5) and not frames.within_budget(0.5006, 0.5)
    assert frames.within_budget(0.0, 0.0) and not frames.within_budget(float("nan"), 1.0)
    assert frames.within_budget(1.0004e-3, 1e-3) and not frames.within_budget(1.01e-3, 1e-3)
    assert pd.isna(frames.shown_error(float("nan"))) is False  # a string "nan", not a crash
