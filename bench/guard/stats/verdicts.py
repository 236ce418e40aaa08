"""The performance gate's vocabulary: verdicts, units, defaults and option checks.

Why the gate is built this way (the unit, the test, evidence and size): docs/timing.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from bench.exitcodes import UsageError

# The one vocabulary of verdicts (every other module imports these names).
#: verdicts a timed case can get
SLOWER = "slower"
FASTER = "faster"
SAME = "same"
INCONCLUSIVE = "inconclusive"
VERDICTS = (SLOWER, FASTER, SAME, INCONCLUSIVE)
#: one look's decisions (``bench.guard.stats.one_look``): "undecided" becomes "inconclusive"
#: once no look is left
UNDECIDED = "undecided"
DECISIONS = (SLOWER, FASTER, SAME, UNDECIDED)
#: memory verdicts of a case (``bench.guard.compare.memory``)
MORE_MEMORY = "more memory"
LESS_MEMORY = "less memory"
MEMORY_VERDICTS = (MORE_MEMORY, LESS_MEMORY, SAME)

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
    from scipy import stats  # imported here: scipy.stats costs ~1 s of every CLI start-up

    if not hasattr(stats, "false_discovery_control"):  # added in SciPy 1.11
        raise UsageError(
            "gfbench compare needs SciPy >= 1.11 (scipy.stats.false_discovery_control); "
            f"this environment has SciPy {__import__('scipy').__version__}"
        )
    return stats.false_discovery_control(np.clip(p, 0.0, 1.0), method="bh")
