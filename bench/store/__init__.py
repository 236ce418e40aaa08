"""The results store: one folder per run, JSON only, append-only, nothing lost.

Contract (the reporter and ``gfbench compare`` read this; keep the names)
=========================================================================

A run is a folder ``<out>/<run_id>/`` holding:

``run.json``
    ``{"schema_version": 1, "run_id", "grid": {"name", "source", "sha256", "spec" (the parsed
    grid TOML: every axis with its ``why``), "filters": {"impl", "dtype"}, "n_cases",
    "excluded"}, "started_at", "finished_at" (ISO 8601 UTC, null while running), "status"
    ("running" | "complete" | "interrupted"), "gfbench_version", "git_commit", "python",
    "platform", "host", "versions": {"numpy", "scipy", "opencv", "skimage", "pillow", "dask",
    "dask_image"} (null when missing), "impl_versions": {impl name -> version},
    "cpu": {"model", "flags" (list), "cores_logical", "cores_physical"},
    "threads": {OMP_NUM_THREADS, OPENBLAS_NUM_THREADS, MKL_NUM_THREADS, BLIS_NUM_THREADS,
    VECLIB_MAXIMUM_THREADS, NUMEXPR_NUM_THREADS -> value}, "blas": threadpoolctl.threadpool_info(),
    "bandwidth_gbs" (measured copy bandwidth), "peak_gflops" (float64 matmul, pinned threads),
    "timing": {"min_sample_s", "repeats", "processes", "warmup", "enabled"},
    "peak_mem_method", "load_average" (at start), "resumes": [{"at", "host", "git_commit"}],
    "wall_seconds", "accuracy_seconds" (oracle + metrics, summed over cases),
    "accuracy_fraction" (accuracy_seconds / wall_seconds), "counts": {status -> n}}``.
    Written atomically (temporary file + rename).

``cases.jsonl``
    One JSON object per finished case (one ``Row``), written whole with a single ``write``,
    then flushed and fsync'd. A line cut short by a kill is ignored with a warning when read,
    and ``--resume`` recomputes that case.

Row fields (flat; JSON null where not applicable):

- identity: ``case_id`` (12 hex digits, sha256 of the case parameters), ``group`` (grid group),
  ``impl``, ``dtype`` (label: "float64", "float32", "uint8", "uint16", "int16", "int32",
  "uint8->float32", "uint8->float64"), ``dtype_in``, ``dtype_out``, ``shape`` (list), ``ndim``,
  ``npix``, ``channels`` (int or null), ``sigma`` (float, or list per filtered axis), ``mode``,
  ``truncate``, ``order``, ``cval``, ``radius`` (list per filtered axis), ``axes`` (list or
  null), ``family`` ("2d", "3d", "rgb").
- outcome: ``status`` ("ok" | "unsupported" | "unavailable" | "error"), ``reason`` (why not ok),
  ``out_dtype`` (actual output dtype), ``output_sha256`` (sha256 of dtype, shape and bytes),
  ``threads`` (threads the implementation used).
- timing (ns per call; all null with ``--no-timing``): ``n_samples``, ``loops``, ``processes``,
  ``samples_ns`` (list, one per sample), ``min_ns``, ``median_ns``, ``mean_ns``, ``stdev_ns``,
  ``iqr_ns``, ``ci_low_ns``, ``ci_high_ns`` (confidence interval of the median), ``ci_level``
  (its actual coverage), ``unstable`` (bool), ``unstable_reason``.
- accuracy vs the oracle's ideal float64: ``max_abs_error``, ``rmse``, ``bias`` (mean of output
  - ideal), ``max_ulp_error`` (float outputs), ``max_grey_levels`` (integer outputs),
  ``frac_correctly_rounded`` (integer outputs), ``matches_storage_model`` (scipy only),
  ``interior_max_abs_error``, ``border_max_abs_error``, ``approximate`` (True for Pillow),
  ``accuracy_error`` (why accuracy is missing on an ok row, else null).
- cost: ``peak_mem_bytes`` (tracemalloc peak during one call: NumPy-visible allocations;
  C/C++ scratch buffers of OpenCV or SciPy are not seen), ``bytes_moved`` (input + output
  bytes), ``flops`` (operations: 3r + 1 per element per filtered axis, ``bench.sweep.roofs``),
  ``gbytes_per_s``, ``gflops_per_s``, ``bound_fraction`` (the least time the roofs that apply
  allow, ``bench.sweep.roofs.time_bound``, over ``min_ns``), ``accuracy_seconds``, ``case_seconds``
  (wall time of the whole case), ``host``, ``finished_at``.

Python API: ``load(path) -> DataFrame`` (``DataFrame.attrs["run"]`` holds run.json),
``load_run_meta(path) -> dict``, ``export(path, formats=("csv", "parquet"))``, ``Row``,
``RunStore`` (the writer; only the sweep driver writes).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.exitcodes import UsageError
from bench.store.validate import read_json_object, validate_row, validate_run_meta

SCHEMA_VERSION = 1
RUN_FILE = "run.json"
CASES_FILE = "cases.jsonl"
STATUSES = ("ok", "unsupported", "unavailable", "error")
RUN_STATUSES = ("running", "complete", "interrupted")


def utc_now() -> str:
    """Current time, ISO 8601 UTC with seconds."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


@dataclasses.dataclass(frozen=True)
class Row:
    """One finished case: the unit written to ``cases.jsonl``. Validates itself."""

    # identity
    case_id: str
    group: str
    impl: str
    dtype: str
    dtype_in: str
    dtype_out: str
    shape: tuple[int, ...]
    ndim: int
    npix: int
    channels: int | None
    sigma: float | tuple[float, ...]
    mode: str
    truncate: float
    order: int
    cval: float
    radius: tuple[int, ...]
    axes: tuple[int, ...] | None
    family: str
    # outcome
    status: str
    reason: str | None = None
    out_dtype: str | None = None
    output_sha256: str | None = None
    threads: int | None = None
    # timing
    n_samples: int | None = None
    loops: int | None = None
    processes: int | None = None
    samples_ns: tuple[float, ...] | None = None
    min_ns: float | None = None
    median_ns: float | None = None
    mean_ns: float | None = None
    stdev_ns: float | None = None
    iqr_ns: float | None = None
    ci_low_ns: float | None = None
    ci_high_ns: float | None = None
    ci_level: float | None = None
    unstable: bool | None = None
    unstable_reason: str | None = None
    # accuracy
    max_abs_error: float | None = None
    rmse: float | None = None
    bias: float | None = None
    max_ulp_error: float | None = None
    max_grey_levels: float | None = None
    frac_correctly_rounded: float | None = None
    matches_storage_model: bool | None = None
    interior_max_abs_error: float | None = None
    border_max_abs_error: float | None = None
    approximate: bool | None = None
    accuracy_error: str | None = None
    # cost
    peak_mem_bytes: int | None = None
    bytes_moved: int | None = None
    flops: int | None = None
    gbytes_per_s: float | None = None
    gflops_per_s: float | None = None
    bound_fraction: float | None = None
    accuracy_seconds: float | None = None
    case_seconds: float | None = None
    host: str | None = None
    finished_at: str | None = None

    def __post_init__(self) -> None:
        if not (
            isinstance(self.case_id, str)
            and len(self.case_id) == 12
            and all(c in "0123456789abcdef" for c in self.case_id)
        ):
            raise ValueError(f"Row.case_id must be 12 hex digits, got {self.case_id!r}")
        if self.status not in STATUSES:
            raise ValueError(f"Row.status {self.status!r} not one of {', '.join(STATUSES)}")
        if self.status != "ok" and not self.reason:
            raise ValueError(f"Row.reason is required when status is {self.status!r}")
        if self.status == "ok" and self.out_dtype is None:
            raise ValueError("Row.out_dtype is required when status is 'ok'")
        if self.status != "ok" and self.min_ns is not None:
            raise ValueError(f"a {self.status!r} row cannot carry timings")
        if self.samples_ns is not None:
            if self.n_samples != len(self.samples_ns):
                raise ValueError("Row.n_samples must equal len(samples_ns)")
            if not (self.min_ns is not None and self.min_ns <= (self.median_ns or 0.0)):
                raise ValueError("Row.min_ns must be set and <= median_ns")
        for name in ("min_ns", "median_ns", "peak_mem_bytes", "npix"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"Row.{name} must be >= 0, got {value!r}")

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict: tuples become lists, non-finite floats become null."""
        return {k: _jsonable(v) for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN/inf; a metric that is not finite is not a number
    return value


# -- writing -----------------------------------------------------------------------------------


def _write_json_atomic(path: Path, data: Mapping[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1, sort_keys=False, default=str)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def check_writable(out: str | Path) -> Path:
    """Make sure results can be written under ``out`` (creating it); UsageError if not.

    Called before any measurement, so a bad ``--out`` costs nothing.
    """
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".gfbench-write-probe-{os.getpid()}"
        probe.write_text("ok", encoding="utf-8")
        probe.unlink()
    except OSError as exc:
        raise UsageError(
            f"--out: cannot write results under {str(out)!r}: {exc.strerror or exc}; "
            "pass a writable directory"
        ) from None
    return out


class RunStore:
    """Writer of one run folder. Only the sweep driver writes (executors send rows back).

    Use ``RunStore.create(out, run_id, meta)`` for a new run, ``RunStore.reopen(run_dir)`` to
    resume; then ``append(row)`` per finished case and ``finish(status, **extra)``.
    """

    def __init__(self, run_dir: Path, meta: dict[str, Any], done: dict[str, dict]) -> None:
        self.run_dir = run_dir
        self.meta = meta
        self.done = done  # case_id -> row dict already stored
        self._fh = open(run_dir / CASES_FILE, "a", encoding="utf-8")  # noqa: SIM115 - long-lived

    @classmethod
    def create(cls, out: str | Path, run_id: str, meta: Mapping[str, Any]) -> RunStore:
        out = check_writable(out)
        run_dir = out.resolve() / run_id
        try:
            run_dir.mkdir(parents=True, exist_ok=False)
        except FileExistsError:
            raise UsageError(f"--out: run folder {str(run_dir)!r} already exists") from None
        full = {"schema_version": SCHEMA_VERSION, "run_id": run_id, **meta}
        full.setdefault("status", "running")
        full.setdefault("finished_at", None)
        _write_json_atomic(run_dir / RUN_FILE, full)
        (run_dir / CASES_FILE).touch()
        return cls(run_dir, full, {})

    @classmethod
    def reopen(cls, run_dir: str | Path) -> RunStore:
        """Open an existing run for appending; drops a truncated last line (with a warning)."""
        run_dir = resolve_run(run_dir, option="--resume").resolve()
        meta = load_run_meta(run_dir)
        rows, good_bytes = _read_rows(run_dir / CASES_FILE, repair=True)
        cases = run_dir / CASES_FILE
        if cases.exists() and cases.stat().st_size != good_bytes:
            with open(cases, "r+b") as fh:
                fh.truncate(good_bytes)  # so the next append starts on a fresh line
        check_writable(run_dir)
        return cls(run_dir, meta, {r["case_id"]: r for r in rows})

    def append(self, row: Row) -> None:
        """Write one row as one line, flushed and fsync'd before returning."""
        line = json.dumps(row.to_json(), separators=(",", ":"), allow_nan=False) + "\n"
        self._fh.write(line)
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self.done[row.case_id] = row.to_json()

    def update_meta(self, **fields: Any) -> None:
        self.meta.update(fields)
        _write_json_atomic(self.run_dir / RUN_FILE, self.meta)

    def finish(self, status: str, **fields: Any) -> None:
        """Record the final status (``complete`` or ``interrupted``) and close the file."""
        if status not in RUN_STATUSES:
            raise ValueError(f"run status {status!r} not one of {', '.join(RUN_STATUSES)}")
        self.update_meta(status=status, finished_at=utc_now(), **fields)
        self.close()

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()


# -- reading -----------------------------------------------------------------------------------


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
        meta = json.loads((run_dir / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return ""
    value = meta.get("started_at") if isinstance(meta, dict) else None
    return value if isinstance(value, str) else ""


def load_run_meta(path: str | Path) -> dict[str, Any]:
    """The parsed ``run.json`` of the run at ``path`` (see ``resolve_run``)."""
    run_dir = resolve_run(path)
    file = run_dir / RUN_FILE
    meta = read_json_object(file, what="run.json")
    return validate_run_meta(meta, file=file, schema_version=SCHEMA_VERSION)


def _read_rows(file: Path, *, repair: bool = False) -> tuple[list[dict], int]:
    """Rows of ``cases.jsonl`` and the byte length of its valid prefix.

    A bad *last* line (a kill mid-write) is dropped with a warning; a bad line anywhere else
    means the file was damaged otherwise, and is an error naming the line.
    """
    if not file.exists():
        return [], 0
    try:
        data = file.read_bytes()
    except OSError as exc:  # a folder named cases.jsonl, no permission ...
        raise UsageError(f"{file}: cannot read it: {exc.strerror or exc}") from None
    rows: list[dict] = []
    offset = 0
    lines = data.split(b"\n")
    # split leaves "" after a final newline; any other last piece is a partial line
    for number, raw in enumerate(lines, start=1):
        is_last = number == len(lines)
        if is_last and raw == b"":
            break
        complete = not is_last  # only a line followed by "\n" was written whole
        try:
            if not complete:
                raise ValueError("no final newline")
            row = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            if is_last or (number == len(lines) - 1 and lines[-1] == b""):
                warnings.warn(
                    f"{file}: line {number} is incomplete ({exc}); ignoring it"
                    + (" - its case will be recomputed" if repair else ""),
                    stacklevel=3,
                )
                break
            raise UsageError(f"{file}: line {number} is not a valid row: {exc}") from None
        rows.append(validate_row(row, file=file, line=number))
        offset += len(raw) + 1
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
    rows, _ = _read_rows(run_dir / CASES_FILE)
    columns = list(Row.field_names())
    frame = pd.DataFrame(rows, columns=columns) if rows else pd.DataFrame(columns=columns)
    if not frame.empty:
        frame = frame.drop_duplicates("case_id", keep="last").reset_index(drop=True)
    frame["run_id"] = meta.get("run_id")
    frame.attrs["run"] = meta
    return frame


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
        _spreadsheet_safe(_flatten_for_table(frame, json_lists=True)).to_csv(file, index=False)
        written.append(file)
    if "parquet" in formats:
        file = target / "cases.parquet"
        _flatten_for_table(frame, json_lists=False).to_parquet(file, index=False)
        written.append(file)
    return written


def rows_to_frame(rows: Iterable[Row]):
    """DataFrame of in-memory rows (tests and summaries)."""
    import pandas as pd

    return pd.DataFrame([r.to_json() for r in rows], columns=list(Row.field_names()))
