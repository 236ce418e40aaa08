"""The run's table as CSV and/or Parquet, for spreadsheets and other tools.

Reads through ``bench.store.reader.load`` (so the rows are validated) and flattens what those
formats cannot hold; CSV text cells that a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.exitcodes import UsageError
from bench.store.reader import load, resolve_run
from bench.store.safe_files import atomic_output


def _flatten_for_table(frame, *, json_lists: bool):
    """Copy of ``frame`` whose list or mixed columns are JSON strings where needed."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype != object:
            continue
        values = [v for v in out[col] if v is not None and v == v]  # v == v drops NaN
        has_list = any(isinstance(v, (list, tuple, dict)) for v in values)
        mixed = len({type(v) for v in values}) > 1
        if (has_list and json_lists) or (has_list and mixed):
            out[col] = [None if v is None else json.dumps(v) for v in out[col]]
    return out


#: Cell openings a spreadsheet reads as a formula (OWASP "CSV Injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe_cell(value: Any) -> Any:
    """``value``, or ``"'" + value`` for a text cell a spreadsheet would run as a formula.

    Numbers stay numbers, and so does text that is exactly a number (``"-1.5"``): only text
    that starts like a formula and is not a number gets the neutralising single quote.
    """
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value


def _spreadsheet_safe(frame):
    from pandas.api.types import is_numeric_dtype

    out = frame.copy()
    for col in out.columns:
        if not is_numeric_dtype(out[col]):  # object or pandas' string dtype: text cells
            out[col] = out[col].astype(object).map(spreadsheet_safe_cell)
    return out


def export(
    path: str | Path,
    formats: Sequence[str] = ("csv", "parquet"),
    *,
    dest: str | Path | None = None,
) -> list[Path]:
    """Write the run's table as CSV and/or Parquet next to it (or into ``dest``).

    CSV: list columns (``shape``, ``samples_ns`` ...) are JSON strings; a text cell starting
    with ``=``, ``+``, ``-`` or ``@`` (not a number) gets a leading ``'`` so a spreadsheet
    shows it instead of running it. Parquet (pyarrow):
    lists stay lists, except mixed columns (``sigma``: scalar or per-axis list) which become
    JSON strings. Returns the written paths.
    """
    allowed = ("csv", "parquet")
    bad = [f for f in formats if f not in allowed]
    if bad:
        raise UsageError(f"--export: unknown format {bad[0]!r}; allowed: {', '.join(allowed)}")
    frame = load(path)
    run_dir = resolve_run(path)
    target = Path(dest) if dest is not None else run_dir
    target.mkdir(parents=True, exist_ok=True)
    written = []
    if "csv" in formats:
        file = target / "cases.csv"
        with atomic_output(file) as fh:  # never through a cases.csv link
            _spreadsheet_safe(_flatten_for_table(frame, json_lists=True)).to_csv(fh, index=False)
        written.append(file)
    if "parquet" in formats:
        file = target / "cases.parquet"
        with atomic_output(file, text=False) as fh:
            _flatten_for_table(frame, json_lists=False).to_parquet(fh, index=False)
        written.append(file)
    return written
