"""The results store: one folder per run, JSON only, append-only, nothing lost.

A run is a folder ``<out>/<run_id>/``: ``run.json`` (what ran, where, the grid, settings),
``cases.jsonl`` (one ``Row`` per finished case, appended and fsync'd) and
``timing-units.jsonl`` (one line per timing worker). The reporter and ``gfbench compare`` read
this contract; keep the names.

Python API: ``load(path) -> DataFrame`` (``DataFrame.attrs["run"]`` holds run.json),
``load_run_meta(path) -> dict``, ``export(path, formats=("csv", "parquet"))``, ``Row``,
``RunStore`` (the writer; only the sweep driver writes).

The format, field by field, and why: docs/results-format.md.
"""

from bench.store import validate
from bench.store.exports import export, spreadsheet_safe_cell
from bench.store.reader import (
    CASES_FILE,
    RUN_FILE,
    SCHEMA_VERSION,
    load,
    load_run_meta,
    read_rows,
    read_run_rows,
    resolve_run,
    rows_to_frame,
)
from bench.store.row import STATUSES, Row, utc_now
from bench.store.units import UNITS_FILE, WorkerRecord, append_worker, read_workers
from bench.store.writer import RUN_STATUSES, RunStore, check_writable

__all__ = [
    "CASES_FILE",
    "RUN_FILE",
    "RUN_STATUSES",
    "SCHEMA_VERSION",
    "STATUSES",
    "UNITS_FILE",
    "Row",
    "RunStore",
    "WorkerRecord",
    "append_worker",
    "check_writable",
    "export",
    "load",
    "load_run_meta",
    "read_rows",
    "read_run_rows",
    "read_workers",
    "resolve_run",
    "rows_to_frame",
    "spreadsheet_safe_cell",
    "utc_now",
    "validate",
]
