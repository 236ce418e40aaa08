"""Pitfall 3: axis order changes integer results (the passes round in a different order)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bench.report.pitfalls.base import Pitfall, representative_sigma, run_snippet

AXIS_ORDER = """
import numpy as np
from scipy import ndimage

rng = np.random.default_rng(1)
img = rng.integers(0, 256, size=(128, 128)).astype(np.uint8)
rows_first = ndimage.gaussian_filter(img, sigma={sigma})
cols_first = ndimage.gaussian_filter(img.T, sigma={sigma}).T  # same filter, other pass first
diff = rows_first.astype(int) - cols_first
print(f"{{np.count_nonzero(diff)}} of {{diff.size}} pixels differ, by up to {{np.abs(diff).max()}}")
f64 = img.astype(np.float64)
float_diff = ndimage.gaussian_filter(f64, {sigma}) - ndimage.gaussian_filter(f64.T, {sigma}).T
print(f"float64: largest difference {{np.abs(float_diff).max():.1e}}")
"""

AXIS_ORDER_FIX = """
import numpy as np
from scipy import ndimage

rng = np.random.default_rng(1)
img = rng.integers(0, 256, size=(128, 128)).astype(np.uint8)

def blur_uint8(a, sigma):
    return np.clip(np.rint(ndimage.gaussian_filter(a, sigma, output=np.float64)), 0, 255)

diff = blur_uint8(img, {sigma}) - blur_uint8(img.T, {sigma}).T
print(f"{{np.count_nonzero(diff)}} pixels differ")
"""


def axis_order(frame: pd.DataFrame) -> Pitfall:
    """Transposing the input changes integer results: the truncation happens between passes."""
    sigma = representative_sigma(frame)
    ns, code = run_snippet(AXIS_ORDER.format(sigma=sigma))
    fix_ns, fix_code = run_snippet(AXIS_ORDER_FIX.format(sigma=sigma))
    differing = int(np.count_nonzero(ns["diff"]))
    largest = int(np.abs(ns["diff"]).max())
    float_largest = float(np.abs(ns["float_diff"]).max())
    fixed = int(np.count_nonzero(fix_ns["diff"]))
    return Pitfall(
        "Axis order changes integer results",
        code,
        f"at sigma {sigma:g}, filtering the transposed uint8 image and transposing back changes "
        f"{differing} of {ns['diff'].size} pixels by up to {largest} grey level(s), because the "
        f"result of the first pass is truncated before the second. In float64 the largest "
        f"difference is {float_largest:.1e}.",
        f"filter in floating point and round once: then {fixed} pixels differ.",
        fix_code,
        numbers={
            "sigma": sigma,
            "differing": differing,
            "largest": largest,
            "float_largest": float_largest,
            "fixed": fixed,
        },
    )
