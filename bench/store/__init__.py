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
    "peak_mem_method", "peak_rss_method": {"method", "allocator", "fixed_mmap_threshold",
    "resolution_bytes", "unsupported"} (``bench.sweep.peakrss``), "load_average" (at start),
    "resumes": [{"at", "host", "git_commit"}],
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
  C/C++ scratch buffers of OpenCV or SciPy are not seen), ``peak_rss_bytes`` (growth of the
  resident high-water mark over one call: every touched page, native buffers included; null
  where unsupported, ``bench.sweep.peakrss``), ``bytes_moved`` (input + output
  bytes), ``flops`` (operations: 3r + 1 per element per filtered axis, ``bench.sweep.roofs``),
  ``gbytes_per_s``, ``gflops_per_s``, ``bound_fraction`` (the least time the roofs that apply
  allow, ``bench.sweep.roofs.time_bound``, over ``min_ns``), ``accuracy_seconds``, ``case_seconds``
  (wall time of the whole case), ``host``, ``finished_at``.
- instructions (``--metric instructions``; null otherwise): ``instructions`` (per call: the
  whole call, or the entry symbols with ``--instructions-scope entry``), ``instructions_entry``
  (the native entry symbols' part of a whole-call count), ``callgrind_profile`` and
  ``bytecode_profile`` (the profiles kept for compare's "where" list: a name relative to the
  run folder matching ``bench.store.profiles.PROFILE_NAME``, or null).

``profiles/``
    Whole-call instruction runs only: ``<case_id>.callgrind.gz`` (callgrind's dump of the
    counted calls, gzipped) and ``<case_id>.bytecodes.json.gz`` (the Python functions the call
    ran, ``bench.sweep.bytecodes``), named by the rows (``bench.store.profiles``).

``timing-units.jsonl``
    One line per finished timing worker (``bench.store.units``): the raw samples of every case
    it timed, its reference-workload time and seed. A timed sweep writes it before the rows, so
    an interrupted sweep resumes with the workers it finished.

Python API: ``load(path) -> DataFrame`` (``DataFrame.attrs["run"]`` holds run.json),
``load_run_meta(path) -> dict``, ``export(path, formats=("csv", "parquet"))``, ``Row``,
``RunStore`` (the writer; only the sweep driver writes).

Modules, one job each: ``row`` (``Row``, the unit written), ``reader`` (find a run, read and
validate ``run.json`` and ``cases.jsonl``, ``load``), ``writer`` (``RunStore``: the sweep's
append-only writer), ``units`` (the timing workers' file), ``exports`` (CSV/Parquet),
``validate`` (the checks of every file gfbench reads from disk). This ``__init__`` re-exports
what the other stages import from ``bench.store``.
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
