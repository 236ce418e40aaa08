"""Calibrated timing and its statistics.

How a case is timed (pyperf's recipe, adapted to the measured noise of these machines):

1. ``warmup`` untimed calls (caches, lazy imports, thread pools);
2. calibrate ``loops`` (calls per sample) so that one sample takes >= ``min_sample_s``;
3. ``repeats`` samples of ``loops`` calls each, garbage collector disabled;
4. with ``processes >= 1`` steps 1-3 run in that many *fresh* worker processes
   (``python -m bench.sweep.timing.sampling``, reading a JSON request on stdin), and the
   samples are pooled.

Why: docs/timing.md.
"""

from __future__ import annotations

import dataclasses
import gc
import importlib
import json
import math
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

UNSTABLE_CV = 0.10  # pyperf: stdev >= 10% of the mean
SHORT_SAMPLE_S = 1e-3  # pyperf: samples under 1 ms are untrustworthy
CI_LEVEL = 0.95
_MAX_LOOPS = 10**7


#: Longest calibrated sample (``--min-sample-ms`` at most 10,000).
MAX_MIN_SAMPLE_S = 10.0
#: Largest ``--repeats``, ``--warmup`` and ``--processes``.
TIMING_LIMITS = {"repeats": 1000, "warmup": 1000, "processes": 64}


@dataclasses.dataclass(frozen=True)
class TimingSettings:
    """How to time a case.

    Parameters
    ----------
    min_sample_s : float
        Calibrate the loop count so one sample takes at least this long (default 10 ms).
    repeats : int
        Samples per process.
    warmup : int
        Untimed calls before calibrating.
    processes : int
        0: time in the calling process; N >= 1: in N fresh worker processes, pooled.
    """

    min_sample_s: float = 0.010
    repeats: int = 5
    warmup: int = 1
    processes: int = 0

    def __post_init__(self) -> None:
        # the maxima (TIMING_LIMITS) keep a typo such as --repeats 1e20 from a run that never
        # ends; they are far above any useful setting
        if not (math.isfinite(self.min_sample_s) and 0 < self.min_sample_s <= MAX_MIN_SAMPLE_S):
            raise ValueError(
                f"min_sample_s must be > 0 and <= {MAX_MIN_SAMPLE_S:g}, got {self.min_sample_s!r}"
            )
        for name, low in (("repeats", 1), ("warmup", 0), ("processes", 0)):
            value, high = getattr(self, name), TIMING_LIMITS[name]
            if not (
                isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
            ):
                raise ValueError(f"{name} must be an int in [{low}, {high}], got {value!r}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Timing:
    """Raw samples of one case: per-call nanoseconds, one value per sample."""

    samples_ns: tuple[float, ...]
    loops: int
    processes: int
    min_sample_s: float = TimingSettings.min_sample_s

    def __post_init__(self) -> None:
        if not self.samples_ns:
            raise ValueError("Timing needs at least one sample")
        if any(not (math.isfinite(s) and s > 0) for s in self.samples_ns):
            raise ValueError("Timing samples must be finite and > 0")
        if self.loops < 1:
            raise ValueError(f"Timing.loops must be >= 1, got {self.loops}")

    def summary(self) -> dict[str, Any]:
        """The row's timing fields (see ``summarize``)."""
        return summarize(self.samples_ns, loops=self.loops, processes=self.processes)


def median_ci(samples: Sequence[float], level: float = CI_LEVEL) -> tuple[float, float, float]:
    """Distribution-free confidence interval of the median from order statistics.

    The number of samples below the true median is Binomial(n, 1/2), so
    ``[x_(j), x_(n+1-j)]`` covers the median with probability ``1 - 2 * P(B <= j - 1)``.
    We take the narrowest such interval with coverage >= ``level``; with too few samples for
    that (n < 6 at 95%) the interval is ``[min, max]`` and its lower coverage is returned.

    Returns
    -------
    (low, high, coverage)
    """
    from scipy import stats  # imported here: scipy.stats costs ~1 s of CLI start-up

    x = np.sort(np.asarray(samples, dtype=float))
    n = x.size
    j_best = 1
    for j in range(1, n // 2 + 1):
        coverage = 1.0 - 2.0 * stats.binom.cdf(j - 1, n, 0.5)
        if coverage >= level:
            j_best = j
        else:
            break
    coverage = 1.0 - 2.0 * stats.binom.cdf(j_best - 1, n, 0.5)
    return float(x[j_best - 1]), float(x[n - j_best]), float(coverage)


def summarize(samples_ns: Sequence[float], *, loops: int, processes: int) -> dict[str, Any]:
    """Timing fields of a row from raw per-call samples (nanoseconds).

    Returns
    -------
    dict
        ``n_samples, loops, processes, samples_ns, min_ns, median_ns, mean_ns, stdev_ns, iqr_ns,
        ci_low_ns, ci_high_ns, ci_level, unstable, unstable_reason``.
    """
    from scipy import stats

    x = np.asarray(samples_ns, dtype=float)
    mean = float(x.mean())
    stdev = float(x.std(ddof=1)) if x.size > 1 else 0.0
    low, high, coverage = median_ci(x)
    reasons = []
    minima = _process_minima(x, processes)
    if minima is not None:
        # Samples of several workers: a sample cut by the scheduler says nothing about the
        # code, the spread of the workers' minima (the gate's units) does.
        spread = float(minima.std(ddof=1) / minima.mean())
        if spread >= UNSTABLE_CV:
            reasons.append(f"worker minima vary by {100 * spread:.0f}% (>= 10%)")
    elif mean > 0 and stdev >= UNSTABLE_CV * mean:
        reasons.append(f"stdev is {100 * stdev / mean:.0f}% of the mean (>= 10%)")
    sample_s = float(x.min()) * loops / 1e9
    if sample_s < SHORT_SAMPLE_S:
        # three decimals: "1.00 ms (< 1 ms)" read as a contradiction (issue 24)
        reasons.append(f"samples last {sample_s * 1e3:.3f} ms (< 1 ms)")
    return {
        "n_samples": int(x.size),
        "loops": int(loops),
        "processes": int(processes),
        "samples_ns": [round(float(s), 1) for s in x],
        "min_ns": float(x.min()),
        "median_ns": float(np.median(x)),
        "mean_ns": mean,
        "stdev_ns": stdev,
        "iqr_ns": float(stats.iqr(x)),
        "ci_low_ns": low,
        "ci_high_ns": high,
        "ci_level": coverage,
        "unstable": bool(reasons),
        "unstable_reason": "; ".join(reasons) or None,
    }


def _process_minima(x: np.ndarray, processes: int) -> np.ndarray | None:
    """Each worker's minimum when ``x`` holds ``processes`` equal chunks, one per worker."""
    if processes < 2 or x.size % processes:
        return None
    return x.reshape(processes, -1).min(axis=1)


def _time_loops(fn: Callable[[], object], loops: int) -> int:
    t0 = time.perf_counter_ns()
    for _ in range(loops):
        fn()
    return time.perf_counter_ns() - t0


#: Calibration aims this far past the target, from the fastest of its confirming passes: a
#: sample timed later runs faster than the calibrating one (warm caches, a quieter moment), and
#: with loops sized to exactly 1 ms the shortest of 21 samples fell to 0.62-0.83 ms (issue 24:
#: most "unstable" rows of a quiet run were such short samples, sized to 1 ms).
CALIBRATION_MARGIN = 1.5


def calibrate(fn: Callable[[], object], min_sample_s: float) -> int:
    """Loop count whose sample lasts >= ``CALIBRATION_MARGIN`` x ``min_sample_s``.

    The count grows x2 .. x10 per step until one pass reaches the target, is confirmed by the
    fastest of three passes (a cold first pass, a thread pool waking up, can be 10x slower than
    the rest), then is scaled so that this fastest pass reaches the margin.
    """
    target_ns = min_sample_s * 1e9
    loops = 1
    while True:
        elapsed = _time_loops(fn, loops)
        if elapsed >= target_ns:
            elapsed = min(elapsed, _time_loops(fn, loops), _time_loops(fn, loops))
        if elapsed >= CALIBRATION_MARGIN * target_ns or loops >= _MAX_LOOPS:
            return loops
        if elapsed >= target_ns:  # close: scale once, from the fastest pass, past the margin
            return min(_MAX_LOOPS, math.ceil(loops * CALIBRATION_MARGIN * target_ns / elapsed))
        # aim past the margin so the timed samples do not fall just short of the target
        factor = CALIBRATION_MARGIN * target_ns / max(elapsed, 1)
        loops = min(_MAX_LOOPS, max(loops * 2, min(int(loops * factor) + 1, loops * 10)))


def time_call(
    fn: Callable[[], object],
    settings: TimingSettings,
    *,
    loops: int | None = None,
) -> Timing:
    """Time ``fn`` in this process: warm-up, calibrate (unless ``loops`` is given), sample.

    The garbage collector is off while timing, so a collection triggered by earlier garbage
    is not charged to the case.
    """
    gc_was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        for _ in range(settings.warmup):
            fn()
        if loops is None:
            loops = calibrate(fn, settings.min_sample_s)
        samples = [_time_loops(fn, loops) / loops for _ in range(settings.repeats)]
    finally:
        if gc_was_enabled:
            gc.enable()
    return Timing(tuple(samples), loops, processes=0, min_sample_s=settings.min_sample_s)


# -- worker processes --------------------------------------------------------------------------


def _resolve(target: str) -> Callable[..., Callable[[], object]]:
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def time_in_processes(
    target: str,
    payload: Mapping[str, Any],
    settings: TimingSettings,
    *,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 600.0,
) -> Timing:
    """Time in ``settings.processes`` fresh worker processes, one after the other.

    Parameters
    ----------
    target : str
        ``"module:function"``; the worker calls ``function(payload)`` to get the zero-argument
        callable to time. It must be importable in a fresh interpreter.
    payload : mapping
        JSON-serialisable argument for ``target``.
    settings : TimingSettings
    env : mapping, optional
        Environment of the workers (the pinned thread variables).

    The first worker calibrates the loop count; later workers reuse it, so every pooled sample
    averages the same number of calls.
    """
    samples: list[float] = []
    loops: int | None = None
    for _ in range(settings.processes):
        request = {
            "target": target,
            "payload": dict(payload),
            "settings": settings.to_dict(),
            "loops": loops,
        }
        proc = subprocess.run(
            [sys.executable, "-m", "bench.sweep.timing.sampling"],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            env=None if env is None else dict(env),
            timeout=timeout_s,
            check=False,
        )
        if proc.returncode != 0:
            tail = proc.stderr.strip().splitlines()[-1:] or ["no output"]
            raise RuntimeError(f"timing worker exited {proc.returncode}: {tail[0]}")
        answer = json.loads(proc.stdout.strip().splitlines()[-1])
        samples.extend(answer["samples_ns"])
        loops = answer["loops"]
    assert loops is not None
    return Timing(tuple(samples), loops, settings.processes, settings.min_sample_s)


def _worker_main() -> int:
    # Ctrl-C in a terminal reaches the whole process group; the driver decides when to stop
    # (after the current case), so the worker finishes its samples.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    request = json.loads(sys.stdin.read())
    settings = TimingSettings(**request["settings"])
    fn = _resolve(request["target"])(request["payload"])
    timing = time_call(fn, settings, loops=request.get("loops"))
    sys.stdout.write(json.dumps({"samples_ns": list(timing.samples_ns), "loops": timing.loops}))
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(_worker_main())
