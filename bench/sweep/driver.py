"""The sweep driver: ``run_sweep`` runs a grid's cases and is the only writer of a run folder.

Longer than 500 lines because the run folder's life (lock, reserve, resume, the timing phase,
the interrupted and disk-full endings) is one sequence that reads best in one place; issue 19's
next split would move the timing phase's glue out.

It checks the options (``bench.sweep.options``), starts a new run or reopens one to resume
(``bench.sweep.resume``), pins threads and priority for the timings, hands the cases to an
executor and appends each row to the store as it comes back, so an interrupted sweep loses
nothing: the first Ctrl-C finishes the current case, then the run is closed as "interrupted".
It returns a ``SweepResult`` (``bench.sweep.result``); ``gfbench sweep`` is the shell over it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

from bench.exitcodes import UsageError
from bench.store import RunStore, check_writable, load_run_meta, utc_now
from bench.store.locks import RunLock
from bench.store.safe_text import one_line
from bench.sweep import impls as impl_registry
from bench.sweep import peakrss
from bench.sweep.cases import DTYPES, Case
from bench.sweep.executors import Executor, SerialExecutor
from bench.sweep.grid import DEFAULT_MAX_CASES, Grid, check_max_cases
from bench.sweep.instructions import (
    check_metric,
    check_scope,
    count_for_run,
    describe,
    with_instructions,
)
from bench.sweep.measure import (
    PEAK_MEM_METHOD,
    CaseSettings,
    add_timing,
    peak_rss_method,
)
from bench.sweep.options import (
    check_choices,
    check_export,
    check_max_bytes,
    load_filtered,
    split_values,
    timing_settings,
)
from bench.sweep.result import UNSTABLE_LINES, SweepResult, summarize_rows
from bench.sweep.resume import check_not_running, check_resumable, holder_of, resume_dir
from bench.sweep.timing.phase import time_in_workers, timing_method, uses_workers
from bench.sweep.timing.sampling import TimingSettings

DEFAULT_OUT = "results"
#: the default timing: 3 worker processes, each sampling every case 7 times (passes in
#: shuffled orders), samples of >= 1 ms: on a loaded 2-core VM a 5 ms sample is nearly always
#: cut by the scheduler, 1 ms ones often are not (units 2.8% vs 18% log-sd at load 4.5)
DEFAULT_PROCESSES = 3
DEFAULT_REPEATS = 7
DEFAULT_MIN_SAMPLE_S = 0.001


class _StopFlag:
    """First SIGINT: finish the current case, then stop. Second: abort now."""

    def __init__(self, console) -> None:
        self.requested = False
        self._console = console

    def __call__(self) -> bool:
        return self.requested

    def _handler(self, signum, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        self._console.print(
            "[yellow]interrupt: stopping after the current case (Ctrl-C again to abort now)"
        )

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = signal.signal(signal.SIGINT, self._handler)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)


class _Stopped(Exception):
    """Ctrl-C during the timing phase: close the run as interrupted."""


def _new_run_id(grid_name: str) -> str:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    # ASCII only: the id becomes a folder name, checked against bench.store.validate.IDENTIFIER
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "-"
                   for ch in grid_name)[:40]  # fmt: skip
    return f"{stamp}-{safe}-{secrets.token_hex(2)}"


def _may_fix(executor: Executor | None) -> bool:
    """Whether the processes running the cases may fix the malloc thresholds: an executor's
    worker processes may, this process only when it is gfbench's own (the command)."""
    in_here = executor is None or executor.in_this_process
    return not in_here or peakrss.may_fix_mmap_threshold()


def run_sweep(
    *,
    grid: str | Path = "quick",
    impls: Sequence[str] | None = None,
    dtypes: Sequence[str] | None = None,
    out: str | Path = DEFAULT_OUT,
    resume: str | Path | None = None,
    timing: bool = True,
    min_sample_s: float = DEFAULT_MIN_SAMPLE_S,
    repeats: int = DEFAULT_REPEATS,
    warmup: int = 1,
    processes: int = DEFAULT_PROCESSES,
    nice: int | None = None,
    export: Sequence[str] = (),
    dry_run: bool = False,
    progress: bool = True,
    executor: Executor | None = None,
    console=None,
    max_bytes: int | None = None,
    max_cases: int = DEFAULT_MAX_CASES,
    metric: str = "time",
    instructions_scope: str = "call",
    cache_sim: bool = False,
) -> SweepResult:
    """Run a sweep and return its result; the Python API behind ``gfbench sweep``.

    Parameters
    ----------
    grid : str or Path
        Grid name (``"quick"``, ``"full"``) or TOML path.
    impls, dtypes : sequence of str, optional
        Keep only these implementations / dtype labels.
    out : str or Path
        Results folder; the run goes into ``out/<run_id>/``. Checked writable before anything
        is measured.
    resume : str or Path, optional
        A run folder (or run id under ``out``) to finish: its stored grid, filters and timing
        settings are used and finished cases are skipped. Do not combine with grid options.
    timing : bool
        False: outputs and accuracy only (``--no-timing``).
    min_sample_s, repeats, warmup, processes
        See ``bench.sweep.timing.sampling.TimingSettings``.
    nice : int, optional
        Scheduling priority while sweeping (``bench.sweep.machine.priority``); e.g. -10 on a machine
        shared with other jobs. None: unchanged. A resumed run reuses its recorded value.
    export : sequence of str
        ``"csv"`` and/or ``"parquet"``: also write ``cases.csv`` / ``cases.parquet``.
    dry_run : bool
        Validate and expand the grid only; write and measure nothing.
    progress : bool
        Show the rich progress bar (stderr).
    executor : Executor, optional
        Where cases run (default ``SerialExecutor``).
    max_bytes : int, optional
        Largest memory one case may need (``bench.sweep.cases.check_memory``); default half the
        memory available now. A case over it is refused before anything is written.
    max_cases : int
        Most cases the grid may expand to (``bench.sweep.grid.load_grid``); also applies to
        the grid stored in a resumed run.
    metric : str
        ``"time"`` (default) or ``"instructions"``: also count each case's instructions per
        call under callgrind (``bench.sweep.instructions``) into the rows' ``instructions``.
        A resumed run keeps its recorded metric.
    instructions_scope : str
        ``"call"`` (default): the whole call, Python and native (``bench.sweep.callcount``),
        with the entry-symbol count beside it in ``instructions_entry``; ``"entry"``: only
        inside the adapter's native entry symbols.
    cache_sim : bool
        With ``metric="instructions"`` and the ``"call"`` scope: callgrind's cache simulation
        too, the rows' ``l1_misses`` and ``ll_misses`` (per call, valgrind's model cache).

    Returns
    -------
    SweepResult

    Raises
    ------
    bench.exitcodes.UsageError
        Bad grid, filters, options or ``out``; raised before anything is measured or written.
    KeyboardInterrupt
        A second Ctrl-C; the run is left valid with status ``"interrupted"``.
    """
    from rich.console import Console

    console = console or Console(stderr=True)
    impls = split_values(impls)
    dtypes = split_values(dtypes)
    check_choices("--impl", impls, impl_registry.names())
    check_choices("--dtype", dtypes, tuple(DTYPES))
    check_export(export)
    if nice is not None and not (isinstance(nice, int) and -20 <= nice <= 19):
        raise UsageError(f"--nice: got {nice!r}; allowed: -20 (highest priority) .. 19")
    check_max_bytes(max_bytes)
    check_max_cases(max_cases)
    check_metric(metric)
    check_scope(instructions_scope)
    if cache_sim and (metric != "instructions" or instructions_scope != "call"):
        raise UsageError(
            "--cache-sim needs --metric instructions with --instructions-scope call (the misses "
            "are read from the whole-call dumps)"
        )

    with contextlib.ExitStack() as cleanup:  # restores the pinned thread settings
        return _start(
            cleanup,
            grid=grid,
            impls=impls,
            dtypes=dtypes,
            out=out,
            resume=resume,
            timing=timing,
            min_sample_s=min_sample_s,
            repeats=repeats,
            warmup=warmup,
            processes=processes,
            nice=nice,
            export=export,
            dry_run=dry_run,
            progress=progress,
            executor=executor,
            console=console,
            max_bytes=max_bytes,
            max_cases=max_cases,
            metric=metric,
            instructions_scope=instructions_scope,
            cache_sim=cache_sim,
        )


def _start(
    cleanup: contextlib.ExitStack,
    *,
    grid: str | Path,
    impls: list[str] | None,
    dtypes: list[str] | None,
    out: str | Path,
    resume: str | Path | None,
    timing: bool,
    min_sample_s: float,
    repeats: int,
    warmup: int,
    processes: int,
    nice: int | None,
    export: Sequence[str],
    dry_run: bool,
    progress: bool,
    executor: Executor | None,
    console,
    max_bytes: int | None,
    max_cases: int,
    metric: str,
    instructions_scope: str = "call",
    cache_sim: bool = False,
) -> SweepResult:
    if resume is not None:
        run_dir = resume_dir(resume, out)
        # the folder is locked first (a flock, which writes nothing): a second sweep or resume
        # of it is refused from here to the end of this one, with no check-then-act window
        cleanup.callback(RunLock(run_dir, holder=lambda: holder_of(run_dir)).release)
        # before reopening: reopening repairs a cut last line, which must not happen to a
        # file another live sweep is still appending to
        meta = load_run_meta(run_dir)
        check_not_running(meta, run_dir)
        the_grid, tsettings = check_resumable(run_dir, meta, max_bytes, max_cases)
        store = RunStore.reopen(run_dir)
        cleanup.callback(store.close)
        meta = store.meta
        t = meta["timing"]
        bandwidth, peak = meta.get("bandwidth_gbs"), meta.get("peak_gflops")
        from bench.sweep.machine import git_commit, pinned_threads

        # the run's recorded thread settings, so both halves of the run are timed alike
        cleanup.enter_context(pinned_threads(exact=meta.get("threads") or {}))
        from bench.sweep.machine import priority

        cleanup.enter_context(priority(t.get("nice") if nice is None else nice))
        import socket

        store.update_meta(
            status="running",
            finished_at=None,
            pid=os.getpid(),
            resumes=[
                *meta.get("resumes", []),
                {"at": utc_now(), "host": socket.gethostname(), "git_commit": git_commit()},
            ],
        )
    else:
        tsettings = timing_settings(
            timing=timing,
            min_sample_s=min_sample_s,
            repeats=repeats,
            warmup=warmup,
            processes=processes,
        )
        the_grid = load_filtered(grid, impls, dtypes, max_bytes, max_cases)
        if dry_run:
            return SweepResult(None, "dry-run", {}, len(the_grid.cases), 0, 0.0, 0.0, [], [], [])
        check_writable(out)  # before any measurement
        from bench.sweep.machine import (
            busy_warning,
            environment,
            measure_bandwidth,
            measure_peak_gflops,
            pinned_threads,
            priority,
        )

        cleanup.enter_context(pinned_threads())
        nice_now = cleanup.enter_context(priority(nice))
        if tsettings is not None and (warning := busy_warning()):
            console.print(f"[yellow]warning[/] {warning}", highlight=False, soft_wrap=True)
        bandwidth, peak = measure_bandwidth(), measure_peak_gflops()
        env = environment()
        spec_text = json.dumps(the_grid.spec, sort_keys=True)
        meta = {
            "grid": {
                "name": the_grid.name,
                "source": the_grid.source,
                "sha256": hashlib.sha256(spec_text.encode()).hexdigest(),
                "spec": the_grid.spec,
                "filters": {"impl": impls, "dtype": dtypes},
                "n_cases": len(the_grid.cases),
                "excluded": the_grid.excluded,
            },
            "started_at": utc_now(),
            "finished_at": None,
            "status": "running",
            **env,
            "impl_versions": impl_registry.versions(),
            "bandwidth_gbs": bandwidth,
            "peak_gflops": peak,
            "timing": {
                "enabled": tsettings is not None,
                **(tsettings or TimingSettings()).to_dict(),
                "method": timing_method(tsettings, (executor or SerialExecutor()).name),
                "nice": nice_now,
                "metric": metric,
            },
            **(
                {
                    "instructions": describe(
                        sorted({c.impl for c in the_grid.cases}),
                        scope=instructions_scope,
                        cache_sim=cache_sim,
                    )
                }
                if metric == "instructions"
                else {}
            ),
            "peak_mem_method": PEAK_MEM_METHOD,
            "peak_rss_method": peak_rss_method(
                CaseSettings(timing=tsettings, fix_mmap_threshold=_may_fix(executor))
            ),
            "executor": (executor or SerialExecutor()).describe(),
            "pid": os.getpid(),
            "resumes": [],
            "wall_seconds": 0.0,
            "accuracy_seconds": 0.0,
        }
        store = RunStore.create(out, _new_run_id(the_grid.name), meta)
        cleanup.callback(store.close)
        cleanup.callback(RunLock(store.run_dir).release)  # a --resume of it now is refused

    return _drive(
        store,
        the_grid,
        tsettings,
        bandwidth,
        peak,
        export,
        progress,
        executor or SerialExecutor(),
        console,
    )


def _drive(
    store: RunStore,
    the_grid: Grid,
    tsettings: TimingSettings | None,
    bandwidth: float | None,
    peak: float | None,
    export: Sequence[str],
    progress: bool,
    executor: Executor,
    console,
) -> SweepResult:
    from rich.markup import escape
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    todo: list[Case] = [c for c in the_grid.cases if c.case_id not in store.done]
    by_id = {c.case_id: c for c in todo}
    in_workers = uses_workers(tsettings, executor.name)
    settings = CaseSettings(
        timing=None if in_workers else tsettings,
        bandwidth_gbs=bandwidth,
        peak_gflops=peak,
        worker_env=tuple(sorted(os.environ.items())),
        fix_mmap_threshold=_may_fix(executor),
    )
    stop = _StopFlag(console)
    unstable: list[str] = []
    previous_wall = float(store.meta.get("wall_seconds") or 0.0)
    t0 = time.perf_counter()
    status = "interrupted"
    measured = 0
    bar = Progress(
        TextColumn("[bold]{task.fields[case]}", justify="left"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        disable=not progress,
        transient=False,
    )
    try:
        with stop.installed(), bar:
            records = []
            if in_workers and todo:
                assert tsettings is not None
                timing_task = bar.add_task(
                    "timing", total=tsettings.processes * len(todo) * tsettings.repeats,
                    case=f"timing in {tsettings.processes} workers",
                )  # fmt: skip
                records = time_in_workers(
                    store.run_dir,
                    todo,
                    tsettings,
                    env=None,
                    should_stop=stop,
                    on_unit=lambda _cid: bar.advance(timing_task),
                )
                if stop.requested:
                    raise _Stopped
            task = bar.add_task(
                "sweep",
                total=len(the_grid.cases),
                completed=len(the_grid.cases) - len(todo),
                case="",
            )

            def on_start(case: Case) -> None:
                bar.update(task, case=case.label()[:60])

            counts = count_for_run(store.meta, todo, console, store.run_dir)
            for row in executor.run(todo, settings, stop, on_start):
                if in_workers and row.status == "ok":
                    row = add_timing(row, by_id[row.case_id], records, settings)
                row = with_instructions(row, counts)
                store.append(row)
                measured += 1
                bar.advance(task)
                label = by_id[row.case_id].label()
                if row.status == "error":  # the reason is text: no rich markup, no controls
                    console.print(
                        f"[red]error[/] {label}: {escape(one_line(row.reason or '', 500))}",
                        highlight=False,
                        soft_wrap=True,
                    )
                if row.unstable:
                    unstable.append(label)
                if row.unstable and len(unstable) <= UNSTABLE_LINES:
                    console.print(
                        f"[yellow]unstable[/] {label}: {escape(one_line(row.unstable_reason))}",
                        highlight=False,
                        soft_wrap=True,
                    )
            status = "interrupted" if stop.requested else "complete"
    except _Stopped:
        status = "interrupted"
    finally:
        machines = executor.machines()  # per-host metadata when workers ran elsewhere
        executor.close()
        rows = list(store.done.values())
        wall = previous_wall + (time.perf_counter() - t0)
        acc = sum(r.get("accuracy_seconds") or 0.0 for r in rows)
        counts = dict(Counter(r["status"] for r in rows))
        store.finish(
            status,
            wall_seconds=wall,
            accuracy_seconds=acc,
            accuracy_fraction=acc / wall if wall else None,
            counts=counts,
            pid=None,
            # the conditions the timings were taken under (other jobs on a shared machine)
            load_average_end=list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
            **({"machines": machines} if machines else {}),
        )
    exported: list[Path] = []
    if export:
        from bench.store import export as export_run

        exported = export_run(store.run_dir, tuple(export))
    timing_workers = None
    if status == "interrupted" and in_workers and todo and measured == 0:
        from bench.store import read_workers

        assert tsettings is not None  # stopped in the timing phase: say what it kept
        timing_workers = (len(read_workers(store.run_dir)), tsettings.processes)
    result = SweepResult(
        run_dir=store.run_dir,
        status=status,
        counts=counts,
        n_cases=len(the_grid.cases),
        n_measured=measured,
        wall_seconds=wall,
        accuracy_seconds=acc,
        unstable=unstable,
        exported=exported,
        summary=summarize_rows(rows),
        timing_workers=timing_workers,
    )
    return result
