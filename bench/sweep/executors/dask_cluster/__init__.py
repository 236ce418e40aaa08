"""Run sweep cases on a dask.distributed cluster; the sweep driver stays the single writer.

``DaskExecutor`` sends cases to dask workers and streams rows back to the driver, which
appends each to ``cases.jsonl`` as it arrives. The modules, in the order a sweep meets them:

- ``scheduler``: probe a scheduler's address before anything is written, and connect;
- ``batching``: cases grouped into tasks (``units``);
- ``worker``: what runs on a worker (module-level, so tasks pickle by reference);
- ``executor``: ``DaskExecutor``, the driver that starts or joins a cluster, submits the tasks
  and turns their results (or failures) into rows.

Why: docs/dask.md.
"""

from bench.sweep.executors.dask_cluster.batching import BATCH_CASES, BATCH_PIXELS, units
from bench.sweep.executors.dask_cluster.executor import TIMING_RESOURCE, DaskExecutor
from bench.sweep.executors.dask_cluster.scheduler import (
    DEFAULT_CONNECT_TIMEOUT_S,
    connect,
    probe_scheduler,
)

__all__ = [
    "BATCH_CASES",
    "BATCH_PIXELS",
    "DEFAULT_CONNECT_TIMEOUT_S",
    "TIMING_RESOURCE",
    "DaskExecutor",
    "connect",
    "probe_scheduler",
    "units",
]
