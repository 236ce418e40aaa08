"""Timing: how the sweep measures a call's time.

- ``sampling``: calibrated sampling of one call (loops sized to a minimum sample time) and the
  row's timing statistics; also the per-case fresh-process timer the Dask executor uses.
- ``worker``: one long-lived timing worker process: every case in shuffled passes, plus the
  reference workload.
- ``paired``: one serving worker per environment, asked for one sample at a time in turn (the
  A/B session's rounds), every case with one loop count for all.
- ``phase``: the sweep's timing phase: the planned workers, one after another, resumable.

Why timing is built this way: docs/timing.md.
"""

from typing import Any

__all__ = [
    "TimingSettings",
    "calibrate",
    "median_ci",
    "summarize",
    "time_call",
    "time_in_processes",
]


def __getattr__(name: str) -> Any:
    # Re-exported lazily: ``python -m bench.sweep.timing.sampling`` (the per-case timing
    # process) imports this package first, and with an eager import here runpy found the
    # module it runs as __main__ already imported and warned (RuntimeWarning) in every worker.
    if name in __all__:
        from bench.sweep.timing import sampling

        return getattr(sampling, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
