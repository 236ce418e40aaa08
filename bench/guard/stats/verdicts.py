"""The performance gate's vocabulary: verdicts, units, defaults and option checks.

Why the gate is built the way it is (measured on this project's 2-core VMs):

- the statistical unit is the *worker process*: each process contributes one value, its
  minimum per-call time of a case (``bench.sweep.timing.worker``: a long-lived worker samples every
  case in several shuffled passes). Samples of one process share its luck (its memory layout,
  the load while it ran), so counting them as separate observations would make a slow
  process look like a significant regression. Only when a side has fewer than two processes
  do samples become the units, and then the gate never says "slower";
- times are compared on the log scale (a ratio is a difference of logs, timing noise is
  multiplicative), with Welch's t-test, which keeps power with the few process units a
  session can afford where a rank test cannot reach small p-values at all
  (`bench.guard.stats.one_look` decides one look, `bench.guard.stats.sequential_design`
  replays a session's looks);
- a regression needs BOTH statistical evidence (Benjamini-Hochberg q below the alpha spent at
  that look, across the cases decided together) AND a practically relevant size (ratio >= 1 +
  threshold, default 10%); "same" needs the whole interval inside +-threshold (equivalence);
  anything else is "inconclusive" once no look is left.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

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
