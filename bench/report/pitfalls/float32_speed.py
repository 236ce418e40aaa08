"""Pitfall 5: in SciPy, float32 is barely faster than float64 (measured from the run's rows).

``speed_ratios`` is shared with the report's speed summary.
"""

from __future__ import annotations

import textwrap

import pandas as pd

from bench.report import frames
from bench.report.model import Code
from bench.report.pitfalls.base import Pitfall

FLOAT32_SPEED = """
import timeit
import numpy as np
from scipy import ndimage

img64 = np.random.default_rng(0).random((1024, 1024))
img32 = img64.astype(np.float32)
t64 = min(timeit.repeat(lambda: ndimage.gaussian_filter(img64, 3), number=3, repeat=5))
t32 = min(timeit.repeat(lambda: ndimage.gaussian_filter(img32, 3), number=3, repeat=5))
print(f"float32 is {t64 / t32:.2f}x faster than float64")
"""


def speed_ratios(frame: pd.DataFrame, impl: str, dtype: str) -> pd.Series:
    """Per case: SciPy float64's median time over ``impl``/``dtype``'s, on the cases both ran."""
    timed = frames.timed_rows(frame)
    reference = timed[(timed["impl"] == "scipy") & (timed["dtype"] == "float64")]
    other = timed[(timed["impl"] == impl) & (timed["dtype"] == dtype)]
    ref_ns = reference.groupby("case_key")["median_ns"].median()
    other_ns = other.groupby("case_key")["median_ns"].median()
    both = ref_ns.index.intersection(other_ns.index)
    return (ref_ns[both] / other_ns[both]).sort_index()


def float32_speed(frame: pd.DataFrame) -> Pitfall:
    """SciPy float32 is barely faster than float64: it computes in double."""
    # The timing snippet is shown, not run: timings belong to the sweep, which controls noise.
    code = Code(textwrap.dedent(FLOAT32_SPEED).strip() + "\n")
    scipy32 = speed_ratios(frame, "scipy", "float32")
    numbers: dict[str, object] = {"scipy32_cases": len(scipy32)}
    if scipy32.empty:
        consequence = (
            "this run holds no timed SciPy float32 and float64 rows of the same cases, so the "
            "report cannot say how much float32 gains here."
        )
    else:
        numbers.update(
            scipy32_median=float(scipy32.median()),
            scipy32_min=float(scipy32.min()),
            scipy32_max=float(scipy32.max()),
        )
        consequence = (
            f"in this run SciPy float32 is {scipy32.median():.2f}x as fast as float64 (median over "
            f"{len(scipy32)} cases; from {scipy32.min():.2f}x to {scipy32.max():.2f}x): SciPy "
            f"computes every pass in double and only stores float32, so halving the bytes buys "
            f"little."
        )
    peers = []
    for impl in sorted(frame["impl"].dropna().unique()):
        if impl == "scipy":
            continue
        ratios = speed_ratios(frame, impl, "float32")
        if len(ratios):
            numbers[f"peer_median[{impl}]"] = float(ratios.median())
            if ratios.median() > 1:
                peers.append((float(ratios.median()), impl, len(ratios)))
    peers = [
        f"{impl} float32 was {ratio:.2f}x as fast as SciPy float64 (median over {n} cases)"
        for ratio, impl, n in sorted(peers, reverse=True)
    ]
    if peers:
        fix = (
            "when float32 speed matters, use a float32-native implementation: "
            + "; ".join(peers)
            + "."
        )
    else:
        fix = (
            "when float32 speed matters, use a float32-native implementation such as OpenCV; "
            "in this run no peer's float32 beat SciPy float64, so it cannot say by how much."
        )
    return Pitfall(
        "In SciPy, float32 is barely faster than float64", code, consequence, fix, numbers=numbers
    )
