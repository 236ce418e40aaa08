"""``Row``: one finished case, the unit the sweep writes and every reader reads back.

Frozen and self-validating (a bad row cannot exist); its fields are the row contract documented
in ``bench.store``. A row is checked with the reader's own table (``bench.store.validate``'s
``normalise_row``, the writers' side of ``validate_row``), so no writer can build a row the
loader refuses: an integral float for an int field (pandas' ``channels`` 3.0) becomes the int,
anything else the reader refuses fails here, naming the field. ``utc_now`` is the store's one
timestamp format (``Row.finished_at``, ``run.json``'s ``started_at``/``finished_at``).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
from typing import Any

from bench.store.validate.fields import FieldError
from bench.store.validate.run_folder import normalise_row

STATUSES = ("ok", "unsupported", "unavailable", "error")


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
    #: per worker process, aligned with the process groups of samples_ns: the minimum time
    #: of the fixed reference workload in that process (drift correction, bench.sweep.timing.worker)
    ref_ns: tuple[float, ...] | None = None
    #: instructions per call (callgrind, --metric instructions): the whole call, or only inside
    #: the adapter's entry symbols (run.json instructions.scope)
    instructions: float | None = None
    #: with --instructions-scope call (``instructions`` is then the whole call): the part of it
    #: inside the adapter's native entry symbols; None for entry-scope runs
    instructions_entry: float | None = None
    #: the callgrind dump the whole-call count came from, gzipped, relative to the run folder
    #: (``profiles/<case_id>.callgrind.gz``, ``bench.store.profiles``); None: not kept
    callgrind_profile: str | None = None
    #: the Python functions the call ran, tallied in an uncounted pass (``bench.sweep.bytecodes``,
    #: ``profiles/<case_id>.bytecodes.json.gz``); None: not kept
    bytecode_profile: str | None = None
    #: with --cache-sim (callgrind's cache simulation, whole-call scope): misses per call of
    #: valgrind's model cache, first level (I1mr + D1mr + D1mw) and last level (ILmr + DLmr +
    #: DLmw); a figure beside the instructions, not a verdict
    l1_misses: float | None = None
    ll_misses: float | None = None
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
    #: native peak: growth of the worker's resident high-water mark over one call, median
    #: over the worker processes (bench.sweep.peakrss); sees C/C++ buffers tracemalloc cannot
    peak_rss_bytes: int | None = None
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
        try:
            checked = normalise_row(dataclasses.asdict(self))
        except FieldError as exc:
            raise FieldError(exc.field, exc.message, owner="Row") from None
        for name, value in checked.items():
            # JSON lists back to the tuples the dataclass holds (so rows stay hashable)
            object.__setattr__(self, name, _tupled(value))
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
        for name in ("min_ns", "median_ns", "peak_mem_bytes", "peak_rss_bytes", "npix"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"Row.{name} must be >= 0, got {value!r}")

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict: tuples become lists, non-finite floats become null."""
        return {k: _jsonable(v) for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))


def _tupled(value: Any) -> Any:
    return tuple(_tupled(v) for v in value) if isinstance(value, list) else value


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN/inf; a metric that is not finite is not a number
    return value
