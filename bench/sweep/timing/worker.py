"""Timing in rounds of long-lived worker processes: the default way a case is timed.

One job: start a fresh worker interpreter (``python -m bench.sweep.timing.worker``), hand it a
list of
cases, and read back one *unit* per case: that worker's samples of the case. Every worker runs
its cases in its own shuffled order and also times a fixed *reference workload* between them.

Public API: ``Timer``, ``WorkerResult``, ``run_worker``, ``reference_call``, ``case_seed``.

Why: docs/timing.md.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import IO, Any

import numpy as np

from bench.sweep.cases import Case, case_bytes
from bench.sweep.timing.sampling import TimingSettings, calibrate

#: cases timed between two timings of the reference workload in a worker
REFERENCE_EVERY = 8
REFERENCE_SIZE = 1 << 15
REFERENCE_TAPS = 25
#: input bytes of built calls a worker keeps between its passes (the rest are rebuilt)
KEEP_BYTES = 1 << 30


class WorkerStopped(Exception):
    """The driver asked to stop while a worker was running; its units are discarded."""


@dataclasses.dataclass(frozen=True)
class Timer:
    """Where a worker runs: an interpreter with the harness installed, its environment, cwd.

    ``env`` None inherits this process's environment; ``label`` names the environment in
    A/B timing (``bench.guard.ab_session``).
    """

    label: str = "self"
    python: str = sys.executable
    env: Mapping[str, str] | None = None
    cwd: str | None = None


@dataclasses.dataclass(frozen=True)
class WorkerResult:
    """What one worker process measured.

    ``units``: case_id -> (per-call samples in ns, loops per sample). ``errors``: case_id ->
    why that case could not be timed. ``ref_ns``: the reference workload's minimum per call in
    this worker (None if it could not be timed).
    """

    label: str
    seed: int
    units: Mapping[str, tuple[tuple[float, ...], int]]
    errors: Mapping[str, str]
    ref_ns: float | None
    seconds: float


def reference_call() -> Callable[[], object]:
    """The fixed reference workload: ``numpy.correlate`` of 32768 float64 with 25 taps.

    A compiled inner loop of the filter's kind, in NumPy (not SciPy), so a change of SciPy does
    not move it; it runs from L2, so it measures the core's speed, as most quick-grid cases do.
    """
    rng = np.random.default_rng(0)
    x = rng.standard_normal(REFERENCE_SIZE)
    k = rng.standard_normal(REFERENCE_TAPS)
    return lambda: np.correlate(x, k, mode="valid")


def case_seed(base: int, *parts: int) -> int:
    """A worker's shuffle seed from the run's seed and its round/worker numbers."""
    return (base * 1_000_003 + sum(p * 7919 ** (i + 1) for i, p in enumerate(parts))) % 2**31


def run_worker(
    timer: Timer,
    cases: Sequence[Case],
    settings: TimingSettings,
    *,
    loops: Mapping[str, int],
    seed: int,
    on_unit: Callable[[str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    timeout_s: float = 3600.0,
) -> WorkerResult:
    """Time ``cases`` in one fresh worker process of ``timer`` and return its units.

    ``loops``: calls per sample for cases already calibrated (the others are calibrated by
    this worker, and its loop counts should be reused by the next ones, so every pooled sample
    averages the same number of calls). ``on_unit(case_id)`` is called as each case finishes
    (progress); ``should_stop()`` is polled, and True kills the worker and raises
    `WorkerStopped`. A worker that dies raises RuntimeError with its last stderr line; one still
    running after ``timeout_s`` (silent or not) is killed and raises RuntimeError.
    """
    request = {
        "cases": [c.to_dict() for c in cases],
        "loops": {c.case_id: loops[c.case_id] for c in cases if c.case_id in loops},
        "settings": settings.to_dict(),
        "seed": seed,
    }
    started = time.perf_counter()
    # stderr goes to a file, never a pipe nobody reads: a worker that writes more than a pipe
    # buffer there (warnings of a peer, a verbose library) would block, and so would we
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace") as stderr:
        units, errors, ref_ns = _read_worker(
            timer, request, stderr, on_unit=on_unit, should_stop=should_stop, timeout_s=timeout_s
        )
    return WorkerResult(timer.label, seed, units, errors, ref_ns, time.perf_counter() - started)


def start_worker(timer: Timer, module: str, stderr: IO[str]) -> subprocess.Popen:
    """``python -m module`` in ``timer``'s interpreter, speaking JSON lines on stdin/stdout."""
    return subprocess.Popen(
        [timer.python, "-m", module],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env=None if timer.env is None else dict(timer.env),
        cwd=timer.cwd,
        # its own session: a Ctrl-C in the terminal reaches the driver only, which decides
        start_new_session=True,
    )


def worker_died(timer: Timer, code: int, stderr: IO[str]) -> RuntimeError:
    """The error for a worker that exited ``code``, naming its last stderr line."""
    stderr.seek(0)
    tail = stderr.read().strip().splitlines() or ["no output"]
    return RuntimeError(f"timing worker of {timer.label} exited {code}: {tail[-1]}")


def _read_worker(
    timer: Timer,
    request: dict[str, Any],
    stderr: IO[str],
    *,
    on_unit: Callable[[str], None] | None,
    should_stop: Callable[[], bool] | None,
    timeout_s: float,
) -> tuple[dict[str, tuple[tuple[float, ...], int]], dict[str, str], float | None]:
    """Start the worker of ``run_worker``, feed it ``request`` and read its messages."""
    started = time.perf_counter()
    proc = start_worker(timer, "bench.sweep.timing.worker", stderr)
    # the watchdog: a worker that hangs without writing a line is killed at timeout_s too (the
    # check in the loop below only runs when a line arrives)
    timed_out = threading.Event()

    def _expire() -> None:
        timed_out.set()
        proc.kill()

    watchdog = threading.Timer(timeout_s, _expire)
    watchdog.daemon = True
    watchdog.start()
    units: dict[str, tuple[tuple[float, ...], int]] = {}
    errors: dict[str, str] = {}
    ref_ns: float | None = None
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps(request))
        proc.stdin.close()
        for line in proc.stdout:
            if should_stop is not None and should_stop():
                raise WorkerStopped
            if time.perf_counter() - started > timeout_s:
                timed_out.set()
                break
            message = json.loads(line)
            if "ref_ns" in message:
                ref_ns = message["ref_ns"]
                continue
            case_id = str(message["case_id"])
            if "error" in message:
                errors[case_id] = str(message["error"])
                units.pop(case_id, None)
            else:
                got, _ = units.get(case_id, ((), 0))
                units[case_id] = ((*got, float(message["sample_ns"])), int(message["loops"]))
            if on_unit is not None:
                on_unit(case_id)
        if timed_out.is_set():
            raise RuntimeError(f"timing worker of {timer.label} ran past {timeout_s:g} s")
        code = proc.wait(timeout=60)
    except BaseException as exc:
        proc.kill()
        proc.wait()
        if timed_out.is_set() and not isinstance(exc, RuntimeError):  # e.g. a broken stdin pipe
            raise RuntimeError(f"timing worker of {timer.label} ran past {timeout_s:g} s") from exc
        raise
    finally:
        watchdog.cancel()
        if proc.stdout is not None:
            proc.stdout.close()
    if code != 0:
        raise worker_died(timer, code, stderr)
    return units, errors, ref_ns


# -- the worker process ------------------------------------------------------------------------


def _why_not_timed(case: Case) -> str | None:
    from bench.sweep import impls

    adapter = impls.get(case.impl)
    return adapter.available() or adapter.supports(case)


def _emit(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _sample(fn: Callable[[], object], loops: int) -> float:
    t0 = time.perf_counter_ns()
    for _ in range(loops):
        fn()
    return (time.perf_counter_ns() - t0) / loops


class _Calls:
    """The built calls of a worker, kept between passes while they fit in ``max_bytes``.

    A call that does not fit is rebuilt (and warmed up again) in every pass.
    """

    def __init__(self, warmup: int, max_bytes: int) -> None:
        self._kept: dict[str, Callable[[], object]] = {}
        self._warmup = warmup
        self._room = max_bytes

    def get(self, case: Case) -> Callable[[], object]:
        from bench.sweep import impls
        from bench.sweep.inputs import input_for

        call = self._kept.get(case.case_id)
        if call is not None:
            return call
        x = input_for(case.shape, case.dtype_in).copy()
        call = impls.get(case.impl).prepare(case, x)
        for _ in range(self._warmup):
            call()
        size = case_bytes(case)
        if size <= self._room:
            self._kept[case.case_id] = call
            self._room -= size
        return call


def worker_start(
    cases: Sequence[Case], settings: TimingSettings
) -> tuple[set[str], _Calls, Callable[[], object], int]:
    """A worker's start: report the cases it cannot time (their ids are returned), make the
    calls' cache and the reference workload with its loop count, then switch the collector off
    (a collection triggered by earlier garbage is not charged to a case)."""
    failed: set[str] = set()
    for case in cases:
        try:
            why_not = _why_not_timed(case)
        except Exception as exc:
            why_not = f"{type(exc).__name__}: {exc}"
        if why_not is not None:
            failed.add(case.case_id)
            _emit({"case_id": case.case_id, "error": f"not timed: {why_not}"[:500]})
    calls = _Calls(settings.warmup, KEEP_BYTES)
    reference = reference_call()
    ref_loops = calibrate(reference, settings.min_sample_s / 2)
    gc.collect()
    gc.disable()
    return failed, calls, reference, ref_loops


def _worker_main() -> int:
    request = json.loads(sys.stdin.read())
    settings = TimingSettings(**request["settings"])
    loops: dict[str, int] = {str(k): int(v) for k, v in request.get("loops", {}).items()}
    cases = [Case(**c) for c in request["cases"]]
    rng = random.Random(int(request["seed"]))
    failed, calls, reference, ref_loops = worker_start(cases, settings)
    refs: list[float] = []
    for _ in range(settings.repeats):
        order = [c for c in cases if c.case_id not in failed]
        rng.shuffle(order)
        refs.append(min(_sample(reference, ref_loops) for _ in range(2)))
        for index, case in enumerate(order):
            try:
                call = calls.get(case)
                if case.case_id not in loops:
                    loops[case.case_id] = calibrate(call, settings.min_sample_s)
                sample = _sample(call, loops[case.case_id])
                del call
            except Exception as exc:  # one case failing never ends the worker
                failed.add(case.case_id)
                text = f"timing: {type(exc).__name__}: {exc}"
                _emit({"case_id": case.case_id, "error": text[:500]})
                continue
            _emit({"case_id": case.case_id, "sample_ns": sample, "loops": loops[case.case_id]})
            if index % REFERENCE_EVERY == REFERENCE_EVERY - 1:
                refs.append(_sample(reference, ref_loops))
        gc.collect()
    refs.append(min(_sample(reference, ref_loops) for _ in range(2)))
    _emit({"ref_ns": min(refs), "ref_samples_ns": refs, "pid": os.getpid()})
    return 0


if __name__ == "__main__":
    sys.exit(_worker_main())
