"""What runs on a dask worker: the case task, the worker set-up, and the probes the driver sends.

Everything here is a module-level function or class, so a task pickles by reference (the
worker imports this module) rather than by value. The driver (``executor``) submits them.

Worker processes run cases as the serial executor would: ``QuietWorker`` stops distributed's
statistical profiler while the sweep runs, and each worker pins its thread variables once
(``bench.sweep.machine.pinned_threads``). Accuracy-only LocalClusters fork their workers from
a forkserver that has imported ``CASE_MODULES`` once (``preload_forkserver``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import socket
import threading
from collections.abc import Sequence
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from bench.store import Row
from bench.sweep.cases import Case
from bench.sweep.measure import CaseSettings, run_case

_worker_ready = threading.Lock()
_worker_env: tuple[tuple[str, str], ...] | None = None
_worker_pins = contextlib.ExitStack()  # entered once per worker process, never left


def _prepare_worker() -> tuple[tuple[str, str], ...]:
    """Pin this worker process's thread variables once; return its environment for timers.

    Workers of our LocalCluster inherit the driver's pinned values; workers of an external
    cluster get the defaults (1 thread) unless their own environment sets them.
    """
    global _worker_env
    with _worker_ready:
        if _worker_env is None:
            from bench.sweep.machine import pinned_threads

            _worker_pins.enter_context(pinned_threads())
            _worker_env = tuple(sorted(os.environ.items()))
    return _worker_env


def run_cases_on_worker(
    unit: Sequence[Case],
    settings: CaseSettings,
    bounds: dict[str, tuple[float | None, float | None]],
) -> list[Row]:
    """``bench.sweep.measure.run_case`` for each case, with this host's bounds and environment."""
    env = _prepare_worker()
    host = socket.gethostname()
    changes: dict[str, Any] = {"worker_env": env}
    if host in bounds:
        changes["bandwidth_gbs"], changes["peak_gflops"] = bounds[host]
    local = dataclasses.replace(settings, **changes)
    return [run_case(case, local) for case in unit]


class QuietWorker(WorkerPlugin):
    """Stop the worker's statistical profiler while gfbench uses it; restore it afterwards.

    distributed samples every running task's stack every 10 ms from the worker's event loop,
    taking the GIL from the timed call: a disturbance the serial executor does not have (on the
    quick grid its CPU cost was within our noise). On our own LocalCluster the workers also
    ignore SIGINT: a terminal's Ctrl-C reaches the whole process group, and the driver decides
    what it means (finish the running cases, then stop), so its workers must not die of it.
    """

    name = "gfbench-quiet-worker"

    def __init__(self, ignore_sigint: bool = False) -> None:
        self.ignore_sigint = ignore_sigint
        self._stopped: list[str] = []

    def setup(self, worker: Any) -> None:
        for name in ("profile", "profile-cycle"):
            callback = worker.periodic_callbacks.get(name)
            if callback is not None and callback.is_running():
                callback.stop()
                self._stopped.append(name)
        if self.ignore_sigint and threading.current_thread() is threading.main_thread():
            import signal

            signal.signal(signal.SIGINT, signal.SIG_IGN)

    def teardown(self, worker: Any) -> None:
        for name in self._stopped:
            callback = worker.periodic_callbacks.get(name)
            if callback is not None and worker.status.name == "running":
                callback.start()


#: What a worker imports to run cases (``warm_worker``); the forkserver preloads it once.
CASE_MODULES: tuple[str, ...] = (
    "distributed",
    "bench.sweep.executors.dask_cluster.worker",
    "bench.sweep.measure",
    "bench.sweep.accuracy",
    "bench.oracle",
    "scipy.ndimage",
    "scipy.signal",
    "cv2",
    "skimage.filters",
    "PIL.ImageFilter",
    "dask_image.ndfilters",
)


def preload_forkserver() -> None:
    """Accuracy-only LocalClusters fork their workers from one forkserver that has imported
    ``CASE_MODULES`` once, instead of spawning fresh interpreters that each import them.

    Measured on the 2-core machine: two spawned workers' imports cost ~3.7 s of CPU, about
    half of what an accuracy-only quick sweep's cases cost. Not for timed sweeps: a forkserver
    outlives the sweep and keeps the environment it started with, while timed workers must
    inherit the sweep's pinned thread variables; there the start-up cost is small next to the
    timing.
    Missing peers are skipped by multiprocessing (ImportError is ignored).
    """
    import dask
    from distributed.utils import get_mp_context

    with dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}):
        # distributed sets its own preload list on first use; extend it before the server starts
        context = get_mp_context()
    context.set_forkserver_preload(list(CASE_MODULES))


def warm_worker() -> None:
    """Import what every case needs (peers included), so the first cases do not pay for it."""
    _prepare_worker()
    import bench.sweep.accuracy
    import bench.sweep.measure  # noqa: F401
    from bench.sweep import impls

    for name in impls.names():
        with contextlib.suppress(Exception):
            impls.get(name).available()


def host_metadata() -> dict[str, Any]:
    from bench.sweep.machine import environment

    _prepare_worker()
    env = environment()
    env["pid"] = os.getpid()
    # a nanny's default environment for its worker; it changes how fast allocations are
    env["malloc_trim_threshold"] = os.environ.get("MALLOC_TRIM_THRESHOLD_")
    return env


def host_bounds() -> tuple[float, float]:
    from bench.sweep.machine import measure_bandwidth, measure_peak_gflops

    _prepare_worker()
    return measure_bandwidth(), measure_peak_gflops()


def executing_keys(dask_worker: Any) -> list[str]:
    """Keys of the tasks this worker is executing now (sent by ``client.run``)."""
    return [str(task.key) for task in dask_worker.state.executing]
