"""Pitfall 6: a scalar sigma blurs a colour image across its channels too."""

from __future__ import annotations

import math

import pandas as pd

from bench.report.pitfalls.base import Pitfall, run_snippet

COLOUR = """
import numpy as np
from scipy import ndimage

rgb = np.zeros((32, 32, 3))
rgb[..., 0] = 255  # pure red
blurred = ndimage.gaussian_filter(rgb, sigma=2)
print(f"green after blur: {blurred[..., 1].max():.1f}, red: {blurred[..., 0].max():.1f}")
"""

COLOUR_FIX = """
import numpy as np
from scipy import ndimage

rgb = np.zeros((32, 32, 3))
rgb[..., 0] = 255
per_axis = ndimage.gaussian_filter(rgb, sigma=(2, 2, 0))  # no blur across channels
spatial = ndimage.gaussian_filter(rgb, sigma=2, axes=(0, 1))  # SciPy >= 1.11
print(f"green after blur: {per_axis[..., 1].max():.1f} and {spatial[..., 1].max():.1f}")
"""


def colour_channels(frame: pd.DataFrame) -> Pitfall:
    """A scalar sigma also blurs along the channel axis of an (H, W, 3) image."""
    ns, code = run_snippet(COLOUR)
    green = float(ns["blurred"][..., 1].max())
    red = float(ns["blurred"][..., 0].max())
    try:
        fix_ns, fix_code = run_snippet(COLOUR_FIX)
        fixed = float(max(fix_ns["per_axis"][..., 1].max(), fix_ns["spatial"][..., 1].max()))
        fix = (
            f"give a per-axis sigma with 0 on the channel axis, or axes=(0, 1): the green channel "
            f"then stays at {fixed:.1f}."
        )
    except TypeError:  # axes= is missing before SciPy 1.11
        fix_code, fixed = None, math.nan
        fix = "give a per-axis sigma with 0 on the channel axis, e.g. sigma=(2, 2, 0)."
    return Pitfall(
        "A colour image is blurred across its channels by a scalar sigma",
        code,
        f"a pure red image (255, 0, 0) blurred with sigma=2 gets green up to {green:.1f} and red "
        f"down to {red:.1f}: the channel axis is filtered like a spatial one.",
        fix,
        fix_code,
        numbers={"green": green, "red": red, "fixed": fixed},
    )
