"""Pitfall 4: float16 input is refused by SciPy; convert to float32 and back."""

from __future__ import annotations

import pandas as pd

from bench.report.pitfalls import peers
from bench.report.pitfalls.base import Pitfall, run_snippet

FLOAT16 = """
import numpy as np
from scipy import ndimage

half = np.ones((8, 8), dtype=np.float16)
try:
    ndimage.gaussian_filter(half, sigma=1)
    outcome = "accepted"
except Exception as exc:
    outcome = f"{type(exc).__name__}: {exc}"
print(outcome)
"""

FLOAT16_FIX = """
import numpy as np
from scipy import ndimage

half = np.ones((8, 8), dtype=np.float16)
blurred = ndimage.gaussian_filter(half.astype(np.float32), sigma=1).astype(np.float16)
print(blurred.dtype, blurred.max())
"""


def float16(frame: pd.DataFrame) -> Pitfall:
    """float16 input is refused."""
    ns, code = run_snippet(FLOAT16)
    _, fix_code = run_snippet(FLOAT16_FIX)
    outcome = ns["outcome"]
    return Pitfall(
        "float16 is unsupported",
        code,
        f"SciPy {peers.version('scipy')} answers float16 input with {outcome}.",
        "convert to float32 before filtering and back afterwards if you must store float16.",
        fix_code,
        numbers={"outcome": outcome},
    )
