"""Sequential decisions (``guard.stats.one_look``): spending, verdicts, simulated error rates."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from scipy import stats

from bench.exitcodes import UsageError
from bench.guard.stats import one_look as seq


def spread(center: float, offsets) -> list[float]:
    """Units whose log mean is exactly log(center): center * exp(offsets), offsets sum to 0."""
    offsets = np.asarray(offsets, dtype=float)
    assert offsets.sum() == pytest.approx(0.0, abs=1e-15)
    return list(center * np.exp(offsets))


# --- alpha spending ------------------------------------------------------------------------


def pocock_closed_form(alpha, t):
    return alpha * math.log(1 + (math.e - 1) * t)


def obf_closed_form(alpha, t):
    return 2 - 2 * stats.norm.cdf(stats.norm.ppf(1 - alpha / 2) / math.sqrt(t))


@pytest.mark.parametrize(
    ("spending", "closed_form"),
    [("pocock", pocock_closed_form), ("obrien-fleming", obf_closed_form)],
)
@pytest.mark.parametrize("max_looks", [1, 2, 3, 6, 10])
@pytest.mark.parametrize("alpha", [0.01, 0.05, 0.2])
def test_spending_matches_the_closed_form_and_sums_to_alpha(
    spending, closed_form, max_looks, alpha
):
    plan = seq.LookPlan(max_looks, alpha=alpha, spending=spending)
    cumulative = [seq.alpha_spent(plan, k) for k in range(max_looks + 1)]
    assert cumulative[0] == 0.0
    for k in range(1, max_looks + 1):
        assert cumulative[k] == pytest.approx(closed_form(alpha, k / max_looks), rel=1e-9)
    increments = [plan.alpha_at(k) for k in range(1, max_looks + 1)]
    assert all(x > 0 for x in increments)
    assert np.all(np.diff(cumulative) > 0)  # monotone
    assert sum(increments) == pytest.approx(alpha, rel=1e-12)
    assert cumulative[-1] == alpha


def test_pocock_spends_evenly_and_obrien_fleming_saves_alpha_for_the_end():
    pocock = seq.LookPlan(6, spending="pocock")
    obf = seq.LookPlan(6, spending="obrien-fleming")
    p = [pocock.alpha_at(k) for k in range(1, 7)]
    o = [obf.alpha_at(k) for k in range(1, 7)]
    assert max(p) / min(p) < 2.5  # decreasing gently: 0.0126 .. 0.0056
    assert np.all(np.diff(p) < 0)
    assert o[0] < 1e-5 < p[0]  # no 3-unit interval can meet 2e-6
    assert np.all(np.diff(o) > 0)


def test_describe_says_looks_spending_and_alpha():
    assert seq.LookPlan(3).describe() == "3 looks max, Pocock-type alpha spending, 0.05 in all"
    assert "O'Brien-Fleming-type" in seq.LookPlan(4, 0.1, "obrien-fleming").describe()
    assert seq.LookPlan(1).describe() == "1 look, alpha 0.05"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_looks": 0},
        {"max_looks": -2},
        {"max_looks": 2.5},
        {"max_looks": True},
        {"max_looks": "3"},
        {"max_looks": 10_000},
        {"max_looks": 3, "alpha": 0.0},
        {"max_looks": 3, "alpha": 0.5},
        {"max_looks": 3, "alpha": float("nan")},
        {"max_looks": 3, "alpha": "0.05"},
        {"max_looks": 3, "spending": "bonferroni"},
    ],
)
def test_bad_plan_options_are_usage_errors_naming_the_option(kwargs):
    with pytest.raises(UsageError) as err:
        seq.LookPlan(**kwargs)
    bad = next(k for k in ("spending", "alpha", "max_looks") if k in kwargs)
    assert f"--{bad.replace('_', '-')}" in str(err.value)


@pytest.mark.parametrize("look", [0, 4, -1, 1.0, True])
def test_looks_outside_the_plan_are_programming_errors(look):
    plan = seq.LookPlan(3)
    with pytest.raises(ValueError, match="look must be") as err:
        plan.alpha_at(look)
    assert not isinstance(err.value, UsageError)
    with pytest.raises(ValueError, match="look must be"):
        seq.decide({"c": ([1.0, 2.0], [1.0, 2.0])}, look=look, plan=plan)


# --- one look ------------------------------------------------------------------------------


def test_decision_is_welch_on_log_units_at_the_spent_level():
    a = [100.0, 103.0, 98.0, 101.0]
    b = [121.0, 118.0, 125.0, 119.0, 122.0]
    plan = seq.LookPlan(4)
    d = seq.decide({"c": (a, b)}, look=2, plan=plan)["c"]
    alpha_k = plan.alpha_at(2)
    log_a, log_b = np.log(a), np.log(b)
    # independent path: the two-sided interval at 1 - 2 alpha_k, one-sided p from the t law
    two_sided = stats.ttest_ind(log_b, log_a, equal_var=False)
    ci = two_sided.confidence_interval(1 - 2 * alpha_k)
    assert d.ratio == pytest.approx(math.exp(log_b.mean() - log_a.mean()))
    assert (d.ci_low, d.ci_high) == pytest.approx((math.exp(ci.low), math.exp(ci.high)))
    assert d.level == pytest.approx(1 - 2 * alpha_k)
    t, df = two_sided.statistic, two_sided.df
    assert d.p_slower == pytest.approx(stats.t.sf(t, df))
    assert d.p_faster == pytest.approx(stats.t.cdf(t, df))
    assert d.q_value == d.p_slower  # one case: BH leaves p alone
    assert (d.look, d.n_a, d.n_b) == (2, 4, 5)


def test_identical_units_are_same():
    units = spread(250.0, [-0.03, 0.01, 0.02])
    d = seq.decide({"c": (units, list(units))}, look=1, plan=seq.LookPlan(3))["c"]
    assert d.verdict == "same"
    assert d.ratio == pytest.approx(1.0)
    assert 1 / 1.1 < d.ci_low < 1 < d.ci_high < 1.1
    assert "within 10%" in d.reason and "look 1 of 3" in d.reason


def test_clear_30_percent_shift_with_tight_units_is_slower_and_its_mirror_faster():
    a = spread(1000.0, [-0.01, 0.0, 0.01])
    b = spread(1300.0, [0.005, -0.01, 0.005])
    decided = seq.decide({"up": (a, b), "down": (b, a)}, look=1, plan=seq.LookPlan(6))
    up, down = decided["up"], decided["down"]
    assert up.verdict == "slower" and up.ratio == pytest.approx(1.3)
    assert up.ci_low > 1.1 and up.q_value < seq.LookPlan(6).alpha_at(1)
    assert "1.30x slower" in up.reason
    assert down.verdict == "faster" and down.ratio == pytest.approx(1 / 1.3)
    assert "1.30x faster" in down.reason
    assert down.p_faster == pytest.approx(up.p_slower)


def test_a_real_but_small_change_is_same_not_slower():
    a = spread(1000.0, [-0.004, 0.0, 0.004, 0.0])
    b = spread(1040.0, [0.004, -0.004, 0.0, 0.0])
    d = seq.decide({"c": (a, b)}, look=1, plan=seq.LookPlan(1))["c"]
    assert d.p_slower < 1e-4  # established ...
    assert d.verdict == "same"  # ... but inside the 10% margin


def test_interval_reaching_above_the_margin_is_undecided_and_says_so():
    # ratio 1.06 with log sd 0.03: the 90% interval is about 1.006..1.117
    a = spread(100.0, [-0.03, 0.0, 0.03])
    b = spread(106.0, [-0.03, 0.0, 0.03])
    d = seq.decide({"c": (a, b)}, look=2, plan=seq.LookPlan(3))["c"]
    assert d.verdict == "undecided"
    assert 1 / 1.1 < d.ci_low < 1.1 < d.ci_high
    assert "reaches above 1.10 (10% slower)" in d.reason
    assert d.reason.endswith("needs more rounds")
    last = seq.decide({"c": (a, b)}, look=3, plan=seq.LookPlan(3))["c"]
    assert last.verdict == "undecided" and last.reason.endswith("no looks left")


def test_interval_reaching_below_or_across_the_margin_says_which_bound():
    a = spread(100.0, [-0.03, 0.0, 0.03])
    below = seq.decide({"c": (a, spread(94.0, [-0.03, 0.0, 0.03]))}, look=1, plan=seq.LookPlan(1))
    assert below["c"].verdict == "undecided"
    assert "reaches below 0.91 (10% faster)" in below["c"].reason
    wide = spread(100.0, [-0.2, 0.0, 0.2])
    both = seq.decide({"c": (wide, spread(102.0, [-0.2, 0.0, 0.2]))}, look=1, plan=seq.LookPlan(1))
    assert both["c"].verdict == "undecided"
    assert "reaches beyond both 0.91 and 1.10" in both["c"].reason


def test_a_big_ratio_without_evidence_is_undecided_with_its_q():
    a = spread(100.0, [-0.3, 0.0, 0.3])
    b = spread(125.0, [-0.3, 0.0, 0.3])
    d = seq.decide({"c": (a, b)}, look=1, plan=seq.LookPlan(2))["c"]
    assert d.verdict == "undecided" and d.ratio == pytest.approx(1.25)
    assert "past the 10% margin (1.10) but not yet established" in d.reason
    assert f"q={d.q_value:.2g}" in d.reason


def test_fewer_than_two_units_on_a_side_is_undecided():
    d = seq.decide({"c": ([100.0], [150.0, 151.0, 149.0])}, look=1, plan=seq.LookPlan(3))["c"]
    assert d.verdict == "undecided" and d.ratio == pytest.approx(150.0 / 100.0, rel=1e-4)
    assert (d.ci_low, d.ci_high, d.p_slower, d.q_value) == (0.0, math.inf, 1.0, 1.0)
    assert "at least 2 units per side" in d.reason and "1+3 units" in d.reason


@pytest.mark.parametrize(
    ("b", "verdict", "p_slower", "p_faster"),
    [
        ([100.0, 100.0, 100.0], "same", 1.0, 1.0),
        ([130.0, 130.0], "slower", 0.0, 1.0),
        ([70.0, 70.0, 70.0], "faster", 1.0, 0.0),
        ([105.0, 105.0], "same", 0.0, 1.0),  # certain, but inside the margin
    ],
)
def test_zero_variance_on_both_sides_is_decided_exactly(b, verdict, p_slower, p_faster):
    d = seq.decide({"c": ([100.0] * 3, b)}, look=1, plan=seq.LookPlan(4))["c"]
    assert d.verdict == verdict
    assert d.ci_low == d.ci_high == pytest.approx(b[0] / 100.0)
    assert (d.p_slower, d.p_faster) == (p_slower, p_faster)
    assert all(math.isfinite(x) for x in (d.ratio, d.q_value, d.level))


def test_zero_variance_on_one_side_only_is_an_ordinary_welch_test():
    d = seq.decide(
        {"c": ([100.0] * 3, spread(130.0, [-0.01, 0.0, 0.01]))}, look=1, plan=seq.LookPlan(1)
    )["c"]
    assert d.verdict == "slower"
    assert all(math.isfinite(x) for x in (d.ci_low, d.ci_high, d.p_slower, d.q_value))


def test_benjamini_hochberg_runs_across_the_cases_of_one_call():
    # One strong slowdown, two marginal 15% ones (p about 0.013) and 17 unchanged cases:
    # alone, a marginal case is "slower"; among twenty, BH makes its q = p * 20 / 3 > alpha.
    plan = seq.LookPlan(1)
    strong = (spread(100.0, [-0.01, 0.0, 0.01]), spread(140.0, [-0.01, 0.0, 0.01]))
    marginal = (spread(100.0, [-0.05, 0.0, 0.05]), spread(115.0, [-0.05, 0.0, 0.05]))
    alone = seq.decide({"m": marginal}, look=1, plan=plan)["m"]
    assert alone.verdict == "slower" and alone.q_value == alone.p_slower < 0.05
    cases = {"strong": strong} | {f"m{i}": marginal for i in range(2)}
    cases |= {f"aa{i}": (marginal[0], marginal[0]) for i in range(17)}
    decided = seq.decide(cases, look=1, plan=plan)
    p = [decided[k].p_slower for k in cases]
    q = stats.false_discovery_control(p, method="bh")
    assert [decided[k].q_value for k in cases] == pytest.approx(list(q))
    assert decided["strong"].verdict == "slower"
    assert decided["m0"].q_value == pytest.approx(alone.p_slower * 20 / 3)
    assert {decided[f"m{i}"].verdict for i in range(2)} == {"undecided"}
    # each case its own family: BH of one p is p, so the marginal cases are slower again
    apart = seq.decide(cases, look=1, plan=plan, family=lambda key: key)
    assert {apart[f"m{i}"].verdict for i in range(2)} == {"slower"}


@pytest.mark.parametrize("threshold", [0.0, -0.1, 10.0, float("nan"), float("inf"), "0.1"])
def test_bad_threshold_is_a_usage_error(threshold):
    with pytest.raises(UsageError, match="--threshold"):
        seq.decide(
            {"c": ([1.0, 2.0], [1.0, 2.0])}, look=1, plan=seq.LookPlan(1), threshold=threshold
        )


@pytest.mark.parametrize(
    "pair",
    [
        ([1.0, 0.0], [1.0, 2.0]),
        ([1.0, -2.0], [1.0, 2.0]),
        ([1.0, float("nan")], [1.0, 2.0]),
        ([1.0, float("inf")], [1.0, 2.0]),
        ([], [1.0, 2.0]),
        ([[1.0, 2.0]], [1.0, 2.0]),
        [[1.0, 2.0], [1.0, 2.0]],  # not a tuple
        ([1.0, 2.0],),
    ],
)
def test_bad_units_are_programming_errors_naming_the_case(pair):
    with pytest.raises(ValueError, match="case 'bad'") as err:
        seq.decide({"bad": pair}, look=1, plan=seq.LookPlan(1))
    assert not isinstance(err.value, UsageError)


def test_plan_must_be_a_look_plan():
    with pytest.raises(ValueError, match="LookPlan"):
        seq.decide({"c": ([1.0, 2.0], [1.0, 2.0])}, look=1, plan=3)  # type: ignore[arg-type]


def test_no_cases_is_no_decisions():
    assert seq.decide({}, look=1, plan=seq.LookPlan(2)) == {}


# --- error rates across looks, by seeded simulation ---------------------------------------
#
# Each simulated case draws log-normal units with a given CV on both sides (B scaled by the
# true ratio), is looked at with 3 units per side, then 4, 5, ... up to SIM_LOOKS looks, is
# its own Benjamini-Hochberg family (so q = p and the rates are per case) and stops at its
# first verdict. Assertions use 99.9% Clopper-Pearson bounds on the counts, never exact counts.

SIM_CASES = 2000
SIM_LOOKS = 6
SIM_SEED = 20261202
ALPHA = 0.05
NAIVE = "none"  # alpha at every look, nothing spent: what peeking does


@functools.cache
def sim_units(cv: float, ratio: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng([SIM_SEED, round(cv * 1000), round(ratio * 1000)])
    sigma = math.sqrt(math.log1p(cv * cv))  # the log-normal with this CV
    shape = (SIM_CASES, 3 + SIM_LOOKS - 1)
    return np.exp(rng.normal(0, sigma, shape)), ratio * np.exp(rng.normal(0, sigma, shape))


@functools.cache
def simulate(cv: float, ratio: float, spending: str = "pocock") -> tuple[str, ...]:
    """Final verdict of every simulated case ("undecided" when no look decided it)."""
    a, b = sim_units(cv, ratio)
    if spending == NAIVE:
        plan, look_of = seq.LookPlan(1, alpha=ALPHA), lambda k: 1
    else:
        plan, look_of = seq.LookPlan(SIM_LOOKS, alpha=ALPHA, spending=spending), lambda k: k
    final = ["undecided"] * SIM_CASES
    still_open = range(SIM_CASES)
    for k in range(1, SIM_LOOKS + 1):
        n = 3 + k - 1
        cases = {i: (a[i, :n], b[i, :n]) for i in still_open}
        decided = seq.decide(cases, look=look_of(k), plan=plan, family=lambda i: i)
        for i, d in decided.items():
            final[i] = d.verdict
        still_open = [i for i, d in decided.items() if d.verdict == "undecided"]
    return tuple(final)


def rate_bounds(verdicts: tuple[str, ...], verdict: str) -> tuple[float, float]:
    """99.9% Clopper-Pearson interval of the rate of one verdict."""
    ci = stats.binomtest(verdicts.count(verdict), len(verdicts)).proportion_ci(0.999)
    return ci.low, ci.high


@pytest.mark.parametrize("cv", [0.02, 0.05, 0.10])
def test_simulated_a_a_false_slower_and_faster_rates_stay_below_alpha(cv):
    verdicts = simulate(cv, 1.0)
    for wrong in ("slower", "faster"):
        assert rate_bounds(verdicts, wrong)[1] < ALPHA, (cv, wrong, verdicts.count(wrong))


def test_simulated_a_a_false_slower_rate_holds_for_obrien_fleming_too():
    assert rate_bounds(simulate(0.10, 1.0, "obrien-fleming"), "slower")[1] < ALPHA


def test_simulated_a_a_cases_mostly_reach_same_by_the_last_look():
    # 2% noise: every case is "same"; 5% noise with 3..8 units: most (about two thirds)
    assert rate_bounds(simulate(0.02, 1.0), "same")[0] > 0.99
    assert rate_bounds(simulate(0.05, 1.0), "same")[0] > 0.5


@pytest.mark.parametrize("cv", [0.05, 0.10])
def test_simulated_true_30_percent_slowdown_is_called_same_at_most_alpha(cv):
    verdicts = simulate(cv, 1.3)
    assert stats.binomtest(verdicts.count("same"), SIM_CASES, ALPHA, "greater").pvalue > 1e-3
    assert rate_bounds(verdicts, "faster")[1] < ALPHA


def test_simulated_true_30_percent_slowdown_is_detected_at_cv_5_percent():
    assert rate_bounds(simulate(0.05, 1.3), "slower")[0] > 0.95


def test_simulated_naive_peeking_inflates_false_slower_that_spending_keeps_below_alpha():
    """Same data, same looks: alpha at every look vs alpha spent over the looks (10% CV)."""
    spent, naive = simulate(0.10, 1.0), simulate(0.10, 1.0, NAIVE)
    assert rate_bounds(naive, "slower")[0] > ALPHA  # peeking: more than alpha false alarms
    assert rate_bounds(spent, "slower")[1] < ALPHA
    # paired on the same cases (McNemar): naive flags far more of them than spending does
    only_naive = sum(n == "slower" != s for n, s in zip(naive, spent, strict=True))
    only_spent = sum(s == "slower" != n for n, s in zip(naive, spent, strict=True))
    assert stats.binomtest(only_naive, only_naive + only_spent, 0.5, "greater").pvalue < 1e-6


def test_simulated_true_change_at_the_margin_is_called_same_at_most_alpha_only_when_spent():
    """The worst case for "same" is a true ratio exactly at 1 + threshold (5% CV)."""
    spent, naive = simulate(0.05, 1.1), simulate(0.05, 1.1, NAIVE)
    assert rate_bounds(spent, "same")[1] < ALPHA
    assert rate_bounds(naive, "same")[0] > ALPHA
