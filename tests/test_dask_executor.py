"""The Dask executor (issue 6): a LocalCluster, a separately started scheduler, crashes, resume.

Every cluster and subprocess is torn down by a fixture finalizer or a ``finally``, also when a
test fails. The grid (``tests/data/dask_grid.toml``) has 44 small cases.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")

from conftest import gfbench_inproc, run_gfbench  # noqa: E402

from bench import store  # noqa: E402
from bench.exitcodes import UsageError  # noqa: E402
from bench.sweep import run_sweep  # noqa: E402
from bench.sweep.executors import Executor, make_executor  # noqa: E402
from bench.sweep.executors.dask_cluster import (  # noqa: E402
    BATCH_CASES,
    BATCH_PIXELS,
    TIMING_RESOURCE,
    DaskExecutor,
    probe_scheduler,
    units,
)
from bench.sweep.grid import load_grid  # noqa: E402

GRID = Path(__file__).parent / "data" / "dask_grid.toml"
N_CASES = len(load_grid(GRID).cases)
#: Timed, briefly. A timed case on Dask runs in ``--processes`` fresh processes on its worker,
#: each importing NumPy, SciPy and the peers (~1 s of CPU): the default 3 made more than half
#: of these tests' CPU (external scheduler: 93 -> 40 s); one process takes the same path
#: (time_in_processes on the worker).
FAST_TIMING = ["--min-sample-ms", "2", "--repeats", "2", "--warmup", "0", "--processes", "1"]
#: Fields that must not depend on where a case ran.
ACCURACY_FIELDS = (
    "status",
    "reason",
    "out_dtype",
    "output_sha256",
    "max_abs_error",
    "rmse",
    "bias",
    "max_ulp_error",
    "max_grey_levels",
    "frac_correctly_rounded",
    "matches_storage_model",
    "interior_max_abs_error",
    "border_max_abs_error",
    "approximate",
    "accuracy_error",
)


# -- helpers ------------------------------------------------------------------------------------


def rows_of(run_dir: Path) -> list[dict]:
    lines = (run_dir / "cases.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def accuracy_view(rows: list[dict]) -> dict[str, tuple]:
    return {r["case_id"]: tuple(r.get(f) for f in ACCURACY_FIELDS) for r in rows}


def run_dirs(out: Path) -> list[Path]:
    return sorted(p for p in out.iterdir() if (p / "run.json").exists()) if out.exists() else []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kill_tree(proc: subprocess.Popen | psutil.Process, sig: int = signal.SIGKILL) -> None:
    """Kill a process and every descendant (dask workers are grandchildren)."""
    try:
        parent = psutil.Process(proc.pid)
        family = [*parent.children(recursive=True), parent]
    except psutil.NoSuchProcess:
        return
    for p in family:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.send_signal(sig)
    psutil.wait_procs(family, timeout=10)


@pytest.fixture(scope="module")
def serial_rows(tmp_path_factory) -> dict[str, tuple]:
    """The reference: the same grid through the serial executor, accuracy only."""
    out = tmp_path_factory.mktemp("serial")
    result = run_sweep(grid=GRID, out=out, timing=False, progress=False)
    assert result.status == "complete"
    rows = rows_of(result.run_dir)
    assert len(rows) == N_CASES
    return accuracy_view(rows)


# -- a LocalCluster -----------------------------------------------------------------------------


@pytest.mark.slow
def test_local_cluster_cli_gives_the_serial_accuracy_rows(tmp_path, serial_rows):
    proc = run_gfbench("sweep",
        "--grid", str(GRID), "--no-timing", "--executor", "dask", "--workers", "2",
        "--out", str(tmp_path), "--json", "--no-progress", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] == "complete"
    rows = rows_of(Path(result["run_dir"]))
    assert len(rows) == N_CASES == len({r["case_id"] for r in rows})
    assert accuracy_view(rows) == serial_rows
    assert all(r["min_ns"] is None for r in rows)  # --no-timing: no timings
    assert {r["host"] for r in rows if r["status"] == "ok"} == {socket.gethostname()}
    meta = store.load_run_meta(result["run_dir"])
    executor = meta["executor"]
    assert (executor["name"] if isinstance(executor, dict) else executor) == "dask"


class KillOneWorker(Executor):
    """Wraps a DaskExecutor; after ``after`` rows it SIGKILLs a worker that is running a case."""

    name = "dask"

    def __init__(self, inner: DaskExecutor, after: int) -> None:
        self.inner = inner
        self.after = after
        self.killed_pid: int | None = None
        self.rows_before_kill: list[str] = []

    def run(self, cases, settings, should_stop, on_start=None) -> Iterator:
        for i, row in enumerate(self.inner.run(cases, settings, should_stop, on_start), 1):
            yield row
            if i <= self.after:
                self.rows_before_kill.append(row.case_id)
            if i == self.after:
                client = self.inner.client
                busy = [w for w, keys in client.processing().items() if keys]
                pids = client.run(os.getpid)
                victim = (busy or sorted(pids))[0]
                self.killed_pid = pids[victim]
                os.kill(self.killed_pid, signal.SIGKILL)

    def close(self) -> None:
        self.inner.close()


@pytest.mark.slow
def test_a_worker_killed_mid_sweep_loses_no_row_and_the_sweep_completes(tmp_path, serial_rows):
    executor = KillOneWorker(DaskExecutor(workers=2, timing=False), after=3)
    try:
        result = run_sweep(grid=GRID, out=tmp_path, timing=False, progress=False, executor=executor)
    finally:
        executor.close()
    assert executor.killed_pid is not None
    assert not psutil.pid_exists(executor.killed_pid) or (
        psutil.Process(executor.killed_pid).status() == psutil.STATUS_ZOMBIE
    )
    assert result.status == "complete"
    rows = rows_of(result.run_dir)
    # the rows written before the kill are still the first lines, untouched
    assert [r["case_id"] for r in rows[: executor.after]] == executor.rows_before_kill
    # distributed reran the dead worker's case(s): every case exactly once, as serial
    assert len(rows) == N_CASES == len({r["case_id"] for r in rows})
    assert accuracy_view(rows) == serial_rows


@pytest.mark.slow  # over 5 s on a quiet machine: the full suite runs it
def test_timed_cases_record_the_worker_host_and_its_machine(tmp_path):
    executor = DaskExecutor(workers=2, timing=True)
    try:
        with pytest.warns(UserWarning, match="disturb each other"):
            result = run_sweep(
                grid=GRID,
                out=tmp_path,
                impls=["scipy"],
                # 6 of SciPy's 14 cases, both groups, a float and an integer path: every timed
                # case costs a fresh process (~0.5 s of CPU), and what is checked is per row
                dtypes=["float64", "int32"],
                min_sample_s=0.002,
                repeats=2,
                warmup=0,
                processes=1,  # timed on the Dask worker, in one fresh process per case
                progress=False,
                executor=executor,
            )
        machines = executor.machines()
    finally:
        executor.close()
    assert result.status == "complete"
    rows = rows_of(result.run_dir)
    assert len(rows) == 6 and all(r["status"] == "ok" for r in rows)
    host = socket.gethostname()
    assert {r["host"] for r in rows} == {host}
    assert all(r["min_ns"] > 0 and r["n_samples"] == 2 for r in rows)
    assert all(r["bound_fraction"] is not None for r in rows)
    assert set(machines) == {host}
    machine = machines[host]
    assert machine["cpu"]["cores_logical"] == os.cpu_count()
    assert machine["bandwidth_gbs"] > 0 and machine["peak_gflops"] > 0
    assert len(machine["workers"]) == 2
    assert all(w["resources"] == {TIMING_RESOURCE: 1} for w in machine["workers"])
    assert all(w["nthreads"] == 1 for w in machine["workers"])


def test_a_case_that_kills_every_worker_becomes_one_error_row(tmp_path, serial_rows):
    """Its batch is split into single cases; only the culprit fails, the sweep completes."""
    import dask
    from distributed.diagnostics.plugin import WorkerPlugin

    batch = next(u for u in units(load_grid(GRID).cases, timed=False) if len(u) > 1)
    culprit = batch[0].case_id  # a task's key names the first case of its batch

    class CrashOnCulprit(WorkerPlugin):  # nested: pickled by value, workers cannot import us
        name = "crash-on-culprit"

        def transition(self, key, start, finish, **kwargs):
            if finish == "executing" and f"-{culprit}" in str(key):
                os._exit(1)

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        executor = DaskExecutor(workers=2, timing=False)
        try:
            executor._ensure_client().register_plugin(CrashOnCulprit())
            result = run_sweep(
                grid=GRID, out=tmp_path, timing=False, progress=False, executor=executor
            )
        finally:
            executor.close()
    assert result.status == "complete"
    rows = {r["case_id"]: r for r in rows_of(result.run_dir)}
    assert len(rows) == N_CASES
    assert rows[culprit]["status"] == "error"
    assert "worker running this case died" in rows[culprit]["reason"]
    others = {k: v for k, v in accuracy_view(list(rows.values())).items() if k != culprit}
    assert others == {k: v for k, v in serial_rows.items() if k != culprit}


def test_units_batch_accuracy_only_cases_that_share_an_oracle_result():
    cases = load_grid(GRID).cases
    assert units(cases, timed=True) == [(c,) for c in cases]
    batches = units(cases, timed=False)
    assert [c for b in batches for c in b] == list(cases)  # grid order, every case once
    assert len(batches) < len(cases)
    for b in batches:
        assert len({c.oracle_key for c in b}) == 1
        assert len(b) <= BATCH_CASES and (len(b) == 1 or sum(c.npix for c in b) <= BATCH_PIXELS)


# -- a scheduler started separately -------------------------------------------------------------


@pytest.fixture(scope="module")
def external_cluster(tmp_path_factory) -> Iterator[str]:
    """`dask scheduler` and one `dask worker` (2 threads, timing=1) as separate processes."""
    from distributed import Client

    cwd = tmp_path_factory.mktemp("cluster")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    common = {"cwd": cwd, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    procs = []
    try:
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1",
                 "--port", str(port), "--no-dashboard"],
                **common,
            )
        )  # fmt: skip
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "dask", "worker", address, "--nthreads", "2",
                 "--resources", f"{TIMING_RESOURCE}=1", "--no-dashboard"],
                **common,
            )
        )  # fmt: skip
        with Client(address, timeout=30, set_as_default=False) as client:
            client.wait_for_workers(1, timeout=30)
        yield address
    finally:
        for proc in reversed(procs):
            kill_tree(proc, signal.SIGTERM)
            kill_tree(proc)


@pytest.mark.slow  # over 5 s on a quiet machine: the full suite runs it
def test_sweep_against_a_separately_started_scheduler(tmp_path, external_cluster):
    from distributed import Client

    # Watch the worker's own count of executing tasks while the sweep runs: it has 2 threads,
    # but one timing resource, so it must never run two timed cases at once.
    seen: list[int] = []
    done = threading.Event()

    def executing(dask_worker) -> int:  # nested: pickled by value, the worker cannot import us
        return len(dask_worker.state.executing)

    with Client(external_cluster, set_as_default=False) as watcher:

        def watch() -> None:
            while not done.is_set():
                with contextlib.suppress(Exception):
                    seen.extend(watcher.run(executing).values())
                time.sleep(0.05)  # a timed case lasts >= 0.5 s (a fresh process): 10 looks

        thread = threading.Thread(target=watch, daemon=True)
        thread.start()
        try:
            proc = run_gfbench("sweep",
                # SciPy's 14 cases only: a timed fft case costs a fresh process that imports
                # scipy.signal (~1.5 s of CPU, a SciPy one ~0.5 s), and no check here is per peer
                "--grid", str(GRID), "--impl", "scipy", *FAST_TIMING,
                "--executor", "dask", "--scheduler", external_cluster,
                "--out", str(tmp_path), "--json", "--no-progress", cwd=tmp_path,
            )  # fmt: skip
        finally:
            done.set()
            thread.join(timeout=10)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    rows = rows_of(Path(result["run_dir"]))
    assert result["status"] == "complete" and len(rows) == result["n_cases"] > 10
    assert all(r["status"] == "ok" and r["min_ns"] > 0 for r in rows)
    host = socket.gethostname()
    assert {r["host"] for r in rows} == {host}
    meta = store.load_run_meta(result["run_dir"])
    assert meta["executor"]["scheduler"] == external_cluster
    assert meta["executor"]["local_cluster"] is False
    (worker,) = meta["machines"][host]["workers"]  # per-host metadata, for grouping by machine
    assert worker["nthreads"] == 2 and worker["resources"] == {TIMING_RESOURCE: 1}
    assert meta["machines"][host]["bandwidth_gbs"] > 0
    assert meta["machines"][host]["malloc_trim_threshold"] == "65536"  # a nanny's default
    assert "dask worker --no-nanny" in proc.stderr  # ... and the user is told about it
    assert 1 in seen, "the watcher never saw a case running"
    assert max(seen) == 1


def test_external_workers_without_the_timing_resource_are_refused_for_timing(tmp_path):
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, protocol="tcp", host="127.0.0.1",
        dashboard_address=None, worker_dashboard_address=None,
    ) as cluster:  # fmt: skip
        with pytest.raises(UsageError, match="--resources timing=1"):
            DaskExecutor(scheduler=cluster.scheduler_address, timing=True)
        accuracy_only = DaskExecutor(scheduler=cluster.scheduler_address, timing=False)
        accuracy_only.close()


# -- bad input ----------------------------------------------------------------------------------


def test_an_unreachable_scheduler_exits_2_and_writes_nothing(tmp_path):
    out = tmp_path / "results"
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    proc = run_gfbench("sweep",
        "--grid", str(GRID), "--no-timing", "--executor", "dask", "--scheduler", address,
        "--out", str(out), cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "--scheduler" in proc.stderr and address in proc.stderr
    assert "dask scheduler" in proc.stderr  # says how to start one
    assert run_dirs(out) == []


@pytest.mark.parametrize("reply", [None, b"HTTP/1.1 400 Bad Request\r\n\r\n" * 4])
def test_a_listener_that_is_not_a_scheduler_is_refused(reply):
    """Silent (no answer to the handshake) or speaking another protocol: exit-2 errors."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]

        def answer() -> None:
            with contextlib.suppress(OSError):
                conn, _ = server.accept()
                with conn:
                    conn.sendall(reply)
                    time.sleep(1.5)

        if reply is not None:
            threading.Thread(target=answer, daemon=True).start()
        with pytest.raises(UsageError, match="--scheduler"):
            probe_scheduler(f"tcp://127.0.0.1:{port}", timeout_s=1.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "dask", "workers": 0}, "--workers"),
        ({"name": "dask", "workers": 2, "scheduler": "tcp://127.0.0.1:1"}, "--workers"),
        ({"name": "serial", "scheduler": "tcp://127.0.0.1:8786"}, "--executor dask"),
        ({"name": "cluster"}, "allowed: serial, dask"),
        ({"name": "dask", "scheduler": "no-port-here"}, "--scheduler"),
    ],
)
def test_bad_executor_options_are_usage_errors(kwargs, message):
    with pytest.raises(UsageError, match=message):
        make_executor(**kwargs)


def test_bad_executor_options_exit_2_through_the_cli(tmp_path):
    proc = gfbench_inproc(
        "sweep", "--executor", "dask", "--workers", "0", "--out", str(tmp_path), cwd=tmp_path
    )
    assert proc.returncode == 2
    assert "--workers" in proc.stderr
    assert run_dirs(tmp_path) == []


# -- the driver dies or is interrupted ----------------------------------------------------------


def _wait_for_rows(run_parent: Path, n: int, proc: subprocess.Popen, timeout: float = 90) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for run_dir in run_dirs(run_parent):
            cases = run_dir / "cases.jsonl"
            if cases.exists() and cases.read_text().count("\n") >= n:
                return run_dir
        if proc.poll() is not None:
            pytest.fail(f"the sweep ended (exit {proc.returncode}) before {n} rows")
        time.sleep(0.05)
    pytest.fail(f"no {n} rows within {timeout} s")


def _stop_midway(args: list[str], cwd: Path, how: int, after_rows: int) -> tuple[Path, int, str]:
    """Start ``gfbench sweep ARGS``, send ``how`` once the run has ``after_rows`` rows."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench", "sweep", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        run_dir = _wait_for_rows(cwd / "results", after_rows, proc)
        family = psutil.Process(proc.pid).children(recursive=True)
        os.kill(proc.pid, how)
        _, stderr = proc.communicate(timeout=60)
        # also after SIGKILL: the LocalCluster's worker processes exit with their parent
        _, alive = psutil.wait_procs(family, timeout=15)
        assert not alive, f"orphaned workers: {alive}"
    finally:
        kill_tree(proc)
    return run_dir, proc.returncode, stderr


#: The interrupted sweep's peers: SciPy and Pillow, ok and unsupported rows (Pillow takes 8-bit
#: only), 20 of the grid's cases; each timed case costs a fresh process on a Dask worker, and
#: the stops need only enough cases to land midway. The resumes keep the run's --impl filter.
STOPPED_IMPLS = ("scipy", "pillow")
N_STOPPED = sum(c.impl in STOPPED_IMPLS for c in load_grid(GRID).cases)


@pytest.mark.slow  # over 5 s on a quiet machine: the full suite runs it
def test_driver_interrupted_then_killed_keeps_its_rows_and_resume_finishes(tmp_path, serial_rows):
    dask = ["--executor", "dask", "--workers", "2", "--no-progress"]
    # 1. Ctrl-C: the running cases finish, the rest are cancelled, exit 130
    # timed: one case per task, so the stops land between single cases
    impls = ["--impl", ",".join(STOPPED_IMPLS)]
    run_dir, code, stderr = _stop_midway(
        ["--grid", str(GRID), *impls, *FAST_TIMING, *dask], tmp_path, signal.SIGINT, 3
    )
    assert code == 130, stderr
    assert store.load_run_meta(run_dir)["status"] == "interrupted"
    interrupted = rows_of(run_dir)
    assert 3 <= len(interrupted) < N_STOPPED, "the sweep should have stopped midway"

    # 2. resumed, then the driver crashes (SIGKILL): nothing written so far is lost
    _, code, _ = _stop_midway(
        ["--resume", str(run_dir), *dask], tmp_path, signal.SIGKILL, len(interrupted) + 2
    )
    assert code == -signal.SIGKILL
    assert store.load_run_meta(run_dir)["status"] == "running"  # what a crash leaves behind
    crashed = rows_of(run_dir)
    assert crashed[: len(interrupted)] == interrupted
    assert len(interrupted) + 2 <= len(crashed) < N_STOPPED, "the crash should come midway"

    # 3. resumed again: complete, every case exactly once, the serial executor's accuracy
    resumed = run_gfbench("sweep", "--resume", str(run_dir), *dask, "--json", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["status"] == "complete"
    rows = rows_of(run_dir)
    assert rows[: len(crashed)] == crashed
    assert len(rows) == N_STOPPED == len({r["case_id"] for r in rows})
    assert {r["impl"] for r in rows} == set(STOPPED_IMPLS)
    assert {r["status"] for r in rows} == {"ok", "unsupported"}
    view = accuracy_view(rows)
    assert view == {k: serial_rows[k] for k in view}  # the serial executor's, case by case
