"""The statistics of the performance gate (``bench.guard.gate``), on hand-made units."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from bench.exitcodes import UsageError
from bench.guard import gate


def units(values, kind=gate.UNIT_PROCESS):
    return gate.TimingUnits(tuple(float(v) for v in values), kind)


def test_ratio_and_ci_match_welch_on_log_times():
    a = [100.0, 103.0, 98.0, 101.0]
    b = [121.0, 118.0, 125.0, 119.0]
    est = gate.estimate_ratio(units(a), units(b), alpha=0.05)
    expected = math.exp(np.mean(np.log(b)) - np.mean(np.log(a)))
    assert est.ratio == pytest.approx(expected)
    ref = stats.ttest_ind(np.log(b), np.log(a), equal_var=False)
    ci = ref.confidence_interval(0.95)
    assert (est.ci_low, est.ci_high) == pytest.approx((math.exp(ci.low), math.exp(ci.high)))
    assert est.p_value == pytest.approx(ref.pvalue)
    assert est.ci_low < est.ratio < est.ci_high


def test_one_unit_per_side_says_nothing_about_noise():
    est = gate.estimate_ratio(units([100.0]), units([150.0]))
    assert est.ratio == pytest.approx(1.5)
    assert (est.ci_low, est.ci_high, est.p_value) == (0.0, math.inf, 1.0)
    verdict, reason = gate.verdict(est, 1.0)
    assert verdict == gate.INCONCLUSIVE and "not significant" in reason


def test_exact_repeats_are_decided_without_a_t_statistic():
    est = gate.estimate_ratio(units([100.0, 100.0]), units([130.0, 130.0]))
    assert est.p_value == 0.0 and est.ci_low == est.ci_high == pytest.approx(1.3)
    assert gate.verdict(est, 0.0)[0] == gate.SLOWER
    same = gate.estimate_ratio(units([100.0, 100.0]), units([100.0, 100.0]))
    assert same.p_value == 1.0 and gate.verdict(same, 1.0)[0] == gate.SAME


@pytest.mark.parametrize(
    ("ratio", "q", "cv", "unit", "expected"),
    [
        (1.30, 0.001, 0.02, gate.UNIT_PROCESS, gate.SLOWER),
        (0.70, 0.001, 0.02, gate.UNIT_PROCESS, gate.FASTER),
        (1.05, 0.001, 0.02, gate.UNIT_PROCESS, gate.SAME),  # real but below 10%
        (1.30, 0.200, 0.02, gate.UNIT_PROCESS, gate.INCONCLUSIVE),  # big, not established
        (1.30, 0.001, 0.25, gate.UNIT_PROCESS, gate.INCONCLUSIVE),  # busy machine
        (1.30, 0.001, 0.02, gate.UNIT_SAMPLE, gate.INCONCLUSIVE),  # one process per side
    ],
)
def test_verdict_rules(ratio, q, cv, unit, expected):
    est = gate.RatioEstimate(ratio, ratio * 0.97, ratio * 1.03, q, 5, 5, unit, 0.95)
    assert gate.verdict(est, q, within_cv=cv)[0] == expected


def test_wide_ci_within_threshold_is_too_noisy():
    est = gate.RatioEstimate(1.02, 0.8, 1.3, 0.8, 3, 3, gate.UNIT_PROCESS, 0.95)
    verdict, reason = gate.verdict(est, 0.8)
    assert verdict == gate.INCONCLUSIVE and "too noisy" in reason


def test_fdr_is_benjamini_hochberg():
    q = gate.fdr_qvalues([0.01, 0.04, 0.03, 0.5])
    # BH by hand: sorted p 0.01, 0.03, 0.04, 0.5 -> 0.04, 0.0533, 0.0533, 0.5
    assert q == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.5])


@pytest.mark.parametrize(("threshold", "alpha"), [(0, 0.05), (-1, 0.05), (0.1, 0), (0.1, 0.7)])
def test_bad_options(threshold, alpha):
    with pytest.raises(UsageError):
        gate.validate_gate_options(threshold, alpha)


def test_mixed_unit_kinds_fall_back_together():
    ua, ub = gate.choose_units([1.0, 2.0], [1.0, 1.1, 2.0, 2.1], [3.0], [3.0, 3.1])
    assert ua.kind == ub.kind == gate.UNIT_SAMPLE
    assert len(ua.values_ns) == 4
