"""Run sweep cases on a dask.distributed cluster; the sweep driver stays the single writer.

``DaskExecutor`` implements ``bench.executors.Executor``: one dask task per case, rows streamed
back with ``distributed.as_completed`` and handed to the driver, which appends each to
``cases.jsonl`` as it arrives. So:

- **a worker crash** loses nothing: rows already received are on disk, and the scheduler
  reruns the dead worker's tasks elsewhere (a case that kills its worker every time becomes an
  ``error`` row once distributed gives up, ``distributed.scheduler.allowed-failures``);
- **a driver crash** loses nothing finished (rows are fsync'd one by one; a LocalCluster's
  worker processes exit with their parent), and ``gfbench sweep --resume RUN`` finishes the run
  exactly as for the serial executor: the driver only submits the cases not yet in the store.

Where the cluster comes from:

- no address: a ``distributed.LocalCluster`` of ``workers`` processes, one thread each, bound to
  127.0.0.1, started when the sweep starts and shut down afterwards;
- ``scheduler="tcp://host:port"``: an existing cluster (``dask scheduler`` + ``dask worker``).
  The address is probed *before* anything is written (``probe_scheduler``): an unreachable one is
  a ``UsageError`` (exit 2) within ``connect_timeout_s`` (10 s).

Timing on a cluster. Each timed task asks for the worker resource ``timing=1`` and every worker
of our LocalCluster has exactly one, so a worker runs one timed case at a time and nothing of
ours meanwhile (its one thread would forbid it anyway). Workers of an external cluster must be
started with ``--resources timing=1`` for timed sweeps (checked up front). Bounds
(``bandwidth_gbs``, ``peak_gflops``) are measured once per *host*, one host at a time, so
``bound_fraction`` is relative to the machine that ran the case; every row's ``host`` is the
worker's host, and ``machines()`` returns each host's metadata (``bench.machine.environment``)
for run.json, so compare and the report can group by machine. Several workers on one host time
concurrently and disturb each other: use one worker per host for timings you publish
(``--workers 1`` locally); ``--no-timing`` sweeps fan out over every worker.

The oracle is computed once per distinct ideal (``Case.oracle_key``) as its own task, and the
cases that share it depend on that task, so dask runs them where the ideal is already cached
(``bench.accuracy``'s per-process cache) and different ideals are computed in parallel.

Public API: ``DaskExecutor``, ``probe_scheduler``, ``connect``, ``DEFAULT_CONNECT_TIMEOUT_S``,
``TIMING_RESOURCE``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import secrets
import socket
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from bench.cases import Case
from bench.executors import Executor
from bench.exitcodes import UsageError
from bench.measure import CaseSettings, identity_fields, run_case
from bench.store import Row, utc_now

DEFAULT_CONNECT_TIMEOUT_S = 10.0
#: Worker resource a timed case holds: workers declare 1, so one timed case runs at a time.
TIMING_RESOURCE = "timing"
_WORKER_HINT = (
    "start one with `dask scheduler --host 127.0.0.1 --port 8786` and workers with "
    "`dask worker tcp://127.0.0.1:8786 --nthreads 1 --resources timing=1`"
)


# ---------------------------------------------------------------------------------------------
# reaching a scheduler


def probe_scheduler(address: str, timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S) -> dict[str, Any]:
    """Check that a dask scheduler answers at ``address``; return its identity.

    A plain TCP connect first (a refused port fails at once, a black hole after
    ``timeout_s``), then distributed's ``identity`` handshake, so "something listens but it is
    not a dask scheduler" is caught too. Nothing is left open.

    Raises
    ------
    bench.exitcodes.UsageError
        Malformed, unreachable, or not a scheduler; the message names ``--scheduler``.
    """
    from distributed.comm import connect as comm_connect
    from distributed.comm import parse_address
    from distributed.comm.addressing import parse_host_port

    def fail(why: str) -> UsageError:
        return UsageError(
            f"--scheduler: cannot use the dask scheduler at {address!r}: {why}. "
            f"Expected tcp://HOST:PORT of a running scheduler; {_WORKER_HINT}"
        )

    try:
        scheme, location = parse_address(address)
        if scheme in ("tcp", "tls"):
            host, port = parse_host_port(location)
            if port is None:
                raise ValueError(f"missing port number in address {address!r}")
    except (ValueError, TypeError) as exc:
        raise fail(str(exc)) from None
    full = f"{scheme}://{location}"
    if scheme in ("tcp", "tls"):
        try:
            socket.create_connection((host, int(port)), timeout=timeout_s).close()
        except OSError as exc:
            raise fail(f"no connection within {timeout_s:g} s ({exc.strerror or exc})") from None

    async def handshake() -> dict[str, Any]:
        comm = await comm_connect(full, timeout=timeout_s)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await asyncio.wait_for(comm.read(), timeout_s)
        finally:
            await comm.close()

    try:
        identity = asyncio.run(asyncio.wait_for(handshake(), timeout_s))
    except RuntimeError as exc:  # already inside an event loop: the TCP check has to do
        if "running event loop" not in str(exc):
            raise fail(str(exc)) from None
        return {"type": "Scheduler", "address": full}
    except asyncio.TimeoutError:
        raise fail(f"no answer to dask's handshake within {timeout_s:g} s") from None
    except (OSError, ValueError, TypeError) as exc:
        raise fail(f"{type(exc).__name__}: {exc}") from None
    if not isinstance(identity, dict) or identity.get("type") != "Scheduler":
        kind = identity.get("type") if isinstance(identity, dict) else identity
        raise fail(f"it answered as {kind!r}, not as a Scheduler")
    return identity


def connect(address: str, timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S):
    """A ``distributed.Client`` for the scheduler at ``address`` (probed first).

    Raises
    ------
    bench.exitcodes.UsageError
        The scheduler cannot be reached within ``timeout_s``.
    """
    from distributed import Client

    probe_scheduler(address, timeout_s)
    try:
        return Client(address, timeout=timeout_s, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(f"--scheduler: cannot connect to {address!r}: {exc}") from None


# ---------------------------------------------------------------------------------------------
# what runs on a worker (module-level functions, so tasks pickle by reference)

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
            from bench.machine import pinned_threads

            _worker_pins.enter_context(pinned_threads())
            _worker_env = tuple(sorted(os.environ.items()))
    return _worker_env


def _compute_ideal(case: Case) -> str:
    """Fill this worker's oracle cache for ``case``; return a small token (the data stays here).

    Never raises: if the oracle fails, ``run_case`` meets the same failure and records it in
    the row's ``accuracy_error``, exactly as the serial executor does.
    """
    _prepare_worker()
    from bench import accuracy

    with contextlib.suppress(Exception):
        accuracy.ideal_for(case)
    return socket.gethostname()


def _run_case_on_worker(
    case: Case,
    settings: CaseSettings,
    bounds: dict[str, tuple[float | None, float | None]],
    _ideal_token: str | None = None,
) -> Row:
    """``bench.measure.run_case`` with this host's bounds and this worker's environment."""
    env = _prepare_worker()
    host = socket.gethostname()
    changes: dict[str, Any] = {"worker_env": env}
    if host in bounds:
        changes["bandwidth_gbs"], changes["peak_gflops"] = bounds[host]
    return run_case(case, dataclasses.replace(settings, **changes))


class _LocalWorkerSetup(WorkerPlugin):
    """For the workers of our own LocalCluster (restarted ones too): ignore SIGINT.

    A terminal's Ctrl-C reaches the whole process group; the driver decides what it means
    (finish the running cases, then stop), so its workers must not die of it.
    """

    name = "gfbench-local-worker"

    def setup(self, worker: Any) -> None:
        import signal

        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.SIG_IGN)


def _warm_worker() -> None:
    """Import what every case needs (peers included), so the first cases do not pay for it."""
    _prepare_worker()
    import bench.accuracy
    import bench.measure  # noqa: F401
    from bench import impls

    for name in impls.names():
        with contextlib.suppress(Exception):
            impls.get(name).available()


def _host_metadata() -> dict[str, Any]:
    from bench.machine import environment

    _prepare_worker()
    env = environment()
    env["pid"] = os.getpid()
    return env


def _host_bounds() -> tuple[float, float]:
    from bench.machine import measure_bandwidth, measure_peak_gflops

    _prepare_worker()
    return measure_bandwidth(), measure_peak_gflops()


# ---------------------------------------------------------------------------------------------
# the executor


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
                f"(waited {self.connect_timeout_s:g} s); {_WORKER_HINT}"
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
            from distributed import Client, LocalCluster

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
            self.client.register_plugin(_LocalWorkerSetup())
            self.client.run(_warm_worker)
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
        """Per-host metadata, and per-host bounds when timing (one host at a time)."""
        workers = client.scheduler_info(n_workers=-1)["workers"]
        metadata = client.run(_host_metadata)
        machines: dict[str, dict[str, Any]] = {}
        for address, env in metadata.items():
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
                    one = entry["workers"][0]["address"]
                    bounds[host] = client.run(_host_bounds, workers=[one])[one]
                entry["bandwidth_gbs"], entry["peak_gflops"] = bounds[host]
                if len(entry["workers"]) > 1:
                    warnings.warn(
                        f"{len(entry['workers'])} workers on host {host} time cases at the same "
                        "time and disturb each other; use one worker per host for timings you "
                        "publish",
                        stacklevel=3,
                    )
        self._machines = machines
        return bounds

    # -- Executor interface ----------------------------------------------------------------

    def run(
        self,
        cases: Sequence[Case],
        settings: CaseSettings,
        should_stop: Callable[[], bool],
        on_start: Callable[[Case], None] | None = None,
    ) -> Iterator[Row]:
        """Submit every case, yield rows as they complete; on ``should_stop()`` cancel what has
        not started, let the running cases finish and yield them too."""
        from distributed import as_completed

        if not cases:
            return
        client = self._ensure_client()
        timed = settings.timing is not None
        # Timed: bounds per host first, on an idle cluster. Accuracy only: after submitting.
        bounds = self._survey(client, settings) if timed else {}
        resources = {TIMING_RESOURCE: 1} if timed else None
        token = secrets.token_hex(4)
        ideals: dict[tuple, Any] = {}
        futures: dict[Any, Case] = {}
        for case in cases:
            ideal = None
            if _needs_ideal(case):
                ideal = ideals.get(case.oracle_key)
                if ideal is None:
                    ideal = ideals[case.oracle_key] = client.submit(
                        _compute_ideal,
                        case,
                        key=f"gfbench-ideal-{token}-{len(ideals)}",
                        resources=resources,
                    )
            future = client.submit(
                _run_case_on_worker,
                case,
                settings,
                bounds,
                ideal,
                key=f"gfbench-case-{token}-{case.case_id}",
                resources=resources,
            )
            futures[future] = case
        if not timed:
            self._survey(client, settings)
        order = list(futures.values())
        finished: set[str] = set()

        def announce_next() -> None:
            if on_start is None:
                return
            for case in order:
                if case.case_id not in finished:
                    on_start(case)
                    return

        announce_next()
        try:
            stream = as_completed(list(futures), loop=client.loop)
            for row in self._rows(stream, futures, finished):
                yield row
                announce_next()
                if should_stop():
                    break
            else:
                return
            # Stop requested: the cases not started yet are cancelled (``--resume`` runs them);
            # the running ones finish and their rows are written like any other. The ideals
            # are released, not cancelled: cancelling would cancel the running cases too.
            running = _running_keys(client)
            client.cancel([f for f in futures if f.key not in running])
            for future in [f for f in futures if f.key not in running]:
                futures.pop(future)
            for ideal in ideals.values():
                ideal.release()
            ideals.clear()
            yield from self._rows(as_completed(list(futures), loop=client.loop), futures, finished)
        finally:
            leftover = list(futures) + list(ideals.values())
            if leftover:
                with contextlib.suppress(Exception):
                    client.cancel(leftover)

    @staticmethod
    def _rows(stream: Any, futures: dict[Any, Case], finished: set[str]) -> Iterator[Row]:
        """Rows of the futures ``stream`` (a ``distributed.as_completed``) yields.

        A future can come back "finished" while its result sits on a worker that has just
        died; the scheduler then recomputes it, so it goes back into the stream.
        """
        for future in stream:
            if future not in futures:
                continue
            try:
                row = _row_of(future, futures[future])
            except Exception:
                if future.status in ("finished", "error", "cancelled"):
                    raise
                row = None
            if row is None and future.status not in ("finished", "error", "cancelled"):
                stream.add(future)  # lost with its worker: wait for the recomputed result
                continue
            case = futures.pop(future)
            future.release()
            if row is not None:
                finished.add(case.case_id)
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
        if self._own_client:
            self.client = None
            if client is not None:
                with contextlib.suppress(Exception):
                    client.close(timeout=5)
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close(timeout=10)


def _needs_ideal(case: Case) -> bool:
    """Whether the case will reach the accuracy step (an unsupported case never does)."""
    from bench import impls

    try:
        return impls.get(case.impl).supports(case) is None
    except Exception:
        return False


def _running_keys(client: Any) -> set[str]:
    try:
        return {key for keys in client.processing().values() for key in keys}
    except Exception:
        return set()


def _row_of(future: Any, case: Case) -> Row | None:
    """The row of a done future: its result, or an ``error`` row if the task failed.

    None when it was cancelled, or when it is not done any more (its worker died holding it).
    """
    status = future.status
    if status == "finished":
        return future.result()
    if status != "error":
        return None
    exc = future.exception()
    from distributed.scheduler import KilledWorker

    if isinstance(exc, KilledWorker):
        reason = (
            "dask: the worker running this case died, and so did every retry "
            f"(distributed gave up: {exc})"
        )
    else:
        reason = f"dask: {type(exc).__name__}: {exc}"
    return Row(
        **identity_fields(case),
        status="error",
        reason=reason[:500],
        finished_at=utc_now(),
    )
