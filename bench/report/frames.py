"""Derived columns and selections of a run's DataFrame, shared by tables, plots and pitfalls.

The store gives one row per case with list-valued ``shape``, ``sigma`` and ``axes``; the
report needs hashable labels to group on and a key that says "the same case, another
implementation or dtype".
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

INTEGER_DTYPES = ("uint8", "uint16", "int16", "int32")

# What makes two rows "the same case" apart from implementation and dtype: used to pair a
# row with SciPy float64 for speedups and with its peers for recommendations.
CASE_COLUMNS = ("family", "shape", "sigma", "mode", "truncate", "order", "cval", "axes")


def _label(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, (list, tuple, np.ndarray)):
        return "(" + ", ".join(_label(v) for v in value) + ")"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def shape_label(shape: object) -> str:
    """``[512, 512]`` -> ``"512x512"``."""
    if isinstance(shape, (list, tuple, np.ndarray)):
        return "x".join(str(int(n)) for n in shape)
    return _label(shape)


def _json_key(value: object) -> str:
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, float) and math.isnan(value):
        value = None
    return json.dumps(value, sort_keys=True, default=str)


def prepare(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``df`` with the label and key columns the report groups on.

    Columns missing from the frame (an older or partial run) are added as nulls, so that
    selections yield empty frames instead of ``KeyError``.
    """
    frame = df.copy()
    # run.json travels separately (``meta``); left in attrs, pandas deep-copies it on every
    # operation: about half of a quick-grid report's rendering time
    frame.attrs = {}
    for column in (
        *CASE_COLUMNS,
        "impl",
        "dtype",
        "status",
        "reason",
        "npix",
        "median_ns",
        "min_ns",
        "max_abs_error",
        "max_grey_levels",
        "bias",
        "unstable",
        "unstable_reason",
        "bound_fraction",
        "gbytes_per_s",
        "gflops_per_s",
        "interior_max_abs_error",
        "border_max_abs_error",
        "rmse",
        "max_ulp_error",
        "frac_correctly_rounded",
        "matches_storage_model",
        "approximate",
        "case_id",
        "out_dtype",
        "dtype_out",
    ):
        if column not in frame.columns:
            frame[column] = None
    for column in ("median_ns", "min_ns", "npix", "max_abs_error", "max_grey_levels", "bias"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    frame["shape_label"] = [shape_label(s) for s in frame["shape"]]
    frame["sigma_label"] = [_label(s) for s in frame["sigma"]]
    frame["case_key"] = [
        "|".join(_json_key(row[c]) for c in CASE_COLUMNS)
        for row in frame[list(CASE_COLUMNS)].to_dict("records")
    ]
    # Rows without a mode (Pillow has no edge mode) are compared with the others on this key.
    no_mode = [c for c in CASE_COLUMNS if c != "mode"]
    frame["case_key_nomode"] = [
        "|".join(_json_key(row[c]) for c in no_mode) for row in frame[no_mode].to_dict("records")
    ]
    # A scalar sigma as a number, for plotting against sigma; per-axis sigmas plot at their max.
    frame["sigma_value"] = [_sigma_value(s) for s in frame["sigma"]]
    return frame


def _sigma_value(sigma: object) -> float:
    if isinstance(sigma, (list, tuple, np.ndarray)):
        values = [float(s) for s in sigma]
        return max(values) if values else math.nan
    try:
        return float(sigma)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def ok_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows whose call succeeded."""
    return frame[frame["status"] == "ok"]


def timed_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Successful rows that carry timing (``--no-timing`` runs have none)."""
    ok = ok_rows(frame)
    return ok[ok["median_ns"].notna() & ok["min_ns"].notna()]


def accuracy_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Successful rows that carry an accuracy measurement."""
    ok = ok_rows(frame)
    return ok[ok["max_abs_error"].notna()]


def is_integer_dtype(label: str) -> bool:
    """Whether a dtype label names an integer output (``"uint8->float32"`` is a float output)."""
    return str(label) in INTEGER_DTYPES


def error_in_output_units(row: pd.Series) -> float:
    """The max error a user of this dtype cares about: grey levels for integers, else abs."""
    if is_integer_dtype(row["dtype"]) and pd.notna(row.get("max_grey_levels")):
        return float(row["max_grey_levels"])
    return float(row["max_abs_error"])


def reference_times(rows: pd.DataFrame, reference: pd.DataFrame) -> pd.Series:
    """For each row, the reference's median time on the same case (NaN where it has none).

    A row without a mode (Pillow) is matched with the reference's median over modes of the
    otherwise identical case.
    """
    by_key = reference.groupby("case_key")["median_ns"].median()
    by_nomode = reference.groupby("case_key_nomode")["median_ns"].median()
    exact = rows["case_key"].map(by_key)
    loose = rows["case_key_nomode"].map(by_nomode)
    return exact.where(rows["mode"].notna(), loose)


def derivative_mask(rows: pd.DataFrame) -> pd.Series:
    """True for rows with a derivative order > 0 on some axis."""

    def is_derivative(order: object) -> bool:
        if isinstance(order, (list, tuple, np.ndarray)):
            return any(int(o) > 0 for o in order)
        try:
            return int(order) > 0  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return False

    return rows["order"].map(is_derivative).astype(bool)


def output_dtype_differs(rows: pd.DataFrame) -> pd.Series:
    """True where the implementation returned another dtype than the case asked for."""
    if "out_dtype" not in rows.columns or "dtype_out" not in rows.columns:
        return pd.Series(False, index=rows.index)
    known = rows["out_dtype"].notna() & rows["dtype_out"].notna()
    return (known & (rows["out_dtype"].astype(str) != rows["dtype_out"].astype(str))).astype(bool)


def dtype_order(dtypes: Iterable[str]) -> list[str]:
    """Dtype labels in the order the report shows them: floats, integers, mixed, others."""
    preferred = [
        "float64",
        "float32",
        "uint8",
        "uint16",
        "int16",
        "int32",
        "uint8->float32",
        "uint8->float64",
    ]
    present = set(dtypes)
    return [d for d in preferred if d in present] + sorted(present - set(preferred))


#: Errors are shown with this many significant digits in every table and finding, and compared
#: with the budget as shown: a float-rounding hair above the budget (opencv-sep-1t's uint8
#: 0.500007 against mahotas' 0.499999 at a 0.5 budget) must not decide a recommendation that
#: the reader cannot see.
ERROR_DIGITS = 3


def shown_error(error: float) -> str:
    """An error as every table and finding prints it (``ERROR_DIGITS`` significant digits)."""
    return f"{error:.{ERROR_DIGITS}g}"


def within_budget(error: float, budget: float) -> bool:
    """Whether ``error`` is within ``budget`` as shown: its value rounded to ``ERROR_DIGITS``
    significant digits is at most the budget (a tolerance of half a unit in the last digit shown:
    0.500007 is within 0.5, 0.5006 is not; NaN never is)."""
    if not math.isfinite(error):
        return False
    return float(shown_error(error)) <= budget
