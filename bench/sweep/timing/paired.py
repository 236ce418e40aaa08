"""Interleaved timing: one long-lived worker per environment, sampled in strict alternation.

One job: time the same cases in several environments in one round, so that every sample of one
environment lies next to a sample of each other one (milliseconds apart, in a random order per
case), and return one `WorkerResult` per environment, as `run_worker` would.

Public API: ``run_interleaved``. The worker side is ``python -m bench.sweep.timing.paired``.

Why (a neighbour's bursts reach both sides alike): docs/timing.md, "Interleaving".
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import gc
import json
import os
import random
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, MutableMapping, Sequence
from contextlib import ExitStack
from typing import IO, Any

from bench.sweep.cases import Case
from bench.sweep.timing.sampling import TimingSettings, calibrate
from bench.sweep.timing.worker import (
    REFERENCE_EVERY,
    Timer,
    WorkerResult,
    _emit,
    _sample,
    start_worker,
    worker_died,
    worker_start,
)


class _Served:
    """The driver's handle on one serving worker: one JSON line out, one JSON line back."""

    def __init__(self, timer: Timer, request: dict[str, Any], stderr: IO[str], timeout_s: float):
        self.timer = timer
        self._stderr = stderr
        self.proc = start_worker(timer, "bench.sweep.timing.paired", stderr)
        self.timed_out = threading.Event()
        # a worker that hangs (silent or not) is killed: readline then returns "" and we raise
        self._watchdog = threading.Timer(timeout_s, self._expire)
        self._watchdog.daemon = True
        self._watchdog.start()
        self.timeout_s = timeout_s
        self.errors: dict[str, str] = {}
        self._send(request)

    def wait_ready(self) -> None:
        """Read the worker's start: the cases it cannot time, then "ready"."""
        while True:
            message = self._read()
            if message.get("ready"):
                break
            self.errors[str(message["case_id"])] = str(message["error"])

    def _expire(self) -> None:
        self.timed_out.set()
        self.proc.kill()

    def _send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps(message) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self._died()

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self._died()
        return json.loads(line)

    def _died(self) -> None:
        self._watchdog.cancel()
        self.proc.kill()
        code = self.proc.wait()
        if self.timed_out.is_set():
            raise RuntimeError(f"timing worker of {self.timer.label} ran past {self.timeout_s:g} s")
        raise worker_died(self.timer, code, self._stderr)

    def ask(self, message: dict[str, Any]) -> dict[str, Any]:
        self._send(message)
        return self._read()

    def close(self) -> None:
        self._watchdog.cancel()
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):  # a broken pipe to a worker already gone
                    pipe.close()


def run_interleaved(
    timers: Sequence[Timer],
    cases: Sequence[Case],
    settings: TimingSettings,
    *,
    loops: MutableMapping[str, int],
    seed: int,
    timeout_s: float = 3600.0,
) -> dict[str, WorkerResult]:
    """Time ``cases`` in one worker per timer, alternating between them sample by sample.

    Each of ``settings.repeats`` passes visits the cases in a shuffled order; at each case every
    worker takes one sample, in a shuffled order of workers. ``loops``: case_id -> calls per
    sample, the same in every worker; a case without one is calibrated by every worker and gets
    the largest count, which is added to ``loops``. A case that fails in any worker is sampled no
    further in this round. A worker that dies or runs past ``timeout_s`` raises RuntimeError;
    the others are killed.
    """
    labels = [t.label for t in timers]
    if len(set(labels)) != len(labels):
        raise ValueError(f"timers need distinct labels, got {labels}")
    started = time.perf_counter()
    rng = random.Random(seed)
    samples: dict[str, dict[str, list[float]]] = {label: {} for label in labels}
    errors: dict[str, dict[str, str]] = {label: {} for label in labels}
    with ExitStack() as stack:
        workers: list[_Served] = []
        for timer in timers:
            stderr = stack.enter_context(
                tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace")
            )
            request = {"cases": [c.to_dict() for c in cases], "settings": settings.to_dict()}
            # each closed however the round ends
            worker = _Served(timer, request, stderr, timeout_s)
            stack.callback(worker.close)
            workers.append(worker)
        _wait_ready(workers)  # they start (import NumPy and SciPy) at the same time
        for worker in workers:
            errors[worker.timer.label].update(worker.errors)
        failed = {cid for errs in errors.values() for cid in errs}
        for _ in range(settings.repeats):
            order = [c for c in cases if c.case_id not in failed]
            rng.shuffle(order)
            _references(workers, rng, first=True)
            for index, case in enumerate(order):
                cid = case.case_id
                if cid not in loops and not _calibrate(workers, cid, loops, errors, rng):
                    failed.add(cid)
                    continue
                for worker in rng.sample(workers, len(workers)):
                    reply = worker.ask({"op": "sample", "case_id": cid, "loops": loops[cid]})
                    label = worker.timer.label
                    if "error" in reply:
                        errors[label][cid] = str(reply["error"])
                        failed.add(cid)
                        break
                    samples[label].setdefault(cid, []).append(float(reply["sample_ns"]))
                if index % REFERENCE_EVERY == REFERENCE_EVERY - 1:
                    _references(workers, rng, first=False)
            for worker in workers:
                worker.ask({"op": "collect"})
        _references(workers, rng, first=True)
        refs = {w.timer.label: w.ask({"op": "end"})["ref_ns"] for w in workers}
    seconds = time.perf_counter() - started
    return {
        label: WorkerResult(
            label,
            seed,
            {
                cid: (tuple(got), loops[cid])
                for cid, got in samples[label].items()
                if cid not in failed
            },
            errors[label],
            refs[label],
            seconds,
        )
        for label in labels
    }


def _wait_ready(workers: Sequence[_Served]) -> None:
    """Read every worker's start side by side; the first that dies or runs past its timeout
    raises at once, the others killed, so a crash is not reported only after a hung worker's
    timeout (up to 30 min in a session)."""
    with concurrent.futures.ThreadPoolExecutor(len(workers)) as pool:
        futures = [pool.submit(worker.wait_ready) for worker in workers]
        try:
            done, _ = concurrent.futures.wait(
                futures, return_when=concurrent.futures.FIRST_EXCEPTION
            )
            failed = next((f.exception() for f in futures if f in done and f.exception()), None)
            if failed is not None:
                raise failed
        except BaseException:  # a failed start, or Ctrl-C while waiting
            for worker in workers:  # their reads end, so the pool's threads can join now
                worker.proc.kill()
            raise


def _calibrate(
    workers: Sequence[_Served],
    case_id: str,
    loops: MutableMapping[str, int],
    errors: Mapping[str, dict[str, str]],
    rng: random.Random,
) -> bool:
    """Calls per sample of a case: every worker calibrates, the largest count is shared.

    One count for all sides: a sample starts with caches the other worker has just used, and
    fewer calls per sample would charge that refill to fewer calls, on one side only.
    """
    counts = []
    for worker in rng.sample(list(workers), len(workers)):
        reply = worker.ask({"op": "calibrate", "case_id": case_id})
        if "error" in reply:
            errors[worker.timer.label][case_id] = str(reply["error"])
            return False
        counts.append(int(reply["loops"]))
    loops[case_id] = max(counts)
    return True


def _references(workers: Sequence[_Served], rng: random.Random, *, first: bool) -> None:
    """One timing of the reference workload in every worker, side by side like the cases."""
    for worker in rng.sample(list(workers), len(workers)):
        worker.ask({"op": "ref", "n": 2 if first else 1})


# -- the worker process ------------------------------------------------------------------------


def _serve() -> int:
    """Answer the driver's requests, one JSON line each, until it says "end"."""
    request = json.loads(sys.stdin.readline())
    settings = TimingSettings(**request["settings"])
    cases = {case.case_id: case for case in (Case(**c) for c in request["cases"])}
    _, calls, reference, ref_loops = worker_start(list(cases.values()), settings)
    refs: list[float] = []
    _emit({"ready": True, "pid": os.getpid()})
    for line in sys.stdin:
        command = json.loads(line)
        op = command["op"]
        if op in ("calibrate", "sample"):
            case = cases[command["case_id"]]
            try:
                call = calls.get(case)
                if op == "calibrate":
                    reply = {"loops": calibrate(call, settings.min_sample_s)}
                else:
                    reply = {"sample_ns": _sample(call, int(command["loops"]))}
                del call
            except Exception as exc:  # one case failing never ends the worker
                why = f"timing: {type(exc).__name__}: {exc}"
                _emit({"case_id": case.case_id, "error": why[:500]})
                continue
            _emit({"case_id": case.case_id, **reply})
        elif op == "ref":
            refs.append(min(_sample(reference, ref_loops) for _ in range(int(command["n"]))))
            _emit({"ok": True})
        elif op == "collect":
            # the young generation only: what this pass left. A full collection took 31 ms of
            # CPU here (2026-12-03), once per worker and pass, for garbage a one-round worker
            # never accumulates
            gc.collect(0)
            _emit({"ok": True})
        elif op == "end":
            _emit({"ref_ns": min(refs) if refs else None, "ref_samples_ns": refs})
            return 0
        else:
            _emit({"error": f"unknown op {op!r}"})
            return 2
    return 1  # the driver went away without "end"


if __name__ == "__main__":
    sys.exit(_serve())
