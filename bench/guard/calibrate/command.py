"""Measure the compare gate's false-positive rate, power and inconclusive rate on this machine.

The verb ``gfbench calibrate``: ``add_arguments`` and ``main``; its ``--help`` text is
`HELP`. Why it works this way: docs/timing.md.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tabulate import tabulate

from bench.exitcodes import ExitCode, UsageError
from bench.guard.calibrate.sessions import (
    calibrate_interleaved,
    rate_text,
    render_interleaved,
    sweep_once,
)
from bench.guard.compare.result import compare_sides
from bench.guard.compare.sides import Side, load_sides
from bench.guard.stats import verdicts as gate
from bench.guard.stats.sequential_design import SequentialDesign
from bench.outputs import check_out_dir, progress

#: the description ``gfbench calibrate --help`` shows (bench.cli reads it)
HELP = """\
Measure the compare gate's false-positive rate, power and inconclusive rate on this machine.

``--mode interleaved`` (default): ``--runs`` independent A/A sessions, each timed exactly as
``gfbench matrix`` times two environments (`bench.guard.ab_session.ab_session`: both
sides sampled in turn, paired sequential looks), with this interpreter playing both A and B. Three
scenarios are decided on the same real noise, each keeping a case in the session until it
is decided:

- A/A: the same code, so every "slower" is a false positive, and a pair with more than 5%
  of its cases undecided is an inconclusive pair (what a maintainer would see as exit 4);
- every case ``--inject`` slower (default 10%): the pair should be flagged (exit 3);
- the cases of one dtype ``--inject-dtype-factor`` slower (default 30%, ``--inject-dtype``
  float32): the pair should be flagged, naming only those cases.

``--mode sweeps``: separate timed sweeps compared pairwise (what comparing two CI runs does:
raw worker minima, one look; across time only an A/B session decides), with ``--inject``
applied to the later run of each pair. Pairs of N runs are N(N-1)/2 comparisons, not
independent ones; the disjoint pairs (1,2), (3,4), ... are reported apart. ``--from`` takes
runs you already have.

Examples:
  gfbench calibrate --runs 20                        # 20 A/A sessions, quick grid, scipy
  gfbench calibrate --mode sweeps --runs 4 --json
  gfbench calibrate --from results/run-a --from results/run-b --from results/run-c
"""


def inject_slowdown(side: Side, *, impl: str, factor: float) -> Side:
    """A copy of ``side`` whose timing of ``impl`` is ``factor`` times slower."""
    frame = side.frame.copy()
    chosen = frame["impl"] == impl
    frame["samples_ns"] = frame["samples_ns"].astype(object)
    frame.loc[chosen, "samples_ns"] = frame.loc[chosen, "samples_ns"].map(
        lambda samples: None if samples is None else [s * factor for s in samples]
    )
    for column in ("min_ns", "median_ns", "mean_ns"):
        if column in frame:
            frame[column] = frame[column].astype(float)
            frame.loc[chosen, column] = frame.loc[chosen, column] * factor
    return Side(
        label=f"{side.label}+{factor - 1:.0%}",
        path=side.path,
        frame=frame,
        metas=side.metas,
        verify=None,
        env=side.env,
    )


def evaluate_pair(
    a: Side, b: Side, *, target: str, inject: float, threshold: float, alpha: float
) -> dict[str, Any]:
    """A/A verdicts of (a, b), and of (a, b slowed down by ``inject`` on ``target``)."""
    aa = compare_sides(a, b, threshold=threshold, alpha=alpha)
    slowed = inject_slowdown(b, impl=target, factor=1 + inject)
    inj = compare_sides(a, slowed, threshold=threshold, alpha=alpha)
    injected_cases = inj.perf[inj.perf["impl"] == target] if len(inj.perf) else inj.perf
    return {
        "a": a.label,
        "b": b.label,
        "aa_exit": int(aa.exit_code),
        "aa_counts": aa.verdict_counts(),
        "aa_cases": len(aa.perf),
        "aa_changes": len(aa.failing_changes),
        "aa_max_ratio": float(aa.perf["ratio"].max()) if len(aa.perf) else None,
        "injected_exit": int(inj.exit_code),
        "injected_cases": len(injected_cases),
        "injected_flagged": int((injected_cases["verdict"] == gate.SLOWER).sum())
        if len(injected_cases)
        else 0,
    }


def summarize_pairs(selected: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Rates over pairs: A/A regressions flagged, inconclusive, and injected detections."""
    n = len(selected)
    cases = sum(p["aa_cases"] for p in selected)
    injected = sum(p["injected_cases"] for p in selected)
    return {
        "pairs": n,
        "aa_pairs_flagging_regression": sum(
            p["aa_exit"] == ExitCode.PERF_REGRESSION for p in selected
        ),
        "aa_pairs_inconclusive": sum(p["aa_exit"] == ExitCode.INCONCLUSIVE for p in selected),
        "aa_pairs_with_output_changes": sum(p["aa_changes"] > 0 for p in selected),
        "aa_case_false_positive_rate": (
            sum(p["aa_counts"][gate.SLOWER] for p in selected) / cases if cases else None
        ),
        "aa_case_inconclusive_rate": (
            sum(p["aa_counts"][gate.INCONCLUSIVE] for p in selected) / cases if cases else None
        ),
        "injected_pairs_flagged": sum(
            p["injected_exit"] == ExitCode.PERF_REGRESSION for p in selected
        ),
        "injected_case_detection_rate": (
            sum(p["injected_flagged"] for p in selected) / injected if injected else None
        ),
    }


#: where calibrate's sweeps go unless --out says otherwise
DEFAULT_OUT = Path("results/calibrate")


def calibrate(
    *,
    runs: Sequence[Path] = (),
    mode: str = "interleaved",
    n_runs: int = 6,
    grid: str = "quick",
    impl: Sequence[str] = ("scipy",),
    processes: int = 3,
    inject: float = 0.10,
    inject_impl: str | None = None,
    inject_dtype: str = "float32",
    inject_dtype_factor: float = 0.30,
    max_rounds: int | None = None,
    budget_s: float | None = None,
    threshold: float = gate.DEFAULT_THRESHOLD,
    alpha: float = gate.DEFAULT_ALPHA,
    out: Path = DEFAULT_OUT,
    log=progress,
) -> dict[str, Any]:
    """Measure the gate's A/A false-positive rate and its power on this machine.

    Parameters
    ----------
    runs
        Existing runs of one environment (``--from``): every pair of them is evaluated.
    mode
        Without ``runs``: ``"interleaved"`` times ``n_runs`` independent A/A pairs the way
        ``gfbench matrix`` times versions (``processes`` or more rounds of side-by-side workers);
        ``"sweeps"`` runs ``n_runs`` separate timed sweeps with ``processes`` workers per
        case and evaluates every pair of them (what comparing two CI runs does).

    Returns
    -------
    dict
        ``pairs`` (one entry per pair), summaries over all and over disjoint pairs.
    """
    gate.validate_gate_options(threshold, alpha)
    if not 0 < inject < 10:
        raise UsageError(f"--inject must be a fraction in (0, 10), e.g. 0.2; got {inject}")
    if mode not in ("interleaved", "sweeps"):
        raise UsageError(f"--mode must be 'interleaved' or 'sweeps', got {mode!r}")
    if runs:
        if len(runs) < 2:
            raise UsageError("--from needs at least two runs of the same environment")
        sides = load_sides(list(runs))
        index_pairs = list(itertools.combinations(range(len(sides)), 2))
        side_pairs = [(sides[i], sides[j]) for i, j in index_pairs]
        disjoint = [j == i + 1 and i % 2 == 0 for i, j in index_pairs]
    else:
        if n_runs < 1 or (mode == "sweeps" and n_runs < 2):
            raise UsageError(
                f"--runs must be >= 2 (>= 1 pair with --mode interleaved), got {n_runs}"
            )
        if processes < 2:
            raise UsageError(
                f"--processes must be >= 2 (the gate's unit is a process), got {processes}"
            )
        # a missing parent of a chosen --out is exit 2, like every verb's --out; the default's
        # results/ is created
        check_out_dir(out, create_parents=Path(out) == DEFAULT_OUT)
        if mode == "interleaved":
            return calibrate_interleaved(
                n_runs,
                grid=grid,
                impl=impl,
                processes=processes,
                inject=inject,
                inject_dtype=inject_dtype,
                inject_dtype_factor=inject_dtype_factor,
                max_rounds=max_rounds,
                budget_s=budget_s,
                threshold=threshold,
                alpha=alpha,
                out=out,
                log=log,
            )
        else:
            run_dirs = []
            for index in range(n_runs):
                started = time.perf_counter()
                run_dirs.append(
                    sweep_once(out, grid=grid, impl=impl, extra=["--processes", str(processes)])
                )
                log(
                    f"calibrate: sweep {index + 1}/{n_runs} done in "
                    f"{time.perf_counter() - started:.0f} s: {run_dirs[-1]}"
                )
            return calibrate(
                runs=run_dirs,
                inject=inject,
                inject_impl=inject_impl,
                threshold=threshold,
                alpha=alpha,
                log=log,
            ) | {"mode": "sweeps", "grid": grid, "processes": processes}
    impls = sorted(set(side_pairs[0][0].frame["impl"]))
    target = inject_impl or ("scipy" if "scipy" in impls else impls[0])
    if target not in impls:
        raise UsageError(f"--inject-impl {target!r} is not in the runs ({', '.join(impls)})")
    pairs = []
    for (a, b), is_disjoint in zip(side_pairs, disjoint, strict=True):
        entry = evaluate_pair(a, b, target=target, inject=inject, threshold=threshold, alpha=alpha)
        pairs.append({**entry, "disjoint": is_disjoint})
    return {
        "mode": "from-runs" if runs else mode,
        "grid": None if runs else grid,
        "processes": None if runs else processes,
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "threshold": threshold,
        "alpha": alpha,
        "inject": inject,
        "inject_impl": target,
        "pairs": pairs,
        "all_pairs": summarize_pairs(pairs),
        "disjoint_pairs": summarize_pairs([p for p in pairs if p["disjoint"]]),
    }


def render(result: dict[str, Any]) -> str:
    """Per-pair table and the summaries."""
    if result["mode"] == "interleaved":
        return render_interleaved(result)
    rows = [
        [
            p["a"],
            p["b"],
            p["aa_exit"],
            p["aa_counts"][gate.SLOWER],
            p["aa_counts"][gate.INCONCLUSIVE],
            p["aa_cases"],
            f"{p['aa_max_ratio']:.3f}" if p["aa_max_ratio"] else "-",
            p["injected_exit"],
            f"{p['injected_flagged']}/{p['injected_cases']}",
        ]
        for p in result["pairs"]
    ]
    lines = [
        tabulate(
            rows,
            headers=[
                "A",
                "B",
                "A/A exit",
                "A/A slower",
                "A/A inconcl.",
                "cases",
                "A/A max ratio",
                f"+{result['inject']:.0%} exit",
                "+inj flagged",
            ],
        )
    ]
    names = ("all_pairs",) if result["mode"] == "interleaved" else ("all_pairs", "disjoint_pairs")
    for name in names:
        s = result[name]
        if not s["pairs"]:
            continue
        lines.append(
            f"\n{name.replace('_', ' ')} ({s['pairs']}, mode {result['mode']}): A/A flagged a "
            f"regression in {s['aa_pairs_flagging_regression']}/{s['pairs']} pairs "
            f"(inconclusive in {s['aa_pairs_inconclusive']}); per case false-positive rate "
            f"{rate_text(s['aa_case_false_positive_rate'])}, inconclusive "
            f"{rate_text(s['aa_case_inconclusive_rate'])}. +{result['inject']:.0%} on "
            f"{result['inject_impl']} flagged in {s['injected_pairs_flagged']}/{s['pairs']} "
            f"pairs; per case detection {rate_text(s['injected_case_detection_rate'])}."
        )
        if s["aa_pairs_with_output_changes"]:
            lines.append(
                f"warning: {s['aa_pairs_with_output_changes']} A/A pairs differ in outputs: "
                "those runs do not come from the same code or environment"
            )
    if result.get("load_average"):
        lines.append("load average now: " + ", ".join(f"{x:.2f}" for x in result["load_average"]))
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--from",
        dest="runs",
        action="append",
        type=Path,
        default=[],
        metavar="RUN",
        help="use existing runs of one environment (repeat)",
    )
    parser.add_argument(
        "--mode",
        choices=("interleaved", "sweeps"),
        default="interleaved",
        help="interleaved: A/A pairs timed the way gfbench matrix times versions (default); "
        "sweeps: separate timed sweeps, every pair compared",
    )
    parser.add_argument(
        "--runs",
        dest="n_runs",
        type=int,
        default=6,
        help="A/A sessions (interleaved) or sweeps (sweeps) to run (default 6)",
    )
    parser.add_argument("--grid", default="quick", help="grid of the sweeps (default quick)")
    parser.add_argument(
        "--impl", action="append", default=None, help="implementations to sweep (default scipy)"
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=3,
        help="interleaved: rounds before the first look; sweeps: timing workers per sweep "
        "(default 3)",
    )
    parser.add_argument(
        "--inject",
        type=float,
        default=0.10,
        help="slowdown injected into every case for the power check (default 0.10 = 10%%)",
    )
    parser.add_argument(
        "--inject-impl", default=None, help="--mode sweeps: implementation to slow down"
    )
    parser.add_argument(
        "--inject-dtype", default="float32", help="dtype of the one-dtype scenario (float32)"
    )
    parser.add_argument(
        "--inject-dtype-factor",
        type=float,
        default=0.30,
        help="slowdown of the one-dtype scenario (default 0.30 = 30%%)",
    )
    parser.add_argument(
        "--max-rounds",
        type=int,
        default=None,
        help=f"most rounds per A/B session (default {SequentialDesign.max_rounds})",
    )
    parser.add_argument(
        "--budget-s",
        type=float,
        default=None,
        metavar="SECONDS",
        help="timing budget per A/B session, as gfbench matrix --budget-s",
    )
    parser.add_argument("--threshold", type=float, default=gate.DEFAULT_THRESHOLD)
    parser.add_argument("--alpha", type=float, default=gate.DEFAULT_ALPHA)
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help="where the sweeps go (default results/calibrate)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def main(args: argparse.Namespace) -> int:
    log = progress  # progress to stderr, results to stdout
    result = calibrate(
        runs=args.runs,
        mode=args.mode,
        n_runs=args.n_runs,
        grid=args.grid,
        impl=args.impl or ["scipy"],
        processes=args.processes,
        inject=args.inject,
        inject_impl=args.inject_impl,
        inject_dtype=args.inject_dtype,
        inject_dtype_factor=args.inject_dtype_factor,
        max_rounds=args.max_rounds,
        budget_s=args.budget_s,
        threshold=args.threshold,
        alpha=args.alpha,
        out=args.out,
        log=log,
    )
    print(json.dumps(result, indent=1) if args.json else render(result))
    return int(ExitCode.OK)
