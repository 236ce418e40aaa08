"""Reading a run folder: find it, parse ``run.json`` and ``cases.jsonl``, validate, load.

Every file here is untrusted: each line and field goes through ``bench.store.validate`` before
anything uses it. The folder layout names (``RUN_FILE``, ``CASES_FILE``, ``SCHEMA_VERSION``) live
here, the lower of the two sides: the writer imports them from this module.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bench.exitcodes import UsageError
from bench.store.row import Row
from bench.store.safe_files import iter_lines, read_capped
from bench.store.validate import (
    FileError,
    blame_writer,
    read_json_object,
    validate_row,
    validate_run_meta,
)
from bench.store.validate.files import decode_json

SCHEMA_VERSION = 1
RUN_FILE = "run.json"
CASES_FILE = "cases.jsonl"


def resolve_run(path: str | Path, *, option: str = "path") -> Path:
    """The run folder for ``path``: a run folder, its run.json/cases.jsonl, or a results folder
    (then its most recently started run)."""
    p = Path(path)
    if p.is_file() and p.name in (RUN_FILE, CASES_FILE):
        p = p.parent
    if (p / RUN_FILE).is_file():
        return p
    if p.is_dir():
        runs = [d for d in p.iterdir() if (d / RUN_FILE).is_file()]
        if runs:
            return max(runs, key=lambda d: (_started_at(d), d.name))
    raise UsageError(
        f"{option}: {str(path)!r} is not a run folder (no {RUN_FILE}) "
        "nor a results folder holding runs"
    )


def _started_at(run_dir: Path) -> str:
    try:
        meta = json.loads(read_capped(run_dir / RUN_FILE))
    except (OSError, ValueError, RecursionError):  # UsageError is a ValueError
        return ""
    value = meta.get("started_at") if isinstance(meta, dict) else None
    return value if isinstance(value, str) else ""


def load_run_meta(path: str | Path) -> dict[str, Any]:
    """The parsed ``run.json`` of the run at ``path`` (see ``resolve_run``)."""
    run_dir = resolve_run(path)
    file = run_dir / RUN_FILE
    meta = read_json_object(file, what="run.json", root=run_dir)
    try:
        return validate_run_meta(meta, file=file, schema_version=SCHEMA_VERSION)
    except FileError as exc:
        raise blame_writer(exc, meta) from None


def read_run_rows(run_dir: Path, meta: dict[str, Any], *, repair: bool = False):
    """``read_rows`` of the run's ``cases.jsonl``; a refusal of a row gfbench wrote (its
    ``run.json`` records the writer) says it is a gfbench bug (``blame_writer``)."""
    try:
        return read_rows(Path(run_dir) / CASES_FILE, repair=repair)
    except FileError as exc:
        raise blame_writer(exc, meta) from None


def read_rows(file: Path, *, repair: bool = False) -> tuple[list[dict], int]:
    """Rows of ``cases.jsonl`` and the byte length of its valid prefix.

    Read as a stream through ``bench.store.safe_files.iter_lines`` (a regular file, not a link,
    under the size and per-line caps). A bad *last* line (a kill mid-write) is dropped with a
    warning; a bad line anywhere else means the file was damaged otherwise, and is an error
    naming the line.
    """
    rows: list[dict] = []
    offset = 0
    bad: tuple[int, Exception] | None = None  # a bad line: fine only if it is the last one
    try:
        for number, raw in enumerate(iter_lines(file), start=1):
            if bad is not None:
                raise UsageError(f"{file}: line {bad[0]} is not a valid row: {bad[1]}")
            try:
                if not raw.endswith(b"\n"):  # only a line followed by "\n" was written whole
                    raise ValueError("no final newline")
                row = decode_json(raw, file=file, what="row", line=number)
            except (ValueError, RecursionError) as exc:
                bad = (number, exc)
                continue
            rows.append(validate_row(row, file=file, line=number))
            offset += len(raw)
    except FileNotFoundError:
        return [], 0
    except IsADirectoryError as exc:
        raise UsageError(f"{file}: cannot read it: {exc.strerror or exc}") from None
    if bad is not None:
        warnings.warn(
            f"{file}: line {bad[0]} is incomplete ({bad[1]}); ignoring it"
            + (" - its case will be recomputed" if repair else ""),
            stacklevel=2,
        )
    return rows, offset


def load(path: str | Path):
    """Load a run as a pandas DataFrame, one row per case.

    Parameters
    ----------
    path : str or Path
        A run folder (or its run.json / cases.jsonl), or a results folder (its latest run).

    Returns
    -------
    pandas.DataFrame
        Columns: every ``Row`` field plus ``run_id``; ``.attrs["run"]`` is run.json. If a case
        appears twice (it cannot with this writer), the last line wins.
    """
    import pandas as pd

    run_dir = resolve_run(path)
    meta = load_run_meta(run_dir)
    rows, _ = read_run_rows(run_dir, meta)
    columns = list(Row.field_names())
    frame = pd.DataFrame(rows, columns=columns) if rows else pd.DataFrame(columns=columns)
    if not frame.empty:
        frame = frame.drop_duplicates("case_id", keep="last").reset_index(drop=True)
    frame["run_id"] = meta.get("run_id")
    frame.attrs["run"] = meta
    return frame


def rows_to_frame(rows: Iterable[Row]):
    """DataFrame of in-memory rows (tests and summaries)."""
    import pandas as pd

    return pd.DataFrame([r.to_json() for r in rows], columns=list(Row.field_names()))
