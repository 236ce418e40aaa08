"""Which rows a plot draws: order 0 only, scalar sigmas, and the slice of the grid where the
plotted parameter takes the most values."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bench.report import frames


def scalar_sigma(rows: pd.DataFrame) -> pd.DataFrame:
    scalar = rows["sigma"].map(lambda v: not isinstance(v, (list, tuple, np.ndarray)))
    return rows[scalar.astype(bool) & rows["sigma_value"].notna()]


def best_slice(
    rows: pd.DataFrame, keys: list[str], varying: str
) -> tuple[tuple, pd.DataFrame] | None:
    """The slice of ``rows`` (one value per column of ``keys``) where ``varying`` takes the
    most distinct values (at least 2); ties go to the slice with more pixels, then more rows.

    Rows whose ``mode`` is null (Pillow has no edge mode) join every slice.
    """
    if rows.empty:
        return None
    moded = rows[rows["mode"].notna()] if "mode" in keys else rows
    if moded.empty:
        return None
    stats = moded.groupby(keys, dropna=False).agg(
        distinct=(varying, "nunique"), npix=("npix", "max"), count=(varying, "size")
    )
    stats = stats[stats["distinct"] >= 2]
    if stats.empty:
        return None
    best = stats.sort_values(["distinct", "npix", "count"], kind="stable").index[-1]
    best = best if isinstance(best, tuple) else (best,)
    mask = np.ones(len(rows), dtype=bool)
    for key, value in zip(keys, best, strict=True):
        matches = (rows[key] == value).to_numpy().copy()
        if key == "mode":
            matches |= rows["mode"].isna().to_numpy()
        mask &= matches
    return best, rows[mask]


def order0(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[~frames.derivative_mask(rows)]


def dtypes_varying(rows: pd.DataFrame, column: str) -> list[str]:
    """The dtypes for which ``column`` takes at least two values: a one-point panel says
    nothing about a trend."""
    counts = rows.groupby("dtype")[column].nunique()
    return frames.dtype_order([d for d, n in counts.items() if n >= 2])
