"""Pitfall 2: unsigned outputs wrap around with derivative orders (negative values have no home)."""

from __future__ import annotations

import pandas as pd

from bench.report import frames
from bench.report.pitfalls.base import Pitfall, run_snippet

WRAP = """
import numpy as np
from scipy import ndimage

img = np.zeros((32, 32), dtype=np.uint8)
img[:, 12:20] = 200  # a bright bar: a rising and a falling edge
ideal = ndimage.gaussian_filter(img.astype(np.float64), sigma=2, order=(0, 1))
wrapped = ndimage.gaussian_filter(img, sigma=2, order=(0, 1))
where = np.unravel_index(np.argmin(ideal), ideal.shape)
print(f"ideal {ideal[where]:.2f}, uint8 output {wrapped[where]}")
"""

WRAP_FIX = """
import numpy as np
from scipy import ndimage

img = np.zeros((32, 32), dtype=np.uint8)
img[:, 12:20] = 200
derivative = ndimage.gaussian_filter(img, sigma=2, order=(0, 1), output=np.float32)
print(f"most negative slope {derivative.min():.2f}")
"""


def unsigned_wrap(frame: pd.DataFrame) -> Pitfall:
    """Negative derivative values wrap around in unsigned outputs."""
    ns, code = run_snippet(WRAP)
    fix_ns, fix_code = run_snippet(WRAP_FIX)
    ideal = float(ns["ideal"][ns["where"]])
    stored = int(ns["wrapped"][ns["where"]])
    fixed = float(fix_ns["derivative"].min())
    run_worst = run_unsigned_derivative_errors(frame)
    if run_worst:
        run_text = (
            "In this run's derivative rows with an unsigned output, the worst error is "
            + (
                "; ".join(
                    f"{impl} {dtype}: {value:.4g} grey levels"
                    for (impl, dtype), value in run_worst.items()
                )
            )
            + "."
        )
    else:
        run_text = "This run holds no derivative rows with an unsigned output."
    return Pitfall(
        "Unsigned outputs wrap around with derivative orders",
        code,
        f"on the falling edge the derivative is {ideal:.2f}, but the uint8 output holds {stored}: "
        f"a steep falling edge looks like the steepest rising one. {run_text}",
        f"ask for a signed or floating-point output: with output=np.float32 the most negative "
        f"slope is {fixed:.2f}.",
        fix_code,
        numbers={"ideal": ideal, "stored": stored, "fixed": fixed, "run_worst": run_worst},
    )


def run_unsigned_derivative_errors(frame: pd.DataFrame) -> dict[tuple[str, str], float]:
    """Worst error (grey levels) per (impl, dtype) of the run's unsigned derivative rows."""
    rows = frames.accuracy_rows(frame)
    rows = rows[frames.derivative_mask(rows) & rows["dtype"].isin(["uint8", "uint16"])]
    rows = rows[rows["max_grey_levels"].notna()]
    worst = rows.groupby(["impl", "dtype"])["max_grey_levels"].max()
    return {key: float(value) for key, value in worst.items()}
