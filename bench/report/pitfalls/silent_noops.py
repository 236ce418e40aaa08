"""Pitfall 10: silent no-ops: sigma=0, negative sigma and truncate=0 return the input."""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import ndimage

from bench.report.pitfalls.base import Pitfall, run_snippet

NO_OPS = """
import warnings
import numpy as np
from scipy import ndimage

img = np.arange(64, dtype=np.float64).reshape(8, 8)
for kwargs in ({"sigma": 0}, {"sigma": -1}, {"sigma": 1, "truncate": 0}, {"sigma": 0.1}):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            same = np.array_equal(ndimage.gaussian_filter(img, **kwargs), img)
            said = f"{len(caught)} warning(s)"
        except Exception as exc:
            same, said = None, type(exc).__name__
    print(kwargs, "returns the input unchanged:", same, "-", said)
truncate = 4.0  # SciPy's default
print("radius at sigma=0.1:", int(truncate * 0.1 + 0.5))  # SciPy's rule: 0 samples either side
"""


def silent_noops(frame: pd.DataFrame) -> Pitfall:
    """sigma=0, negative sigma, truncate=0 and tiny sigmas return the input without a word."""
    _, code = run_snippet(NO_OPS)
    img = np.arange(64, dtype=np.float64).reshape(8, 8)
    outcomes = {}
    for label, kwargs in (
        ("sigma=0", {"sigma": 0}),
        ("sigma=-1", {"sigma": -1}),
        ("truncate=0", {"sigma": 1, "truncate": 0}),
        ("sigma=0.1", {"sigma": 0.1}),
    ):
        outcomes[label] = _silently_unchanged(
            lambda kw=kwargs: ndimage.gaussian_filter(img, **kw), img
        )
    silent = [label for label, flag in outcomes.items() if flag]
    loud = [label for label, flag in outcomes.items() if not flag]
    threshold = _largest_noop_sigma()
    truncate = float(inspect.signature(ndimage.gaussian_filter).parameters["truncate"].default)
    radius = int(truncate * threshold + 0.5)
    consequence = (
        f"{', '.join(silent) or 'none of them'} return the input unchanged with no error and no "
        f"warning"
        + (f"; {', '.join(loud)} do not" if loud else "")
        + f". Any sigma up to {threshold:.4f} is a no-op at the default truncate {truncate:g}, "
        f"because the radius int(truncate*sigma + 0.5) is then {radius}."
    )
    return Pitfall(
        "Silent no-ops: sigma=0, negative sigma, truncate=0",
        code,
        consequence,
        "validate the arguments yourself: require sigma > 0 and int(truncate*sigma + 0.5) >= 1.",
        numbers={
            "outcomes": outcomes,
            "threshold": threshold,
            "truncate": truncate,
            "radius": radius,
        },
    )


def _silently_unchanged(call: Callable[[], np.ndarray], original: np.ndarray) -> bool:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = call()
        except Exception:
            return False
    return not caught and np.array_equal(out, original)


def _largest_noop_sigma() -> float:
    """The largest sigma (to 1e-6) that leaves an image unchanged at truncate 4 (bisection)."""
    img = np.arange(64, dtype=np.float64).reshape(8, 8)
    low, high = 0.0, 1.0  # unchanged at low, changed at high

    def unchanged(s: float) -> bool:
        return np.array_equal(ndimage.gaussian_filter(img, s), img)

    while high - low > 1e-6:
        middle = (low + high) / 2
        if unchanged(middle):
            low = middle
        else:
            high = middle
    return low
