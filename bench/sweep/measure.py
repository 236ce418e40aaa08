"""Measure one case: call it, check its accuracy, time it, cost it, and return a ``Row``.

This is the unit of work an executor runs (``bench.sweep.executors``); it never raises for a bad
case: an implementation that cannot run the case gives an ``unsupported`` row, a missing package
an ``unavailable`` row, and an exception an ``error`` row, so one bad case never stops a sweep.

``build_call(case_dict)`` is the entry point timing worker processes import
(``bench.sweep.timing.sampling`` with ``processes >= 1``) to rebuild the same call in a fresh
interpreter.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import socket
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from bench.store import Row, utc_now
from bench.sweep import accuracy, impls, peakrss, roofs
from bench.sweep.cases import Case
from bench.sweep.inputs import input_for
from bench.sweep.timing.phase import timing_fields
from bench.sweep.timing.sampling import TimingSettings, time_call, time_in_processes

PEAK_MEM_METHOD = (
    "tracemalloc peak during one call, minus the allocations alive before it: NumPy-visible "
    "allocations (inputs, outputs, temporaries); C/C++ scratch buffers are not seen"
)


def times_nothing(settings: CaseSettings) -> bool:
    """True when the process running the cases times none of them (``--no-timing``, or timing
    in worker processes): only then may ``bench.sweep.peakrss`` fix glibc's mmap threshold,
    which makes every later call pay its page faults (2.5x slower at 128x128, measured)."""
    return settings.timing is None or settings.timing.processes >= 1


def peak_rss_method(settings: CaseSettings) -> dict[str, Any]:
    """run.json's ``peak_rss_method``: how ``peak_rss_bytes`` is measured under ``settings``."""
    return peakrss.describe(fixed=times_nothing(settings))


_HOST = socket.gethostname()
_LLC = roofs.llc_bytes()  # which cases the DRAM bandwidth bounds (bench.sweep.roofs)


@dataclasses.dataclass(frozen=True)
class CaseSettings:
    """What ``run_case`` does beyond calling: timing (None = ``--no-timing``) and bounds."""

    timing: TimingSettings | None = dataclasses.field(default_factory=TimingSettings)
    bandwidth_gbs: float | None = None
    peak_gflops: float | None = None
    worker_env: tuple[tuple[str, str], ...] | None = None

    def __post_init__(self) -> None:
        for name in ("bandwidth_gbs", "peak_gflops"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ValueError(f"CaseSettings.{name} must be > 0, got {value!r}")


def identity_fields(case: Case) -> dict[str, Any]:
    """The identity part of a row."""
    return _identity(case, case.radii)


def _identity(case: Case, radius: tuple[int, ...]) -> dict[str, Any]:
    return {
        "case_id": case.case_id,
        "group": case.group,
        "impl": case.impl,
        "dtype": case.dtype,
        "dtype_in": case.dtype_in,
        "dtype_out": case.dtype_out,
        "shape": case.shape,
        "ndim": case.ndim,
        "npix": case.npix,
        "channels": case.channels,
        "sigma": case.sigma,
        "mode": case.mode,
        "truncate": case.truncate,
        "order": case.order,
        "cval": case.cval,
        "radius": radius,
        "axes": case.axes,
        "family": case.family,
    }


def output_sha256(out: np.ndarray) -> str:
    """sha256 of dtype, shape and C-order bytes: equal hashes mean identical outputs."""
    h = hashlib.sha256()
    h.update(f"{out.dtype.str}{tuple(out.shape)}".encode())
    h.update(np.ascontiguousarray(out).tobytes())
    return h.hexdigest()


def cost_model(case: Case, out: np.ndarray) -> tuple[int, int]:
    """(bytes moved, operations): input + output bytes; ``bench.sweep.roofs.operations`` (3r + 1 per
    element per filtered axis: a direct symmetric convolution's least work)."""
    bytes_moved = int(input_for(case.shape, case.dtype_in).nbytes + out.nbytes)
    return bytes_moved, roofs.operations(case.radii, case.npix)


def build_call(case_dict: dict[str, Any]) -> Callable[[], np.ndarray]:
    """Rebuild a case's timed call from ``Case.to_dict()`` (timing workers import this)."""
    case = Case(**case_dict)
    return impls.get(case.impl).prepare(case, input_for(case.shape, case.dtype_in))


def derived_from_time(case: Case, fields: dict[str, Any], settings: CaseSettings) -> dict[str, Any]:
    """Throughput and the roofline fraction of a timed row (``min_ns``, ``bytes_moved``,
    ``flops`` and ``threads`` in ``fields``)."""
    seconds = fields["min_ns"] / 1e9
    bytes_moved, flops = fields.get("bytes_moved"), fields.get("flops")
    derived: dict[str, Any] = {
        "gbytes_per_s": None if not bytes_moved else bytes_moved / seconds / 1e9,
        "gflops_per_s": None if not flops else flops / seconds / 1e9,
    }
    if bytes_moved and flops:
        bound = roofs.time_bound(
            ops=flops,
            bytes_moved=bytes_moved,
            direct=bool(getattr(impls.get(case.impl), "direct", False)),
            dtype_in=case.dtype_in,
            dtype_out=case.dtype_out,
            threads=fields.get("threads"),
            bandwidth_gbs=settings.bandwidth_gbs,
            peak_gflops=settings.peak_gflops,
            llc=_LLC,
        )
        if bound is not None:
            derived["bound_fraction"] = bound / seconds
    return derived


def with_worker_timing(row: Row, case: Case, timing: dict[str, Any], settings: CaseSettings) -> Row:
    """``row`` (measured untimed) with the timing fields of its worker units added."""
    fields = {**row.to_json(), **timing}
    fields.update(derived_from_time(case, fields, settings))
    return Row(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in fields.items()})


def _call_with_peak(call: Callable[[], np.ndarray]) -> tuple[np.ndarray, int]:
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        out = call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return np.asarray(out), max(int(peak - before), 0)


def _error_text(stage: str, exc: BaseException) -> str:
    text = f"{stage}: {type(exc).__name__}: {exc}"
    return text if len(text) <= 500 else text[:497] + "..."


def run_case(case: Case, settings: CaseSettings) -> Row:
    """Run one case and return its row; never raises: any failure becomes an ``error`` row
    (issue 10: one bad case never stops a sweep, whatever fails, identity included)."""
    t_case = time.perf_counter()
    try:
        return _run_case(case, settings)
    except Exception as exc:
        try:
            ident = identity_fields(case)
        except Exception:  # the radius itself failed (e.g. an overflowing truncate*sigma)
            ident = _identity(case, ())
        return Row(
            **ident,
            status="error",
            reason=_error_text("case", exc),
            case_seconds=time.perf_counter() - t_case,
            host=_HOST,
            finished_at=utc_now(),
        )


def _run_case(case: Case, settings: CaseSettings) -> Row:
    t_case = time.perf_counter()
    ident = identity_fields(case)

    def finish(**fields: Any) -> Row:
        return Row(
            **ident,
            **fields,
            case_seconds=time.perf_counter() - t_case,
            host=_HOST,
            finished_at=utc_now(),
        )

    try:
        adapter = impls.get(case.impl)
    except KeyError:
        return finish(status="error", reason=f"unknown implementation {case.impl!r}")
    missing = adapter.available()
    if missing is not None:
        return finish(status="unavailable", reason=missing)
    why_not = adapter.supports(case)
    if why_not is not None:
        return finish(status="unsupported", reason=why_not)

    try:
        x = input_for(case.shape, case.dtype_in)
        call = adapter.prepare(case, x)
        out = np.asarray(call())
        # Untraced (tracemalloc's own bookkeeping would add pages) and after the first call,
        # which may import modules or build caches: native peak (bench.sweep.peakrss).
        if times_nothing(settings):
            peakrss.use_fixed_mmap_threshold()
        peak_rss = peakrss.measure(call)[1]
        # A third, traced call: the first may import modules or build caches (dask,
        # skimage), whose Python allocations tracemalloc would otherwise charge to the filter.
        _, peak = _call_with_peak(call)
        threads = adapter.threads()
    except Exception as exc:  # one bad case never stops the sweep
        return finish(status="error", reason=_error_text("call", exc))

    fields: dict[str, Any] = {
        "status": "ok",
        "out_dtype": out.dtype.name,
        "output_sha256": output_sha256(out),
        "threads": threads,
        "peak_mem_bytes": peak,
        "peak_rss_bytes": peak_rss,
        "approximate": adapter.approximate,
    }
    t_acc = time.perf_counter()
    try:
        fields.update(
            accuracy.metrics(
                case,
                out,
                approximate=adapter.approximate,
                check_storage_model=case.impl == "scipy",
            )
        )
    except Exception as exc:  # the call worked; say why its accuracy is missing
        fields["accuracy_error"] = _error_text("accuracy", exc)
    fields["accuracy_seconds"] = time.perf_counter() - t_acc

    bytes_moved, flops = cost_model(case, out)
    fields["bytes_moved"], fields["flops"] = bytes_moved, flops
    del out
    if settings.timing is not None:
        try:
            if settings.timing.processes >= 1:
                timing = time_in_processes(
                    "bench.sweep.measure:build_call",
                    case.to_dict(),
                    settings.timing,
                    env=None if settings.worker_env is None else dict(settings.worker_env),
                )
            else:
                timing = time_call(call, settings.timing)
        except Exception as exc:
            return finish(status="error", reason=_error_text("timing", exc))
        fields.update(timing.summary())
        fields.update(derived_from_time(case, fields, settings))
    return finish(**fields)


def add_timing(row: Row, case: Case, records: list, settings: CaseSettings) -> Row:
    """An untimed ``ok`` row with its case's worker timing, or an error row saying why not."""
    timing = timing_fields(records, row.case_id)
    if isinstance(timing, str):
        return dataclasses.replace(
            row, status="error", reason=timing, out_dtype=None, output_sha256=None
        )
    return with_worker_timing(row, case, timing, settings)
