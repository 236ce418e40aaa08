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

from bench.sweep.timing.sampling import (
    TimingSettings,
    calibrate,
    median_ci,
    summarize,
    time_call,
    time_in_processes,
)

__all__ = [
    "TimingSettings",
    "calibrate",
    "median_ci",
    "summarize",
    "time_call",
    "time_in_processes",
]
