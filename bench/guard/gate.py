"""The performance gate: is case X slower in run B than in run A, with evidence?

One job: turn two sets of timing *units* per case into a ratio with a confidence
interval, a p-value, a false-discovery-rate-controlled q-value and a verdict.

Why it is built this way (measured on this project's 2-core VMs): on them the median of 7
samples in one process swings up to 1.7x between processes, while the minimum
across several processes is stable within about 5%. So

- the statistical unit is the *worker process*: each process contributes one
  value, its minimum per-call time. Samples of one process are not independent
  of each other (they share the process's luck), so counting them as separate
  observations would make a slow process look like a significant regression.
  Only when a side has fewer than two processes do we fall back to samples as
  units, and the result says so;
- times are compared on the log scale (a ratio is a difference of logs, and
  timing noise is multiplicative), with Welch's t-test
  (``scipy.stats.ttest_ind(equal_var=False)``), which keeps power with the 3-5
  process units a sweep can afford, where a rank test cannot reach small
  p-values at all (Mann-Whitney with 3 vs 3 units has a minimum p of 0.05);
- a regression needs BOTH statistical evidence (Benjamini-Hochberg q-value below
  ``alpha`` across all the cases of the comparison, ``scipy.stats.false_discovery_control``)
  AND a practically relevant size (ratio >= 1 + threshold, default 10%);
- a case is *inconclusive* instead of flagged when the effect looks practically
  relevant but is not established, or when its confidence interval is wider than
  the threshold itself, i.e. the measurement cannot resolve the change asked about,
  or when each side comes from a single process: its samples cannot show the
  between-process swing, so they can support "same" but never "slower".
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from bench.exitcodes import UsageError

#: verdicts a timed case can get
SLOWER = "slower"
FASTER = "faster"
SAME = "same"
INCONCLUSIVE = "inconclusive"
VERDICTS = (SLOWER, FASTER, SAME, INCONCLUSIVE)

#: unit kinds
UNIT_PROCESS = "process"
UNIT_SAMPLE = "sample"

DEFAULT_THRESHOLD = 0.10
DEFAULT_ALPHA = 0.05
#: pyperf's rule: samples whose stdev is >= 10% of their mean are not to be trusted
UNSTEADY_CV = 0.10


def validate_gate_options(threshold: float, alpha: float) -> None:
    """Raise `UsageError` unless ``0 < threshold < 10`` and ``0 < alpha < 0.5``."""
    if not (isinstance(threshold, (int, float)) and math.isfinite(threshold)):
        raise UsageError(f"--threshold must be a finite number, got {threshold!r}")
    if not 0 < threshold < 10:
        raise UsageError(
            f"--threshold must be a fraction between 0 and 10 (0.10 means 10%), got {threshold}"
        )
    if not (isinstance(alpha, (int, float)) and 0 < alpha < 0.5):
        raise UsageError(f"--alpha must be between 0 and 0.5 (e.g. 0.05), got {alpha!r}")


@dataclass(frozen=True)
class TimingUnits:
    """The timing observations of one case on one side of a comparison.

    Parameters
    ----------
    values_ns
        One value per unit: the minimum per-call time of a worker process
        (``kind == "process"``) or a single per-call sample (``kind == "sample"``).
    kind
        ``"process"`` or ``"sample"``.
    """

    values_ns: tuple[float, ...]
    kind: str

    def __post_init__(self) -> None:
        if self.kind not in (UNIT_PROCESS, UNIT_SAMPLE):
            raise ValueError(f"kind must be 'process' or 'sample', got {self.kind!r}")
        if not self.values_ns:
            raise ValueError("values_ns must not be empty")
        if not all(math.isfinite(v) and v > 0 for v in self.values_ns):
            raise ValueError("values_ns must be finite and > 0 (times in ns)")


def choose_units(
    a_minima: Sequence[float],
    a_samples: Sequence[float],
    b_minima: Sequence[float],
    b_samples: Sequence[float],
) -> tuple[TimingUnits, TimingUnits]:
    """Pick the same unit kind for both sides: processes when both have >= 2.

    Mixing kinds would bias the ratio (a process minimum is systematically lower
    than a typical sample), so both sides fall back to samples together.
    """
    if len(a_minima) >= 2 and len(b_minima) >= 2:
        return TimingUnits(tuple(a_minima), UNIT_PROCESS), TimingUnits(
            tuple(b_minima), UNIT_PROCESS
        )
    return TimingUnits(tuple(a_samples), UNIT_SAMPLE), TimingUnits(tuple(b_samples), UNIT_SAMPLE)


@dataclass(frozen=True)
class RatioEstimate:
    """Time ratio B/A of one case (> 1 means B is slower)."""

    ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    n_a: int
    n_b: int
    unit: str
    confidence: float

    def __post_init__(self) -> None:
        if not self.ratio > 0:
            raise ValueError(f"ratio must be > 0, got {self.ratio}")
        if not 0 < self.confidence < 1:
            raise ValueError(f"confidence must be in (0, 1), got {self.confidence}")

    @property
    def log_halfwidth(self) -> float:
        """Half the width of the confidence interval on the log scale (inf if unknown)."""
        if not (self.ci_low > 0 and math.isfinite(self.ci_high)):
            return math.inf
        return 0.5 * (math.log(self.ci_high) - math.log(self.ci_low))


def estimate_ratio(
    a: TimingUnits, b: TimingUnits, *, alpha: float = DEFAULT_ALPHA
) -> RatioEstimate:
    """Ratio of geometric means of the units (B/A), its (1 - alpha) CI and a two-sided p.

    Welch's t-test on log times. With fewer than two units on a side nothing
    can be said about noise: the CI is (0, inf) and the p-value 1.
    """
    if a.kind != b.kind:
        raise ValueError(f"unit kinds differ: {a.kind} vs {b.kind}")
    log_a = np.log(np.asarray(a.values_ns, dtype=float))
    log_b = np.log(np.asarray(b.values_ns, dtype=float))
    diff = float(log_b.mean() - log_a.mean())
    ratio = math.exp(diff)
    confidence = 1.0 - alpha
    common = {"n_a": len(log_a), "n_b": len(log_b), "unit": a.kind, "confidence": confidence}
    if len(log_a) < 2 or len(log_b) < 2:
        return RatioEstimate(ratio, 0.0, math.inf, 1.0, **common)
    # exact repeats (synthetic data, or a timer with coarse resolution): the
    # t statistic is undefined, but the answer is not in doubt.
    if np.ptp(log_a) == 0 and np.ptp(log_b) == 0:
        p = 1.0 if diff == 0 else 0.0
        return RatioEstimate(ratio, ratio, ratio, p, **common)
    with warnings.catch_warnings():
        # "precision loss ... nearly identical" is expected for very stable timings
        warnings.simplefilter("ignore", RuntimeWarning)
        res = stats.ttest_ind(log_b, log_a, equal_var=False)
        ci = res.confidence_interval(confidence_level=confidence)
    p = float(res.pvalue) if math.isfinite(res.pvalue) else 1.0
    low, high = float(ci.low), float(ci.high)
    if not (math.isfinite(low) and math.isfinite(high)):
        return RatioEstimate(ratio, 0.0, math.inf, p, **common)
    return RatioEstimate(ratio, math.exp(low), math.exp(high), p, **common)


def fdr_qvalues(p_values: Sequence[float]) -> np.ndarray:
    """Benjamini-Hochberg q-values across the cases of one comparison."""
    p = np.asarray(p_values, dtype=float)
    if p.size == 0:
        return p
    if not hasattr(stats, "false_discovery_control"):  # added in SciPy 1.11
        raise UsageError(
            "gfbench compare needs SciPy >= 1.11 (scipy.stats.false_discovery_control); "
            f"this environment has SciPy {__import__('scipy').__version__}"
        )
    return stats.false_discovery_control(np.clip(p, 0.0, 1.0), method="bh")


def verdict(
    est: RatioEstimate,
    q_value: float,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    alpha: float = DEFAULT_ALPHA,
    within_cv: float | None = None,
) -> tuple[str, str]:
    """Decide one case: (verdict, reason).

    ``slower``/``faster`` need q < alpha AND a ratio beyond ``1 +/- threshold`` AND
    process units (with samples of a single process as units, a change beyond the
    threshold is ``inconclusive``); ``inconclusive`` also when the ratio is beyond the
    threshold without evidence, or when the CI is wider than the threshold; otherwise
    ``same``. ``within_cv`` is the largest stdev/mean of the samples of one worker
    process on either side; at >= `UNSTEADY_CV` the machine was busy while that case
    ran, and a change beyond the threshold is ``inconclusive`` too. Pass None when the
    sides were timed in alternating worker processes: a busy phase then hits both.
    """
    limit = math.log1p(threshold)
    log_ratio = math.log(est.ratio)
    significant = q_value < alpha
    if est.unit == UNIT_SAMPLE and abs(log_ratio) >= limit:
        # Samples of one process share that process's luck: the evidence above says
        # nothing about the between-process swing (up to 1.7x here), so no verdict.
        return INCONCLUSIVE, (
            f"ratio {est.ratio:.2f}, but one worker process per side: between-process noise "
            "is unmeasured (sweep --processes 3, or matrix --rounds 3)"
        )
    if within_cv is not None and within_cv >= UNSTEADY_CV and abs(log_ratio) >= limit:
        # A/A runs on the loaded 2-core VM: every false "3x slower" had samples of one
        # process varying by 10-100%; a load phase that covers all the processes of a
        # case looks like slow code, and only its unsteadiness gives it away.
        return INCONCLUSIVE, (
            f"ratio {est.ratio:.2f}, but unsteady: samples of one process vary by "
            f"{within_cv:.0%} (>= {UNSTEADY_CV:.0%}); the machine was busy"
        )
    if significant and log_ratio >= limit:
        return SLOWER, f"{est.ratio:.2f}x slower (q={q_value:.2g})"
    if significant and log_ratio <= -limit:
        return FASTER, f"{1 / est.ratio:.2f}x faster (q={q_value:.2g})"
    if abs(log_ratio) >= limit:
        return INCONCLUSIVE, (
            f"ratio {est.ratio:.2f} beyond the {threshold:.0%} threshold but not significant "
            f"(q={q_value:.2g}, {est.n_a}+{est.n_b} {est.unit} units)"
        )
    if est.log_halfwidth > limit:
        return INCONCLUSIVE, (
            f"too noisy: {est.confidence:.0%} CI {est.ci_low:.2f}..{_fmt_high(est.ci_high)} "
            f"is wider than the {threshold:.0%} threshold"
        )
    return SAME, f"within {threshold:.0%}"


def _fmt_high(x: float) -> str:
    return "inf" if not math.isfinite(x) else f"{x:.2f}"
