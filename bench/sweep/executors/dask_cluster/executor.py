"""The Dask executor's driver: ``DaskExecutor`` submits cases and streams their rows back.

Where the cluster comes from:

- no address: a ``distributed.LocalCluster`` of ``workers`` processes, one thread each, bound to
  127.0.0.1, started when the sweep starts and shut down afterwards;
- ``scheduler="tcp://host:port"``: an existing cluster (``dask scheduler`` + ``dask worker``).
  The address is probed *before* anything is written (``scheduler.probe_scheduler``): an
  unreachable one is a ``UsageError`` (exit 2) within ``connect_timeout_s`` (10 s).

Why: docs/dask.md.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from bench.exitcodes import UsageError
from bench.store import Row, utc_now
from bench.sweep.cases import Case
from bench.sweep.executors.base import Executor
from bench.sweep.executors.dask_cluster.batching import units
from bench.sweep.executors.dask_cluster.scheduler import (
    DEFAULT_CONNECT_TIMEOUT_S,
    WORKER_HINT,
    connect,
)
from bench.sweep.executors.dask_cluster.worker import (
    QuietWorker,
    executing_keys,
    host_bounds,
    host_metadata,
    preload_forkserver,
    run_cases_on_worker,
    warm_worker,
)
from bench.sweep.measure import CaseSettings, identity_fields

#: Worker resource a timed case holds: workers declare 1, so one timed case runs at a time.
TIMING_RESOURCE = "timing"


class DaskExecutor(Executor):
    """Cases as dask tasks on a LocalCluster or an existing cluster; rows stream back.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler. Probed now: an unreachable one raises ``UsageError``
        before the sweep writes anything.
    workers : int, optional
        Size of the LocalCluster started when there is no ``scheduler`` (default: one per
        core). Not allowed with ``scheduler``.
    timing : bool
        The sweep times cases: workers must offer the ``timing`` resource.
    connect_timeout_s : float
        How long to wait for the scheduler (and for its first worker).
    client : distributed.Client, optional
        Use this client (tests, notebooks); it is not closed by ``close()``.
    """

    name = "dask"

    def __init__(
        self,
        *,
        scheduler: str | None = None,
        workers: int | None = None,
        timing: bool = True,
        connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
        client: Any = None,
    ) -> None:
        if workers is not None and (
            isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
        ):
            raise UsageError(f"--workers: got {workers!r}; allowed: an int >= 1")
        if workers is not None and (scheduler or client is not None):
            raise UsageError(
                "--workers: sizes the LocalCluster started without --scheduler; "
                "an existing cluster brings its own workers"
            )
        self.timing = timing
        self.connect_timeout_s = float(connect_timeout_s)
        self.n_workers = workers or os.cpu_count() or 1
        self._own_client = client is None
        self._local = scheduler is None and client is None
        self._cluster = None
        self._machines: dict[str, dict[str, Any]] = {}
        self._starting: threading.Thread | None = None
        self._start_error: BaseException | None = None
        self._quieted = False
        self.client = client
        if scheduler:
            self.client = connect(scheduler, self.connect_timeout_s)
            try:
                self._check_workers(self.client)
            except BaseException:
                self.close()
                raise
        self.scheduler = None if self.client is None else self.client.scheduler.address
        if self._local and not timing:
            # Accuracy only: start the LocalCluster and warm its workers (imports) now, in the
            # background, while the driver measures the machine and opens the run. Not when
            # timing: that start-up would disturb the driver's bandwidth probe.
            self._starting = threading.Thread(
                target=self._start_local, name="gfbench-dask-start", daemon=True
            )
            self._starting.start()

    # -- cluster ---------------------------------------------------------------------------

    def _check_workers(self, client: Any) -> None:
        """At least one worker, and the ``timing`` resource on some worker when timing."""
        try:
            client.wait_for_workers(1, timeout=self.connect_timeout_s)
        except (TimeoutError, OSError):
            raise UsageError(
                f"--scheduler: the scheduler at {client.scheduler.address} has no worker "
                f"(waited {self.connect_timeout_s:g} s); {WORKER_HINT}"
            ) from None
        if not self.timing:
            return
        workers = client.scheduler_info(n_workers=-1)["workers"]
        timed = [w for w, info in workers.items() if info.get("resources", {}).get(TIMING_RESOURCE)]
        if not timed:
            raise UsageError(
                f"--scheduler: no worker of {client.scheduler.address} offers the resource "
                f"{TIMING_RESOURCE!r}, so timed cases could never start; start workers with "
                f"`--resources {TIMING_RESOURCE}=1` or sweep with --no-timing"
            )
        if len(timed) < len(workers):
            warnings.warn(
                f"{len(workers) - len(timed)} of {len(workers)} workers lack the "
                f"{TIMING_RESOURCE!r} resource and will get no timed case",
                stacklevel=3,
            )

    def _start_local(self) -> None:
        try:
            import dask
            from distributed import Client, LocalCluster

            # Workers that run cases as the serial executor would: no statistical profiler (see
            # QuietWorker), and the driver's environment as it is. The nanny's default
            # pre-spawn environment sets MALLOC_TRIM_THRESHOLD_=65536, which makes glibc hand
            # freed memory back at once: every large array allocation then faults its pages
            # in again, measured at +35% CPU on the quick grid. Thread variables are pinned by
            # the sweep (bench.sweep.machine.pinned_threads) and inherited.
            quiet = {
                "distributed.worker.profile.enabled": False,
                "distributed.nanny.pre-spawn-environ": {},
                # one task per worker thread at a time, the rest queued on the scheduler:
                # a worker that dies takes only its running case with it (not cases merely
                # waiting there, which distributed would also count against), and the last
                # tasks go to whichever worker is free
                "distributed.scheduler.worker-saturation": 1.0,
            }
            if not self.timing:
                quiet["distributed.worker.multiprocessing-method"] = "forkserver"
                preload_forkserver()
            with dask.config.set(quiet):
                cluster = LocalCluster(
                    n_workers=self.n_workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                    resources={TIMING_RESOURCE: 1},
                    silence_logs=logging.ERROR,
                )
            self._cluster = cluster
            self.client = Client(cluster, set_as_default=False)
            self.scheduler = cluster.scheduler_address
            self.client.register_plugin(QuietWorker(ignore_sigint=True))
            self.client.run(warm_worker)
        except BaseException as exc:  # re-raised in the driver's thread by _ensure_client
            self._start_error = exc

    def _ensure_client(self) -> Any:
        if self._starting is not None:
            self._starting.join()
            self._starting = None
        elif self.client is None and self._start_error is None:
            self._start_local()
        if self._start_error is not None:
            raise RuntimeError(f"could not start the LocalCluster: {self._start_error}") from (
                self._start_error
            )
        return self.client

    def _survey(self, client: Any, settings: CaseSettings) -> dict[str, tuple]:
        """Per-host metadata, and per-host bounds when timing (one host at a time).

        A worker that dies meanwhile is left out (its host keeps any entry it already had);
        a host whose bounds cannot be measured gets none, so its rows have no
        ``bound_fraction`` rather than one relative to another machine.
        """
        workers = client.scheduler_info(n_workers=-1)["workers"]
        metadata = client.run(host_metadata, on_error="return")
        machines: dict[str, dict[str, Any]] = {}
        for address, env in metadata.items():
            if not isinstance(env, dict):  # that worker died or failed: skip it
                continue
            host = env["host"]
            entry = machines.setdefault(host, {**env, "workers": []})
            entry["workers"].append(
                {
                    "address": address,
                    "pid": env["pid"],
                    "nthreads": workers.get(address, {}).get("nthreads"),
                    "resources": workers.get(address, {}).get("resources", {}),
                }
            )
            entry.pop("pid", None)
        bounds: dict[str, tuple] = {}
        if settings.timing is not None:
            here = socket.gethostname()
            for host, entry in machines.items():
                if host == here and settings.bandwidth_gbs:
                    bounds[host] = (settings.bandwidth_gbs, settings.peak_gflops)
                else:
                    bounds[host] = (None, None)
                    for worker in entry["workers"]:
                        one = worker["address"]
                        answer = client.run(host_bounds, workers=[one], on_error="return")
                        if isinstance(answer.get(one), tuple):
                            bounds[host] = answer[one]
                            break
                entry["bandwidth_gbs"], entry["peak_gflops"] = bounds[host]
                if entry.get("malloc_trim_threshold") and not self._local:
                    warnings.warn(
                        f"workers on host {host} run with MALLOC_TRIM_THRESHOLD_="
                        f"{entry['malloc_trim_threshold']} (a dask nanny's default), which slows "
                        "allocation-heavy calls; start them with `dask worker --no-nanny` for "
                        "timings comparable with the serial executor",
                        stacklevel=3,
                    )
                if len(entry["workers"]) > 1:
                    warnings.warn(
                        f"{len(entry['workers'])} workers on host {host} time cases at the same "
                        "time and disturb each other; use one worker per host for timings you "
                        "publish",
                        stacklevel=3,
                    )
        self._machines = {**self._machines, **machines}
        return bounds

    # -- Executor interface ----------------------------------------------------------------

    def run(
        self,
        cases: Sequence[Case],
        settings: CaseSettings,
        should_stop: Callable[[], bool],
        on_start: Callable[[Case], None] | None = None,
    ) -> Iterator[Row]:
        """Submit every case, yield rows as their tasks complete.

        On ``should_stop()`` the tasks not started are cancelled (``--resume`` runs them) and
        the running ones finish; their rows are yielded like any other.
        """
        from distributed import as_completed

        if not cases:
            return
        client = self._ensure_client()
        timed = settings.timing is not None
        if not self._local and not self._quieted:
            client.register_plugin(QuietWorker())  # undone by close()
            self._quieted = True
        # Timed: bounds per host first, on an idle cluster. Accuracy only: after submitting.
        bounds = self._survey(client, settings) if timed else {}
        self._token = secrets.token_hex(4)
        self._resources = {TIMING_RESOURCE: 1} if timed else None
        futures: dict[Any, tuple[Case, ...]] = {}
        for unit in units(cases, timed=timed):
            futures[self._submit(client, unit, settings, bounds)] = unit
        if not timed:
            self._survey(client, settings)
        finished: set[str] = set()

        def announce_next() -> None:
            if on_start is not None:
                upcoming = next((c for c in cases if c.case_id not in finished), None)
                if upcoming is not None:
                    on_start(upcoming)

        announce_next()
        stream = as_completed(list(futures), loop=client.loop)
        try:
            for row in self._rows(client, stream, futures, settings, bounds, finished):
                yield row
                announce_next()
                if should_stop():
                    break
            else:
                return
            running = _running_keys(client)
            waiting = [f for f in futures if f.key not in running]
            client.cancel(waiting)
            for future in waiting:
                futures.pop(future)
            stream = as_completed(list(futures), loop=client.loop)
            yield from self._rows(client, stream, futures, settings, bounds, finished)
        finally:
            if futures:
                with contextlib.suppress(Exception):
                    client.cancel(list(futures))

    def _submit(
        self, client: Any, unit: tuple[Case, ...], settings: CaseSettings, bounds: dict
    ) -> Any:
        name = unit[0].case_id if len(unit) == 1 else f"{unit[0].case_id}+{len(unit) - 1}"
        return client.submit(
            run_cases_on_worker,
            unit,
            settings,
            bounds,
            key=f"gfbench-case-{self._token}-{name}",
            resources=self._resources,
        )

    def _rows(
        self,
        client: Any,
        stream: Any,
        futures: dict[Any, tuple[Case, ...]],
        settings: CaseSettings,
        bounds: dict,
        finished: set[str],
    ) -> Iterator[Row]:
        """The rows of the tasks ``stream`` (a ``distributed.as_completed``) hands back.

        - A task can come back "finished" while its result sits on a worker that has just
          died; the scheduler recomputes it, so it goes back into the stream.
        - A batch whose worker died on every retry is split into single cases and resubmitted,
          so only the case that kills workers ends as an ``error`` row.
        """
        for future in stream:
            unit = futures.get(future)
            if unit is None:
                continue
            status = future.status
            if status not in ("finished", "error", "cancelled"):
                stream.add(future)  # lost with its worker: wait for the recomputed result
                continue
            futures.pop(future)
            if status == "cancelled":
                continue
            if status == "finished":
                try:
                    rows = future.result()
                except Exception:
                    if future.status == "finished":
                        raise
                    futures[future] = unit  # lost between the check and the read
                    stream.add(future)
                    continue
            else:
                exc = future.exception()
                if _is_killed_worker(exc) and len(unit) > 1:
                    for case in unit:
                        single = self._submit(client, (case,), settings, bounds)
                        futures[single] = (case,)
                        stream.add(single)
                    future.release()
                    continue
                rows = [_error_row(case, exc) for case in unit]
            future.release()
            for row in rows:
                finished.add(row.case_id)
                yield row

    def describe(self) -> dict[str, Any]:
        """What run.json records about the executor."""
        return {
            "name": self.name,
            "scheduler": self.scheduler,
            "local_cluster": self._local,
            "workers": self.n_workers if self._local else None,
            "timing_resource": TIMING_RESOURCE,
        }

    def machines(self) -> dict[str, dict[str, Any]]:
        """Host -> machine metadata of the workers that ran cases (empty before ``run``)."""
        return dict(self._machines)

    def close(self) -> None:
        """Disconnect, and shut down the LocalCluster if this executor started it (idempotent)."""
        if self._starting is not None:
            self._starting.join()
            self._starting = None
        client, cluster = self.client, self._cluster
        self._cluster = None
        if self._quieted and client is not None:
            self._quieted = False
            with contextlib.suppress(Exception):
                client.unregister_worker_plugin(QuietWorker.name)
        if self._own_client:
            self.client = None
            if client is not None:
                with contextlib.suppress(Exception):
                    client.close(timeout=5)
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close(timeout=10)


def _running_keys(client: Any) -> set[str]:
    """Keys of the tasks a worker is executing right now.

    Not ``client.processing()``: that also lists tasks sent to a worker that wait there for
    a thread or for the ``timing`` resource, which a stop must cancel.
    """
    try:
        answers = client.run(executing_keys, on_error="return")
    except Exception:
        return set()
    return {key for keys in answers.values() if isinstance(keys, list) for key in keys}


def _is_killed_worker(exc: BaseException | None) -> bool:
    from distributed.scheduler import KilledWorker

    return isinstance(exc, KilledWorker)


def _error_row(case: Case, exc: BaseException | None) -> Row:
    """The ``error`` row of a case whose task failed (one bad case never stops the sweep)."""
    if _is_killed_worker(exc):
        reason = (
            "dask: the worker running this case died, and so did every retry "
            f"(distributed gave up: {exc})"
        )
    else:
        reason = f"dask: {type(exc).__name__}: {exc}"
    return Row(**identity_fields(case), status="error", reason=reason[:500], finished_at=utc_now())
