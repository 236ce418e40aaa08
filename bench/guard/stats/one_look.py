"""Sequential decisions: look at the units after every round, stop a case once it is decided.

One job: given the units of the still-open cases at look ``k`` of at most ``K``, say for
each case "slower", "faster", "same" or "undecided", with error rates that hold over all
the looks together.

Why it is built this way (alpha spending, TOST, evidence and size, Welch or paired t):
docs/timing.md.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from bench.exitcodes import UsageError
from bench.guard.stats import verdicts as gate
from bench.guard.stats.verdicts import DECISIONS, FASTER, SAME, SLOWER, UNDECIDED

K = TypeVar("K", bound=Hashable)


POCOCK = "pocock"
OBRIEN_FLEMING = "obrien-fleming"
SPENDING_FUNCTIONS = (POCOCK, OBRIEN_FLEMING)
#: more looks than this is a typo, not a plan (a look is a round of worker processes)
MAX_LOOKS_LIMIT = 1000


@dataclass(frozen=True)
class LookPlan:
    """How many looks at most and how the error rate is spent over them.

    Parameters
    ----------
    max_looks
        K >= 1; K == 1 is the classic one-look gate (all of ``alpha`` at that look).
    alpha
        Total error rate per decision kind ("slower", "faster", "same"), spent over the looks.
    spending
        ``"pocock"`` (Lan-DeMets Pocock-type) or ``"obrien-fleming"`` (O'Brien-Fleming-type).
    """

    max_looks: int
    alpha: float = gate.DEFAULT_ALPHA
    spending: str = POCOCK

    def __post_init__(self) -> None:
        if (
            isinstance(self.max_looks, bool)
            or not isinstance(self.max_looks, (int, np.integer))
            or not 1 <= self.max_looks <= MAX_LOOKS_LIMIT
        ):
            raise UsageError(
                f"--max-looks must be a whole number from 1 to {MAX_LOOKS_LIMIT}, "
                f"got {self.max_looks!r}"
            )
        if (
            isinstance(self.alpha, bool)
            or not isinstance(self.alpha, (int, float))
            or not 0 < self.alpha < 0.5
        ):
            raise UsageError(f"--alpha must be between 0 and 0.5 (e.g. 0.05), got {self.alpha!r}")
        if self.spending not in SPENDING_FUNCTIONS:
            raise UsageError(
                f"--spending must be one of {', '.join(SPENDING_FUNCTIONS)}, got {self.spending!r}"
            )

    def _check_look(self, look: int, *, allow_zero: bool = False) -> int:
        low = 0 if allow_zero else 1
        if (
            isinstance(look, bool)
            or not isinstance(look, (int, np.integer))
            or not low <= look <= self.max_looks
        ):
            raise ValueError(
                f"look must be an integer from {low} to {self.max_looks}, got {look!r}"
            )
        return int(look)

    def alpha_spent(self, look: int) -> float:
        """Alpha spent by the end of look ``look`` (cumulative; 0 at look 0, alpha at K)."""
        look = self._check_look(look, allow_zero=True)
        if look == 0:
            return 0.0
        if look == self.max_looks:
            return float(self.alpha)  # exact, so the increments sum to alpha
        t = look / self.max_looks
        if self.spending == POCOCK:
            return self.alpha * math.log1p((math.e - 1.0) * t)
        from scipy import stats  # imported here: scipy.stats costs ~1 s of every CLI start-up

        # O'Brien-Fleming type; norm.sf keeps the tiny early tails exact (no 1 - Phi)
        z = stats.norm.isf(self.alpha / 2.0)
        return float(2.0 * stats.norm.sf(z / math.sqrt(t)))

    def alpha_at(self, look: int) -> float:
        """Alpha spent AT look ``look`` (1-based); the increments over 1..K sum to alpha."""
        look = self._check_look(look)
        return self.alpha_spent(look) - self.alpha_spent(look - 1)

    def describe(self) -> str:
        """One line for reports."""
        if self.max_looks == 1:
            return f"1 look, alpha {self.alpha:g}"
        kind = "Pocock-type" if self.spending == POCOCK else "O'Brien-Fleming-type"
        return f"{self.max_looks} looks max, {kind} alpha spending, {self.alpha:g} in all"


def alpha_spent(plan: LookPlan, look: int) -> float:
    """Alpha spent by the end of look ``look`` of ``plan`` (cumulative)."""
    return plan.alpha_spent(look)


@dataclass(frozen=True)
class Decision:
    """The verdict on one case at one look.

    ``verdict`` is "slower", "faster", "same" or "undecided" (the caller turns an
    "undecided" after the last look into "inconclusive"). ``ratio`` is B/A of the
    geometric means of the units; ``ci_low``/``ci_high`` the Welch interval of the ratio at
    confidence ``level = 1 - 2 * alpha_k``; ``p_slower``/``p_faster`` the one-sided
    p-values; ``q_value`` the Benjamini-Hochberg q of the side the ratio points to (1 when
    the case could not be tested); ``reason`` the sentence ``gfbench compare`` shows.
    """

    verdict: str
    ratio: float
    ci_low: float
    ci_high: float
    level: float
    p_slower: float
    p_faster: float
    q_value: float
    look: int
    n_a: int
    n_b: int
    reason: str

    def __post_init__(self) -> None:
        if self.verdict not in DECISIONS:
            raise ValueError(f"verdict must be one of {DECISIONS}, got {self.verdict!r}")
        if not self.ratio > 0:
            raise ValueError(f"ratio must be > 0, got {self.ratio}")
        if not 0 < self.level < 1:
            raise ValueError(f"level must be in (0, 1), got {self.level}")


@dataclass(frozen=True)
class _Test:
    """Welch statistics of one case on the log scale."""

    log_ratio: float
    low: float  # bounds of the log ratio's (1 - 2 alpha_k) interval
    high: float
    p_slower: float
    p_faster: float
    tested: bool  # False: fewer than 2 units on a side


def _as_units(values: Sequence[float], key: Hashable, side: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"case {key!r}: side {side} needs a flat, non-empty sequence of units")
    return arr


def _log_rows(rows: np.ndarray, keys: Sequence[Hashable], side: str) -> np.ndarray:
    """Logs of a stack of units (one case a row), refusing values that are no times."""
    good = np.all(np.isfinite(rows) & (rows > 0), axis=1)
    if not good.all():
        key = keys[int(np.argmin(good))]
        raise ValueError(f"case {key!r}: side {side} units must be finite and > 0")
    return np.log(rows)


def _t_tests(
    units: Mapping[K, tuple[np.ndarray, np.ndarray]], alpha_k: float, *, paired: bool = False
) -> dict[K, _Test]:
    """Welch tests of every case on log units; with ``paired``, t-tests of the per-round log
    ratios instead (the units of a round were timed side by side, so what the machine did to
    both cancels in their ratio).

    Cases with equal numbers of units are stacked and share one vectorised scipy call:
    a call costs about 0.5 ms whatever its size, and a look decides hundreds of cases.
    """
    from scipy import stats  # imported here: scipy.stats costs ~1 s of every CLI start-up

    by_size: dict[tuple[int, int], list[K]] = {}
    for key, (a, b) in units.items():
        if paired and a.size != b.size:
            raise ValueError(
                f"case {key!r}: paired units need as many on each side, got {a.size} and {b.size}"
            )
        by_size.setdefault((a.size, b.size), []).append(key)
    out: dict[K, _Test] = {}
    for (n_a, n_b), keys in by_size.items():
        log_a = _log_rows(np.stack([units[k][0] for k in keys]), keys, "A")
        log_b = _log_rows(np.stack([units[k][1] for k in keys]), keys, "B")
        diff = log_b.mean(axis=1) - log_a.mean(axis=1)
        if n_a < 2 or n_b < 2:
            for key, d in zip(keys, diff.tolist(), strict=True):
                out[key] = _Test(d, -math.inf, math.inf, 1.0, 1.0, tested=False)
            continue
        # exact repeats (a coarse timer, synthetic data): t is undefined, but the answer is not
        # in doubt, so the interval is the point and p is 0 or 1.
        if paired:
            exact = np.ptp(log_b - log_a, axis=1) == 0
        else:
            exact = (np.ptp(log_a, axis=1) == 0) & (np.ptp(log_b, axis=1) == 0)
        for i in np.flatnonzero(exact).tolist():
            d = float(diff[i])
            out[keys[i]] = _Test(d, d, d, float(d <= 0), float(d >= 0), tested=True)
        rest = np.flatnonzero(~exact)
        if rest.size == 0:
            continue
        a, b = log_a[rest], log_b[rest]
        with warnings.catch_warnings():
            # "precision loss ... nearly identical" is expected for very stable timings
            warnings.simplefilter("ignore", RuntimeWarning)
            # one-sided tests at alpha_k: their (1 - alpha_k) bounds are the two ends of
            # the (1 - 2 alpha_k) two-sided interval, i.e. exactly the TOST of "same".
            if paired:
                greater = stats.ttest_rel(b, a, axis=-1, alternative="greater")
                less = stats.ttest_rel(b, a, axis=-1, alternative="less")
            else:
                greater = stats.ttest_ind(b, a, axis=-1, equal_var=False, alternative="greater")
                less = stats.ttest_ind(b, a, axis=-1, equal_var=False, alternative="less")
            low = np.atleast_1d(greater.confidence_interval(1.0 - alpha_k).low).tolist()
            high = np.atleast_1d(less.confidence_interval(1.0 - alpha_k).high).tolist()
        p_slower = np.atleast_1d(greater.pvalue).tolist()
        p_faster = np.atleast_1d(less.pvalue).tolist()
        for j, i in enumerate(rest.tolist()):
            d = float(diff[i])
            found = (low[j], high[j], p_slower[j], p_faster[j])
            if all(math.isfinite(x) for x in found):
                out[keys[i]] = _Test(d, *found, tested=True)
            else:  # not expected with >= 2 units and some spread; never a NaN verdict
                out[keys[i]] = _Test(d, -math.inf, math.inf, 1.0, 1.0, tested=False)
    return out


def _qvalues(tests: Mapping[K, _Test], keys: Sequence[K], side: str) -> dict[K, float]:
    """BH q-values of one family; untested cases are no hypothesis and get q = 1."""
    tested = [k for k in keys if tests[k].tested]
    p = [getattr(tests[k], side) for k in tested]
    q = dict(zip(tested, p, strict=True)) if len(p) == 1 else {}
    if len(p) > 1:
        q = dict(zip(tested, (float(x) for x in gate.fdr_qvalues(p)), strict=True))
    return {k: q.get(k, 1.0) for k in keys}


def _pct(level: float) -> str:
    """A confidence level as a percentage with enough digits not to read as 100%."""
    digits = max(0, math.ceil(-math.log10(max(1.0 - level, 1e-12))) - 1)
    return f"{level * 100:.{digits}f}%"


def _fmt(x: float) -> str:
    if x == math.inf:
        return "inf"
    return f"{x:.3g}" if x < 0.01 else f"{x:.2f}"


def _verdict(
    test: _Test,
    q_slower: float,
    q_faster: float,
    *,
    alpha_k: float,
    limit: float,
    threshold: float,
    where: str,
    last: bool,
) -> tuple[str, str]:
    ratio = math.exp(test.log_ratio)
    interval = f"{_pct(1.0 - 2.0 * alpha_k)} interval {_fmt(math.exp(test.low))}.."
    interval += _fmt(math.exp(test.high))
    more = "no looks left" if last else "needs more rounds"
    upper, lower = 1.0 + threshold, 1.0 / (1.0 + threshold)
    if not test.tested:
        return (
            UNDECIDED,
            f"ratio {ratio:.2f}; at least 2 units per side are needed ({where}): {more}",
        )
    if q_slower < alpha_k and test.log_ratio >= limit:
        return SLOWER, f"{ratio:.2f}x slower, {interval}, q={q_slower:.2g} ({where})"
    if q_faster < alpha_k and test.log_ratio <= -limit:
        speedup = f"{1 / ratio:.2f}x faster (ratio {ratio:.2f})"
        return FASTER, f"{speedup}, {interval}, q={q_faster:.2g} ({where})"
    if -limit < test.low and test.high < limit:
        return SAME, f"within {threshold:.0%}: ratio {ratio:.2f}, {interval} ({where})"
    if abs(test.log_ratio) >= limit:
        q, margin = (q_slower, upper) if test.log_ratio > 0 else (q_faster, lower)
        return UNDECIDED, (
            f"ratio {ratio:.2f} is past the {threshold:.0%} margin ({margin:.2f}) but not yet "
            f"established (q={q:.2g}, needs < {alpha_k:.2g}), {interval} ({where}): {more}"
        )
    above, below = test.high >= limit, test.low <= -limit
    if above and below:
        miss = f"reaches beyond both {lower:.2f} and {upper:.2f} (±{threshold:.0%})"
    elif above:
        miss = f"reaches above {upper:.2f} ({threshold:.0%} slower)"
    else:
        miss = f"reaches below {lower:.2f} ({threshold:.0%} faster)"
    return UNDECIDED, f"ratio {ratio:.2f}, {interval} {miss} ({where}): {more}"


def decide(
    cases: Mapping[K, tuple[Sequence[float], Sequence[float]]],
    *,
    look: int,
    plan: LookPlan,
    threshold: float = gate.DEFAULT_THRESHOLD,
    family: Callable[[K], Hashable] | None = None,
    paired: bool = False,
) -> dict[K, Decision]:
    """Decide all still-open cases at one look.

    Parameters
    ----------
    cases
        ``{key: (units_a, units_b)}``. Units are positive numbers (ns per call, one per
        worker process, or drift-corrected relative times), compared on the log scale.
    look
        1-based index of this look, at most ``plan.max_looks``.
    plan
        The looks and the spending of alpha over them.
    threshold
        The practical margin: "slower" needs a ratio >= 1 + threshold, "same" an interval
        inside ``[1 / (1 + threshold), 1 + threshold]``.
    family
        Optional ``key -> family``: Benjamini-Hochberg runs within each family instead of
        across all the cases of the call (e.g. independent calibration pairs, or time and
        memory, decided in one vectorised call). Default: one family.
    paired
        The i-th units of A and B were timed side by side (an interleaved session's round i):
        a paired t-test of their log ratios instead of Welch's. Needs as many units per side.

    Returns
    -------
    dict
        One `Decision` per key of ``cases``.
    """
    if not isinstance(plan, LookPlan):
        raise ValueError(f"plan must be a LookPlan, got {type(plan).__name__}")
    gate.validate_gate_options(threshold, plan.alpha)
    look = plan._check_look(look)
    alpha_k = plan.alpha_at(look)
    limit = math.log1p(threshold)
    units = {}
    for key, pair in cases.items():
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise ValueError(f"case {key!r}: expected a pair (units_a, units_b)")
        units[key] = (_as_units(pair[0], key, "A"), _as_units(pair[1], key, "B"))
    tests = _t_tests(units, alpha_k, paired=paired)
    families: dict[Hashable, list[K]] = {}
    for key in units:
        families.setdefault(None if family is None else family(key), []).append(key)
    q_slower: dict[K, float] = {}
    q_faster: dict[K, float] = {}
    for keys in families.values():
        q_slower.update(_qvalues(tests, keys, "p_slower"))
        q_faster.update(_qvalues(tests, keys, "p_faster"))
    out: dict[K, Decision] = {}
    for key, test in tests.items():
        n_a, n_b = units[key][0].size, units[key][1].size
        where = f"look {look} of {plan.max_looks}, " + (
            f"{n_a} paired rounds" if paired else f"{n_a}+{n_b} units"
        )
        verdict, reason = _verdict(
            test,
            q_slower[key],
            q_faster[key],
            alpha_k=alpha_k,
            limit=limit,
            threshold=threshold,
            where=where,
            last=look == plan.max_looks,
        )
        out[key] = Decision(
            verdict=verdict,
            ratio=math.exp(test.log_ratio),
            ci_low=math.exp(test.low),
            ci_high=math.exp(test.high),
            level=1.0 - 2.0 * alpha_k,
            p_slower=test.p_slower,
            p_faster=test.p_faster,
            q_value=q_slower[key] if test.log_ratio >= 0 else q_faster[key],
            look=look,
            n_a=n_a,
            n_b=n_b,
            reason=reason,
        )
    return {key: out[key] for key in cases}
