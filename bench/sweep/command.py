"""Time and measure the accuracy of a grid of cases (``gfbench sweep``).

The verb ``gfbench sweep``: ``add_arguments`` and ``main``; its ``--help`` text is
`HELP`. Why it works this way: docs/sweep.md.
"""

from __future__ import annotations

import argparse
import json

from bench.exitcodes import ExitCode, UsageError
from bench.sweep import impls as impl_registry
from bench.sweep.cases import DTYPES
from bench.sweep.driver import (
    DEFAULT_MIN_SAMPLE_S,
    DEFAULT_OUT,
    DEFAULT_PROCESSES,
    DEFAULT_REPEATS,
    run_sweep,
)
from bench.sweep.executors import EXECUTOR_NAMES, check_executor_options, make_executor
from bench.sweep.grid import DEFAULT_MAX_CASES, check_max_cases
from bench.sweep.instructions import check_metric
from bench.sweep.options import (
    check_choices,
    check_export,
    check_max_bytes,
    load_filtered,
    split_values,
    timing_settings,
)
from bench.sweep.result import SweepResult, print_summary

#: the description ``gfbench sweep --help`` shows (bench.cli reads it)
HELP = """Time and measure the accuracy of a grid of cases (``gfbench sweep``).

Runs every case of a grid (``bench/sweep/grids/quick.toml`` by default) through its implementation,
checks the output against the oracle, times it, and appends one row per case to a run folder
``<out>/<run_id>/`` (``run.json`` + ``cases.jsonl``, see ``bench.store``).

Examples::

    gfbench sweep                                   # the quick grid, results/ here
    gfbench sweep --grid full --processes 5         # the big grid, 5 timing workers
    gfbench sweep --impl scipy,opencv-1t --dtype float32,uint8
    gfbench sweep --grid my_grid.toml --no-timing   # accuracy only
    gfbench sweep --resume results/20261127T100000Z-quick-1a2b   # finish an interrupted run
    gfbench sweep --dry-run --json                  # list the cases, measure nothing
    gfbench sweep --executor dask --workers 2 --no-timing   # accuracy fanned out over workers
    gfbench sweep --export csv,parquet              # also cases.csv / cases.parquet
    gfbench sweep --grid guard --metric instructions        # + instructions per call (valgrind)

Ctrl-C stops after the current case (SIGTERM at once): the run stays valid (status
"interrupted") and the command exits 130; ``--resume`` finishes it without redoing finished
cases. A run folder is locked while a sweep writes it: a second ``--resume`` of it is exit 2.
Exit codes: 0 done, 2 bad input (nothing written), 5 gfbench failed (a crash or a full disk;
the run is left "interrupted"), 130 interrupted.

Python: ``bench.sweep.run_sweep(grid="quick", impls=["scipy"], out="results")`` does the same
and returns a ``SweepResult``; ``bench.store.load(result.run_dir)`` gives the DataFrame.
Timings are noisy on shared machines: every row carries ``unstable``; compare ``min_ns``.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``gfbench sweep``."""
    parser.add_argument(
        "--grid",
        default=None,
        metavar="NAME|PATH",
        help="grid name (quick, full, guard) or a TOML file (default: quick)",
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
        default=DEFAULT_PROCESSES,
        metavar="N",
        help=f"time in N long-lived worker processes, one after the other, each running every "
        f"case in its own shuffled order (default {DEFAULT_PROCESSES}; 0: in this process)",
    )
    parser.add_argument("--no-timing", action="store_true", help="outputs and accuracy only")
    parser.add_argument(
        "--min-sample-ms",
        type=float,
        default=DEFAULT_MIN_SAMPLE_S * 1e3,
        metavar="MS",
        help="calibrate loops so one sample lasts at least MS "
        f"(default {DEFAULT_MIN_SAMPLE_S * 1e3:g})",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=DEFAULT_REPEATS,
        metavar="N",
        help=f"samples per case and process, each in its own pass over the cases "
        f"(default {DEFAULT_REPEATS})",
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
        help=f"where cases run: {', '.join(EXECUTOR_NAMES)} (default serial: one at a time here; "
        "long-lived timing workers). dask is for --no-timing accuracy sweeps and big grids: it "
        "times each case in fresh processes on its worker, measured 13 min for the quick grid "
        "against 1.5-2.5 min serial",
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
    parser.add_argument(
        "--max-cases",
        type=int,
        default=DEFAULT_MAX_CASES,
        metavar="N",
        help=f"most cases the grid may expand to (default {DEFAULT_MAX_CASES}); a larger grid "
        "is refused before anything runs",
    )
    parser.add_argument(
        "--metric",
        default="time",
        metavar="NAME",
        help="time (default) or instructions: also count each case's instructions per call "
        "under valgrind's callgrind, inside the implementation's entry symbols (deterministic; "
        "about 50x slower: use a small grid such as guard)",
    )
    parser.add_argument(
        "--instructions-scope",
        default="call",
        choices=("call", "entry"),
        help="with --metric instructions: call (default) counts the whole call, Python and "
        "native, with the entry-symbol count beside it; entry counts only inside the "
        "implementation's native entry symbols",
    )
    parser.add_argument(
        "--cache-sim",
        action="store_true",
        help="with --metric instructions: also run callgrind's cache simulation and record each "
        "case's L1 and last-level misses per call (valgrind's model cache, not this CPU's)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")


def main(args: argparse.Namespace) -> int:
    """``gfbench sweep``: exit 0 complete, 2 bad input, 5 failed, 130 interrupted."""
    from rich.console import Console

    console = Console(stderr=True)
    if args.resume is not None and (args.grid or args.impl or args.dtype):
        raise UsageError(
            "--resume continues the run's stored grid and filters; "
            "do not combine it with --grid, --impl or --dtype"
        )
    export = [f.strip() for f in args.export.split(",") if f.strip()]
    check_max_bytes(args.max_bytes)
    check_max_cases(args.max_cases)
    check_metric(args.metric)  # before any work: valgrind missing is exit 2
    if args.dry_run:
        # the same checks as a real sweep, in the same order; only nothing runs
        check_executor_options(args.executor, scheduler=args.scheduler, workers=args.workers)
        if args.resume is not None:
            raise UsageError("--dry-run lists a grid's cases; it does not apply to --resume")
        check_choices("--impl", split_values(args.impl), impl_registry.names())
        check_choices("--dtype", split_values(args.dtype), tuple(DTYPES))
        timing_settings(
            timing=not args.no_timing,
            min_sample_s=args.min_sample_ms / 1e3,
            repeats=args.repeats,
            warmup=args.warmup,
            processes=args.processes,
        )
        check_export(export)
        grid = load_filtered(
            args.grid or "quick",
            split_values(args.impl),
            split_values(args.dtype),
            args.max_bytes,
            args.max_cases,
        )
        listing = [{"case_id": c.case_id, "group": c.group, **c.params()} for c in grid.cases]
        if args.json:
            print(json.dumps({"grid": grid.name, "n_cases": len(listing), "cases": listing}))
        else:
            for c in grid.cases:
                print(c.case_id, c.group, c.label())
            print(f"{len(listing)} cases in grid {grid.name!r} ({grid.excluded} excluded)")
        return ExitCode.OK
    if args.resume is None:  # a missing parent of --out is exit 2, like every verb's --out
        from bench.outputs import check_parent

        check_parent(args.out)
    if args.executor == "dask" and not args.no_timing and args.processes:
        # measured (issue 24): the quick grid timed on one Dask worker took 13 min, serial
        # 1.5-2.5 min: each case is timed in fresh interpreters there, not in the long-lived
        # timing workers of the serial executor
        console.print(
            "warning: a timed sweep on Dask times every case in "
            f"{args.processes} fresh process(es) on its worker (each imports NumPy, SciPy and "
            "the peers): several times slower than the serial executor's long-lived timing "
            "workers. Use the cluster for --no-timing sweeps and big arrays; time serially",
            highlight=False,
            soft_wrap=True,
        )
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
        print_summary(console, result, Console(soft_wrap=True))
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
        max_cases=args.max_cases,
        metric=args.metric,
        instructions_scope=args.instructions_scope,
        cache_sim=args.cache_sim,
    )


__all__ = ["add_arguments", "main"]
