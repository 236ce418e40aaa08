"""Row helpers every part of ``gfbench compare`` shares: nulls, numbers, labels, keys, groups."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd


def is_null(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(isinstance(value, float) and math.isnan(value))
    except TypeError:
        return False


def as_number(value: Any) -> float | None:
    if is_null(value) or isinstance(value, (list, dict, str)):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def case_label(row: dict[str, Any] | pd.Series) -> str:
    """Short human-readable name of a row's case."""

    def get(key: str) -> Any:
        value = row.get(key) if isinstance(row, dict) else row.get(key, None)
        return None if is_null(value) else value

    shape = get("shape")
    shape_txt = "x".join(str(int(n)) for n in shape) if isinstance(shape, (list, tuple)) else "?"
    sigma = get("sigma")
    sigma_txt = (
        "x".join(f"{float(s):g}" for s in sigma)
        if isinstance(sigma, (list, tuple))
        else (f"{float(sigma):g}" if sigma is not None else "?")
    )
    extra = ""
    if get("order"):
        extra += f" order={int(get('order'))}"
    if get("cval"):
        extra += f" cval={float(get('cval')):g}"
    if get("truncate") not in (None, 4.0):
        extra += f" truncate={float(get('truncate')):g}"
    return f"{get('impl')} {get('dtype')} {shape_txt} s={sigma_txt} {get('mode')}{extra}"


def case_fields(key: tuple, row: dict[str, Any]) -> dict[str, Any]:
    """The fields that name a case in every per-case record of compare: its id, its machine
    (``host``, when the rows are grouped by machine), label, family, implementation, dtype."""
    return {
        "case_id": key[0],
        "host": key[1] if len(key) > 1 else None,
        "case": case_label(row),
        "family": row.get("family"),
        "impl": row.get("impl"),
        "dtype": row.get("dtype"),
    }


def row_key_columns(a: pd.DataFrame, b: pd.DataFrame) -> list[str]:
    # Rows from a cluster carry their worker's host; when both sides span several
    # machines, results are grouped by machine (issue 6) instead of mixed.
    multi = all("host" in f and f["host"].dropna().nunique() > 1 for f in (a, b))
    return ["case_id", "host"] if multi else ["case_id"]


def group_rows(frame: pd.DataFrame, keys: Sequence[str]) -> dict[tuple, list[dict[str, Any]]]:
    """Rows as plain dicts grouped by key (one per round), in first-seen order.

    Plain dicts, because pandas copies ``attrs`` on every row access and the cases of
    a sweep number in the hundreds.
    """
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in frame.to_dict("records"):
        key = tuple(None if is_null(row.get(k)) else row.get(k) for k in keys)
        groups.setdefault(key, []).append(row)
    return groups
