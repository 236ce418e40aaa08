"""Run sweep cases on a dask.distributed cluster; the sweep driver stays the single writer.

``DaskExecutor`` implements ``bench.sweep.executors.base.Executor``: cases become dask tasks,
rows stream back with ``distributed.as_completed`` to the driver, which appends each row to
``cases.jsonl`` as it arrives. So:

- **a worker crash** loses nothing: rows already received are on disk, and the scheduler
  reruns the dead worker's tasks elsewhere (a case that kills its worker every time becomes an
  ``error`` row once distributed gives up, ``distributed.scheduler.allowed-failures``);
- **a driver crash** loses nothing finished (rows are fsync'd one by one; a LocalCluster's
  worker processes exit with their parent), and ``gfbench sweep --resume RUN`` finishes the run
  exactly as for the serial executor: the driver only submits the cases not yet in the store.

The modules, in the order a sweep meets them:

- ``scheduler``: probe a scheduler's address before anything is written, and connect;
- ``batching``: cases grouped into tasks (``units``);
- ``worker``: what runs on a worker (module-level, so tasks pickle by reference);
- ``executor``: ``DaskExecutor``, the driver that starts or joins a cluster, submits the tasks
  and turns their results (or failures) into rows.

Importing this package imports ``distributed`` (an optional extra): ``bench.sweep.executors``
imports it only when ``--executor dask`` is chosen.
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
