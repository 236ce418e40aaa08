"""The performance gate's rules on top of one look (``stats.verdicts``, ``compare.timing``).

The statistics of one look (Welch on log units, the spent alpha, "same" by equivalence) are
tested in tests/test_sequential.py; here: what compare adds to a decision.
"""

from __future__ import annotations

import pytest

from bench.exitcodes import UsageError
from bench.guard.compare import timing as compare_perf
from bench.guard.stats import verdicts as gate
from bench.guard.stats.one_look import Decision


def decision(verdict: str, ratio: float) -> Decision:
    return Decision(verdict=verdict, ratio=ratio, ci_low=ratio * 0.95, ci_high=ratio * 1.05,
                    level=0.9, p_slower=0.001, p_faster=0.999, q_value=0.001, look=1, n_a=3,
                    n_b=3, reason=f"decided {verdict}")  # fmt: skip


@pytest.mark.parametrize(
    ("verdict", "ratio", "unit", "cv", "expected", "why"),
    [
        ("slower", 1.3, gate.UNIT_PROCESS, None, gate.SLOWER, "decided"),
        ("slower", 1.3, gate.UNIT_SAMPLE, None, gate.INCONCLUSIVE, "one worker process"),
        ("faster", 0.7, gate.UNIT_SAMPLE, None, gate.INCONCLUSIVE, "one worker process"),
        ("slower", 1.3, gate.UNIT_PROCESS, 0.25, gate.INCONCLUSIVE, "unsteady"),
        ("same", 1.02, gate.UNIT_PROCESS, 0.25, gate.SAME, "decided"),  # "same" stays
        ("same", 1.02, gate.UNIT_SAMPLE, None, gate.SAME, "decided"),
        ("undecided", 1.08, gate.UNIT_PROCESS, None, gate.INCONCLUSIVE, "decided undecided"),
    ],
)
def test_compare_rules_on_top_of_a_decision(verdict, ratio, unit, cv, expected, why):
    got, reason = compare_perf._final_verdict(decision(verdict, ratio), unit, cv, 0.10)
    assert got == expected and why in reason


def test_fdr_is_benjamini_hochberg():
    q = gate.fdr_qvalues([0.01, 0.04, 0.03, 0.5])
    # BH by hand: sorted p 0.01, 0.03, 0.04, 0.5 -> 0.04, 0.0533, 0.0533, 0.5
    assert q == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.5])


@pytest.mark.parametrize(("threshold", "alpha"), [(0, 0.05), (-1, 0.05), (0.1, 0), (0.1, 0.7)])
def test_bad_options(threshold, alpha):
    with pytest.raises(UsageError):
        gate.validate_gate_options(threshold, alpha)
