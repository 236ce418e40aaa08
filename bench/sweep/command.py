"""Time and measure the accuracy of a grid of cases (``gfbench sweep``).

Runs every case of a grid (``bench/sweep/grids/quick.toml`` by default) through its implementation,
checks the output against the oracle, times it, and appends one row per case to a run folder
``<out>/<run_id>/`` (``run.json`` + ``cases.jsonl``, see ``bench.store``).

Examples::

    gfbench sweep                                   # the quick grid, results/ here
    gfbench sweep --grid full --processes 3         # the big grid, pyperf-style workers
    gfbench sweep --impl scipy,opencv-1t --dtype float32,uint8
    gfbench sweep --grid my_grid.toml --no-timing   # accuracy only
    gfbench sweep --resume results/20261127T100000Z-quick-1a2b   # finish an interrupted run
    gfbench sweep --dry-run --json                  # list the cases, measure nothing
    gfbench sweep --executor dask --workers 2 --no-timing   # accuracy fanned out over workers
    gfbench sweep --export csv,parquet              # also cases.csv / cases.parquet

Ctrl-C stops after the current case: the run stays valid (status "interrupted") and the
command exits 130; ``--resume`` finishes it without redoing finished cases. Exit codes: 0 done,
2 bad input (nothing written), 130 interrupted.

Python: ``bench.sweep.run_sweep(grid="quick", impls=["scipy"], out="results")`` does the same
and returns a ``SweepResult``; ``bench.store.load(result.run_dir)`` gives the DataFrame.
Timings are noisy on shared machines: every row carries ``unstable``; compare ``min_ns``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import json
import math
import os
import secrets
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from bench.exitcodes import ExitCode, UsageError
from bench.store import (
    RUN_FILE,
    RunStore,
    check_writable,
    load_run_meta,
    resolve_run,
    utc_now,
)
from bench.sweep import impls as impl_registry
from bench.sweep.cases import DTYPES, Case, check_memory
from bench.sweep.executors import (
    EXECUTOR_NAMES,
    EXECUTORS,
    Executor,
    SerialExecutor,
    check_executor_options,
    make_executor,
)
from bench.sweep.grid import Grid, load_grid
from bench.sweep.measure import PEAK_MEM_METHOD, CaseSettings
from bench.sweep.timing import TimingSettings

DEFAULT_OUT = "results"
# Unstable cases are flagged on the terminal as they happen, up to this many lines (a noisy
# machine can flag most cases); the summary counts all of them and every row carries the flag.
_UNSTABLE_LINES = 10


@dataclasses.dataclass(frozen=True)
class SweepResult:
    """What ``run_sweep`` returns.

    Attributes
    ----------
    run_dir : Path
    status : str
        ``"complete"`` or ``"interrupted"`` (``"dry-run"`` with ``dry_run=True``).
    counts : dict
        status -> number of rows in the run (resumed rows included).
    n_cases : int
        Cases in the (filtered) grid.
    n_measured : int
        Cases measured by this call (a resume skips finished ones).
    wall_seconds, accuracy_seconds : float
        For the whole run, accumulated across resumes.
    unstable : list of str
        Labels of cases flagged unstable in this call.
    exported : list of Path
    summary : list of dict
        The per-implementation summary table.
    """

    run_dir: Path | None
    status: str
    counts: dict[str, int]
    n_cases: int
    n_measured: int
    wall_seconds: float
    accuracy_seconds: float
    unstable: list[str]
    exported: list[Path]
    summary: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["run_dir"] = None if self.run_dir is None else str(self.run_dir)
        d["exported"] = [str(p) for p in self.exported]
        d["accuracy_fraction"] = (
            self.accuracy_seconds / self.wall_seconds if self.wall_seconds else None
        )
        return d


# -- argument checks ----------------------------------------------------------------------------


def _split(values: Sequence[str] | None) -> list[str] | None:
    if not values:
        return None
    out: list[str] = []
    for v in values:
        out.extend(p.strip() for p in v.split(",") if p.strip())
    return out or None


def _check_choices(option: str, values: Sequence[str] | None, allowed: Sequence[str]) -> None:
    for v in values or ():
        if v not in allowed:
            raise UsageError(f"{option}: unknown value {v!r}; allowed: {', '.join(allowed)}")


def _timing_settings(
    *, timing: bool, min_sample_s: float, repeats: int, warmup: int, processes: int
) -> TimingSettings | None:
    checks = [
        (
            "--min-sample-ms",
            min_sample_s,
            isinstance(min_sample_s, (int, float))
            and math.isfinite(min_sample_s)
            and min_sample_s > 0,
            "a number > 0",
        ),
        ("--repeats", repeats, isinstance(repeats, int) and repeats >= 1, "an int >= 1"),
        ("--warmup", warmup, isinstance(warmup, int) and warmup >= 0, "an int >= 0"),
        (
            "--processes",
            processes,
            isinstance(processes, int) and processes >= 0,
            "an int >= 0 (0: time in the sweep process)",
        ),
    ]
    for option, value, ok, allowed in checks:
        if not ok:
            raise UsageError(f"{option}: got {value!r}; allowed: {allowed}")
    if not timing:
        return None
    return TimingSettings(
        min_sample_s=float(min_sample_s), repeats=repeats, warmup=warmup, processes=processes
    )


# -- Ctrl-C -------------------------------------------------------------------------------------


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


# -- summary ------------------------------------------------------------------------------------


def summarize_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per-implementation counts, and the geometric mean of (SciPy min time / impl min time)
    over the cases both ran (same parameters and dtype): > 1 means faster than SciPy."""
    by_impl: dict[str, Counter] = {}
    times: dict[tuple, dict[str, float]] = {}
    for r in rows:
        c = by_impl.setdefault(r["impl"], Counter())
        c[r["status"]] += 1
        c["unstable"] += bool(r.get("unstable"))
        if r["status"] == "ok" and r.get("min_ns"):
            key = (
                r["dtype"],
                tuple(r["shape"]),
                json.dumps(r["sigma"]),
                r["mode"],
                r["truncate"],
                r["order"],
                r["cval"],
                json.dumps(r.get("axes")),
            )
            times.setdefault(key, {})[r["impl"]] = r["min_ns"]
    table = []
    for impl in sorted(by_impl, key=lambda n: (*impl_registry.names(), n).index(n)):
        ratios = [t["scipy"] / t[impl] for t in times.values() if impl in t and "scipy" in t]
        speed = math.exp(sum(map(math.log, ratios)) / len(ratios)) if ratios else None
        c = by_impl[impl]
        table.append(
            {
                "impl": impl,
                "cases": sum(c[s] for s in ("ok", "unsupported", "unavailable", "error")),
                "ok": c["ok"],
                "unsupported": c["unsupported"],
                "unavailable": c["unavailable"],
                "error": c["error"],
                "unstable": c["unstable"],
                "speed_vs_scipy": speed,
                "matched": len(ratios),
            }
        )
    return table


def _print_summary(console, result: SweepResult, out=None) -> None:
    """The table and the final line go to ``out`` (stdout: ``gfbench sweep > log`` keeps
    them); the hints about unstable cases to ``console`` (stderr)."""
    from tabulate import tabulate

    out = out or console

    rows = [
        [
            s["impl"],
            s["ok"],
            s["unsupported"],
            s["unavailable"],
            s["error"],
            s["unstable"],
            "-" if s["speed_vs_scipy"] is None else f"{s['speed_vs_scipy']:.3g}x ({s['matched']})",
        ]
        for s in result.summary
    ]
    headers = [
        "impl",
        "ok",
        "unsupported",
        "unavailable",
        "error",
        "unstable",
        "speed vs scipy (cases)",
    ]
    out.print(tabulate(rows, headers=headers), markup=False, highlight=False, soft_wrap=True)
    if len(result.unstable) > _UNSTABLE_LINES:
        console.print(
            f"[yellow]unstable[/] ... and {len(result.unstable) - _UNSTABLE_LINES} more "
            "(column `unstable` / `unstable_reason` of the run)",
            highlight=False,
            soft_wrap=True,
        )
    if result.unstable:
        console.print(
            f"{len(result.unstable)} case(s) unstable: compare min_ns, or rerun them with "
            "--processes 3 on a quieter machine",
            highlight=False,
            soft_wrap=True,
        )
    frac = result.accuracy_seconds / result.wall_seconds if result.wall_seconds else 0.0
    out.print(
        f"{result.status}: {sum(result.counts.values())}/{result.n_cases} cases in "
        f"{result.run_dir}  (wall {result.wall_seconds:.1f} s, oracle+accuracy "
        f"{result.accuracy_seconds:.1f} s = {100 * frac:.0f}%)",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


# -- the sweep ----------------------------------------------------------------------------------


def _new_run_id(grid_name: str) -> str:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    # ASCII only: the id becomes a folder name, checked against bench.store.validate.IDENTIFIER
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "-"
                   for ch in grid_name)[:40]  # fmt: skip
    return f"{stamp}-{safe}-{secrets.token_hex(2)}"


def _resume_dir(resume: str | Path, out: str | Path) -> Path:
    candidate = Path(resume)
    if not candidate.exists() and (Path(out) / str(resume) / RUN_FILE).is_file():
        candidate = Path(out) / str(resume)
    return resolve_run(candidate, option="--resume")


def _check_not_running(meta: dict[str, Any], run_dir: Path) -> None:
    if meta.get("status") != "running":
        return
    import socket

    import psutil

    pid = meta.get("pid")
    same_host = meta.get("host") == socket.gethostname()
    if same_host and pid and pid != os.getpid() and psutil.pid_exists(pid):
        raise UsageError(
            f"--resume: {run_dir} is still being written by process {pid}; "
            "stop it first (Ctrl-C), then resume"
        )


def run_sweep(
    *,
    grid: str | Path = "quick",
    impls: Sequence[str] | None = None,
    dtypes: Sequence[str] | None = None,
    out: str | Path = DEFAULT_OUT,
    resume: str | Path | None = None,
    timing: bool = True,
    min_sample_s: float = 0.010,
    repeats: int = 5,
    warmup: int = 1,
    processes: int = 0,
    nice: int | None = None,
    export: Sequence[str] = (),
    dry_run: bool = False,
    progress: bool = True,
    executor: Executor | None = None,
    console=None,
    max_bytes: int | None = None,
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
        See ``bench.sweep.timing.TimingSettings``.
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
    impls = _split(impls)
    dtypes = _split(dtypes)
    _check_choices("--impl", impls, impl_registry.names())
    _check_choices("--dtype", dtypes, tuple(DTYPES))
    for fmt in export:
        if fmt not in ("csv", "parquet"):
            raise UsageError(f"--export: unknown format {fmt!r}; allowed: csv, parquet")
    if nice is not None and not (isinstance(nice, int) and -20 <= nice <= 19):
        raise UsageError(f"--nice: got {nice!r}; allowed: -20 (highest priority) .. 19")
    _check_max_bytes(max_bytes)

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
        )


def _check_max_bytes(max_bytes: int | None) -> None:
    if max_bytes is not None and (
        isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1
    ):
        raise UsageError(f"--max-bytes: got {max_bytes!r}; allowed: an int >= 1 (bytes)")


def _check_resumable(
    run_dir: Path, meta: dict[str, Any], max_bytes: int | None
) -> tuple[Grid, TimingSettings | None]:
    """Everything ``--resume`` needs, checked before the run is touched (issue 10: a run
    that cannot be resumed stays byte for byte as it was)."""
    import warnings

    from bench.store import CASES_FILE, _read_rows
    from bench.store.validate import FileError, require_resumable

    file = run_dir / RUN_FILE
    require_resumable(meta, file=file)
    stored = meta["grid"]
    try:
        the_grid = load_grid(stored["spec"]).filtered(
            impls=stored["filters"].get("impl"), dtypes=stored["filters"].get("dtype")
        )
    except UsageError as exc:
        raise FileError(file, str(exc), field="grid.spec") from None
    t = meta["timing"]
    try:
        tsettings = (
            TimingSettings(
                min_sample_s=t["min_sample_s"],
                repeats=t["repeats"],
                warmup=t["warmup"],
                processes=t["processes"],
            )
            if t.get("enabled", True)
            else None
        )
    except (TypeError, ValueError) as exc:
        raise FileError(file, f"cannot be used: {exc}", field="timing") from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # reopening warns about a cut last line once
        rows, _ = _read_rows(run_dir / CASES_FILE)
    ids = {c.case_id for c in the_grid.cases}
    for number, row in enumerate(rows, start=1):
        if row["case_id"] not in ids:
            raise FileError(
                run_dir / CASES_FILE,
                f"{row['case_id']} is not a case of this run's grid; "
                "the file mixes runs and cannot be resumed",
                line=number,
                field="case_id",
            )
    check_memory(the_grid.cases, max_bytes)
    check_writable(run_dir)
    return the_grid, tsettings


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
) -> SweepResult:
    if resume is not None:
        run_dir = _resume_dir(resume, out)
        # before reopening: reopening repairs a cut last line, which must not happen to a
        # file another live sweep is still appending to
        meta = load_run_meta(run_dir)
        _check_not_running(meta, run_dir)
        the_grid, tsettings = _check_resumable(run_dir, meta, max_bytes)
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
        tsettings = _timing_settings(
            timing=timing,
            min_sample_s=min_sample_s,
            repeats=repeats,
            warmup=warmup,
            processes=processes,
        )
        the_grid = _load_filtered(grid, impls, dtypes, max_bytes)
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
                "nice": nice_now,
            },
            "peak_mem_method": PEAK_MEM_METHOD,
            "executor": (executor or SerialExecutor()).describe(),
            "pid": os.getpid(),
            "resumes": [],
            "wall_seconds": 0.0,
            "accuracy_seconds": 0.0,
        }
        store = RunStore.create(out, _new_run_id(the_grid.name), meta)
        cleanup.callback(store.close)

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


def _load_filtered(
    grid: str | Path, impls: list[str] | None, dtypes: list[str] | None, max_bytes: int | None
) -> Grid:
    """Load and filter a grid; refuse an empty selection and a case over the memory limit."""
    base = load_grid(grid)
    the_grid = base.filtered(impls=impls, dtypes=dtypes)
    if not the_grid.cases:
        raise UsageError(
            f"--impl/--dtype: no case of grid {base.name!r} is left "
            f"(impl {impls or 'any'}, dtype {dtypes or 'any'})"
        )
    check_memory(the_grid.cases, max_bytes)
    return the_grid


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
    settings = CaseSettings(
        timing=tsettings,
        bandwidth_gbs=bandwidth,
        peak_gflops=peak,
        worker_env=tuple(sorted(os.environ.items())),
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
            task = bar.add_task(
                "sweep",
                total=len(the_grid.cases),
                completed=len(the_grid.cases) - len(todo),
                case="",
            )

            def on_start(case: Case) -> None:
                bar.update(task, case=case.label()[:60])

            for row in executor.run(todo, settings, stop, on_start):
                store.append(row)
                measured += 1
                bar.advance(task)
                label = by_id[row.case_id].label()
                if row.status == "error":
                    console.print(
                        f"[red]error[/] {label}: {row.reason}", highlight=False, soft_wrap=True
                    )
                if row.unstable:
                    unstable.append(label)
                if row.unstable and len(unstable) <= _UNSTABLE_LINES:
                    console.print(
                        f"[yellow]unstable[/] {label}: {row.unstable_reason}",
                        highlight=False,
                        soft_wrap=True,
                    )
            status = "interrupted" if stop.requested else "complete"
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
    )
    return result


# -- CLI ----------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``gfbench sweep``."""
    parser.add_argument(
        "--grid",
        default=None,
        metavar="NAME|PATH",
        help="grid name (quick, full) or a TOML file (default: quick)",
    )
    parser.add_argument(
        "--impl",
        action="append",
        metavar="NAME[,NAME]",
        help=f"only these implementations ({', '.join(impl_registry.names())})",
    )
    parser.add_argument(
        "--dtype",
        action="append",
        metavar="LABEL[,LABEL]",
        help=f"only these dtypes ({', '.join(DTYPES)})",
    )
    parser.add_argument(
        "--out",
        default=DEFAULT_OUT,
        metavar="DIR",
        help="results folder; the run goes into DIR/<run_id>/ (default: results)",
    )
    parser.add_argument(
        "--resume",
        metavar="RUN",
        help="finish an interrupted run (its folder, or its id under --out)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=0,
        metavar="N",
        help="take samples in N fresh worker processes, pyperf style (default 0: in this process)",
    )
    parser.add_argument("--no-timing", action="store_true", help="outputs and accuracy only")
    parser.add_argument(
        "--min-sample-ms",
        type=float,
        default=10.0,
        metavar="MS",
        help="calibrate loops so one sample lasts at least MS (default 10)",
    )
    parser.add_argument(
        "--repeats", type=int, default=5, metavar="N", help="samples per process (default 5)"
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=1,
        metavar="N",
        help="untimed calls before calibrating (default 1)",
    )
    parser.add_argument(
        "--export",
        default="",
        metavar="FMT[,FMT]",
        help="also write cases.csv and/or cases.parquet (csv, parquet)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="validate and list the cases; measure and write nothing",
    )
    parser.add_argument(
        "--nice",
        type=int,
        metavar="N",
        help="scheduling priority while sweeping, -20..19 (negative needs root/CAP_SYS_NICE): "
        "on a busy shared machine -10 gives the timed process most of a core",
    )
    parser.add_argument(
        "--executor",
        default="serial",
        metavar="NAME",
        help=f"where cases run: {', '.join(EXECUTOR_NAMES)} (default serial: one at a time here)",
    )
    parser.add_argument(
        "--scheduler", metavar="ADDRESS", help="dask scheduler address (with --executor dask)"
    )
    parser.add_argument(
        "--workers", type=int, metavar="N", help="local dask workers (with --executor dask)"
    )
    parser.add_argument(
        "--max-bytes",
        type=int,
        metavar="N",
        help="largest memory one case may need, in bytes (default: half the memory available "
        "now); a case over it is refused before anything runs",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")


def main(args: argparse.Namespace) -> int:
    """``gfbench sweep``: exit 0 complete, 2 bad input, 130 interrupted."""
    from rich.console import Console

    console = Console(stderr=True)
    if args.resume is not None and (args.grid or args.impl or args.dtype):
        raise UsageError(
            "--resume continues the run's stored grid and filters; "
            "do not combine it with --grid, --impl or --dtype"
        )
    export = [f.strip() for f in args.export.split(",") if f.strip()]
    _check_max_bytes(args.max_bytes)
    if args.dry_run:
        # the same checks as a real sweep, in the same order; only nothing runs
        check_executor_options(args.executor, scheduler=args.scheduler, workers=args.workers)
        if args.resume is not None:
            raise UsageError("--dry-run lists a grid's cases; it does not apply to --resume")
        _check_choices("--impl", _split(args.impl), impl_registry.names())
        _check_choices("--dtype", _split(args.dtype), tuple(DTYPES))
        _timing_settings(
            timing=not args.no_timing,
            min_sample_s=args.min_sample_ms / 1e3,
            repeats=args.repeats,
            warmup=args.warmup,
            processes=args.processes,
        )
        for fmt in export:
            if fmt not in ("csv", "parquet"):
                raise UsageError(f"--export: unknown format {fmt!r}; allowed: csv, parquet")
        grid = _load_filtered(
            args.grid or "quick", _split(args.impl), _split(args.dtype), args.max_bytes
        )
        listing = [{"case_id": c.case_id, "group": c.group, **c.params()} for c in grid.cases]
        if args.json:
            print(json.dumps({"grid": grid.name, "n_cases": len(listing), "cases": listing}))
        else:
            for c in grid.cases:
                print(c.case_id, c.group, c.label())
            print(f"{len(listing)} cases in grid {grid.name!r} ({grid.excluded} excluded)")
        return ExitCode.OK
    # Built before the run folder exists: an unreachable scheduler is exit 2, nothing written.
    executor = make_executor(
        args.executor, scheduler=args.scheduler, workers=args.workers, timing=not args.no_timing
    )
    try:
        result = _run_from_args(args, export, executor, console)
    finally:
        executor.close()
    if args.json:
        print(json.dumps(result.to_json()))
    else:
        _print_summary(console, result, Console(soft_wrap=True))
    return ExitCode.INTERRUPTED if result.status == "interrupted" else ExitCode.OK


def _run_from_args(args, export, executor, console) -> SweepResult:
    return run_sweep(
        grid=args.grid or "quick",
        impls=args.impl,
        dtypes=args.dtype,
        out=args.out,
        resume=args.resume,
        timing=not args.no_timing,
        min_sample_s=args.min_sample_ms / 1e3,
        repeats=args.repeats,
        warmup=args.warmup,
        processes=args.processes,
        nice=args.nice,
        export=export,
        progress=not args.no_progress,
        console=console,
        executor=executor,
        max_bytes=args.max_bytes,
    )


__all__ = ["EXECUTORS", "SweepResult", "add_arguments", "main", "run_sweep", "summarize_rows"]
