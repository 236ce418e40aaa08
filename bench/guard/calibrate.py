"""Measure the compare gate's false-positive rate and power on this machine (A/A calibration).

Runs the same sweep several times in the same environment (or takes runs you
already have), then compares every pair of them:

- A/A: the two runs are the same code, so every "regression" is a false positive.
  Reported per pair (did the gate exit 3?) and per case.
- injected slowdown: the later run's samples of one implementation are multiplied
  by 1 + --inject (default 20%), on top of their real noise; the gate should flag
  the pair (exit 3). This measures power on this machine's real noise.

Pairs of N runs are N(N-1)/2 comparisons, not independent ones (each run takes
part in N-1 of them); the disjoint pairs (1,2), (3,4), ... are reported apart.

Examples:
  gfbench calibrate                                  # 6 sweeps of the quick grid, scipy
  gfbench calibrate --runs 7 --processes 3 --json
  gfbench calibrate --from results/run-a --from results/run-b --from results/run-c
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tabulate import tabulate

from bench.exitcodes import ExitCode, UsageError
from bench.guard import gate
from bench.guard.compare_inputs import Side, load_sides
from bench.guard.comparison import compare_sides


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
    return Side(label=f"{side.label}+{factor - 1:.0%}", path=side.path, frame=frame,
                metas=side.metas, verify=None, env=side.env)  # fmt: skip


def _sweep(out: Path, *, grid: str, impl: Sequence[str], extra: Sequence[str]) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    before = set(out.iterdir())
    cmd = [sys.executable, "-m", "bench", "sweep", "--grid", grid, "--out", str(out),
           "--no-progress", *extra]  # fmt: skip
    for name in impl:
        cmd += ["--impl", name]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"gfbench sweep exited {proc.returncode}: {proc.stderr[-1500:]}")
    new = [p for p in out.iterdir() if p not in before and (p / "run.json").is_file()]
    if len(new) != 1:
        raise RuntimeError(f"expected one new run in {out}, found {len(new)}")
    return new[0]


def _interleaved_pairs(n_pairs: int, *, grid: str, impl: Sequence[str], rounds: int, out: Path,
                       log) -> list[tuple[Path, Path]]:  # fmt: skip
    """``n_pairs`` independent A/A pairs timed the way ``gfbench matrix`` times versions.

    One untimed sweep, then for each pair this same interpreter plays both "environments"
    in alternating worker processes, case by case.
    """
    from bench.guard.interleave import EnvUnderTest, interleaved_timing
    from bench.sweep.machine import THREAD_ENV_VARS

    untimed = _sweep(out / "untimed", grid=grid, impl=impl, extra=["--no-timing"])
    child = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    for var in THREAD_ENV_VARS:
        child.setdefault(var, "1")
    pairs = []
    for k in range(n_pairs):
        started = time.perf_counter()
        envs = []
        for name in ("A", "B"):
            runs_dir = out / f"pair-{k + 1}" / name
            runs_dir.mkdir(parents=True, exist_ok=True)
            envs.append(EnvUnderTest(f"{name}{k + 1}", Path(sys.executable), untimed, runs_dir))
        timed = interleaved_timing(envs, rounds=rounds, child_env=child, log=lambda m: None)
        pairs.append((timed[envs[0].label], timed[envs[1].label]))
        log(f"calibrate: interleaved pair {k + 1}/{n_pairs} timed in "
            f"{time.perf_counter() - started:.0f} s")  # fmt: skip
    return pairs


def evaluate_pair(a: Side, b: Side, *, target: str, inject: float,
                  threshold: float, alpha: float) -> dict[str, Any]:  # fmt: skip
    """A/A verdicts of (a, b), and of (a, b slowed down by ``inject`` on ``target``)."""
    aa = compare_sides(a, b, threshold=threshold, alpha=alpha)
    slowed = inject_slowdown(b, impl=target, factor=1 + inject)
    inj = compare_sides(a, slowed, threshold=threshold, alpha=alpha)
    injected_cases = inj.perf[inj.perf["impl"] == target] if len(inj.perf) else inj.perf
    return {
        "a": a.label, "b": b.label,
        "aa_exit": int(aa.exit_code), "aa_counts": aa.verdict_counts(),
        "aa_cases": len(aa.perf),
        "aa_changes": len(aa.failing_changes),
        "aa_max_ratio": float(aa.perf["ratio"].max()) if len(aa.perf) else None,
        "injected_exit": int(inj.exit_code),
        "injected_cases": len(injected_cases),
        "injected_flagged": int((injected_cases["verdict"] == gate.SLOWER).sum())
        if len(injected_cases) else 0,
    }  # fmt: skip


def summarize_pairs(selected: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Rates over pairs: A/A regressions flagged, inconclusive, and injected detections."""
    n = len(selected)
    cases = sum(p["aa_cases"] for p in selected)
    injected = sum(p["injected_cases"] for p in selected)
    return {
        "pairs": n,
        "aa_pairs_flagging_regression": sum(p["aa_exit"] == ExitCode.PERF_REGRESSION
                                            for p in selected),
        "aa_pairs_inconclusive": sum(p["aa_exit"] == ExitCode.INCONCLUSIVE for p in selected),
        "aa_pairs_with_output_changes": sum(p["aa_changes"] > 0 for p in selected),
        "aa_case_false_positive_rate": (
            sum(p["aa_counts"][gate.SLOWER] for p in selected) / cases if cases else None),
        "aa_case_inconclusive_rate": (
            sum(p["aa_counts"][gate.INCONCLUSIVE] for p in selected) / cases if cases else None),
        "injected_pairs_flagged": sum(p["injected_exit"] == ExitCode.PERF_REGRESSION
                                      for p in selected),
        "injected_case_detection_rate": (
            sum(p["injected_flagged"] for p in selected) / injected if injected else None),
    }  # fmt: skip


def calibrate(
    *,
    runs: Sequence[Path] = (),
    mode: str = "interleaved",
    n_runs: int = 6,
    grid: str = "quick",
    impl: Sequence[str] = ("scipy",),
    processes: int = 3,
    inject: float = 0.20,
    inject_impl: str | None = None,
    threshold: float = gate.DEFAULT_THRESHOLD,
    alpha: float = gate.DEFAULT_ALPHA,
    out: Path = Path("results/calibrate"),
    log=print,
) -> dict[str, Any]:
    """Measure the gate's A/A false-positive rate and its power on this machine.

    Parameters
    ----------
    runs
        Existing runs of one environment (``--from``): every pair of them is evaluated.
    mode
        Without ``runs``: ``"interleaved"`` times ``n_runs`` independent A/A pairs the way
        ``gfbench matrix`` times versions (``processes`` alternating worker rounds per case);
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
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"--out {out}: cannot create it ({exc})") from exc
        if mode == "interleaved":
            paths = _interleaved_pairs(n_runs, grid=grid, impl=impl, rounds=processes, out=out,
                                       log=log)  # fmt: skip
            side_pairs = [tuple(load_sides([a, b])) for a, b in paths]
            disjoint = [True] * len(side_pairs)
        else:
            run_dirs = []
            for index in range(n_runs):
                started = time.perf_counter()
                run_dirs.append(_sweep(out, grid=grid, impl=impl,
                                       extra=["--processes", str(processes)]))  # fmt: skip
                log(f"calibrate: sweep {index + 1}/{n_runs} done in "
                    f"{time.perf_counter() - started:.0f} s: {run_dirs[-1]}")  # fmt: skip
            return calibrate(runs=run_dirs, inject=inject, inject_impl=inject_impl,
                             threshold=threshold, alpha=alpha, log=log) | {
                "mode": "sweeps", "grid": grid, "processes": processes}  # fmt: skip
    impls = sorted(set(side_pairs[0][0].frame["impl"]))
    target = inject_impl or ("scipy" if "scipy" in impls else impls[0])
    if target not in impls:
        raise UsageError(f"--inject-impl {target!r} is not in the runs ({', '.join(impls)})")
    pairs = []
    for (a, b), is_disjoint in zip(side_pairs, disjoint, strict=True):
        entry = evaluate_pair(a, b, target=target, inject=inject, threshold=threshold,
                              alpha=alpha)  # fmt: skip
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


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def render(result: dict[str, Any]) -> str:
    """Per-pair table and the summaries."""
    rows = [[p["a"], p["b"], p["aa_exit"], p["aa_counts"][gate.SLOWER],
             p["aa_counts"][gate.INCONCLUSIVE], p["aa_cases"],
             f"{p['aa_max_ratio']:.3f}" if p["aa_max_ratio"] else "-",
             p["injected_exit"], f"{p['injected_flagged']}/{p['injected_cases']}"]
            for p in result["pairs"]]  # fmt: skip
    lines = [tabulate(rows, headers=["A", "B", "A/A exit", "A/A slower", "A/A inconcl.",
                                     "cases", "A/A max ratio", f"+{result['inject']:.0%} exit",
                                     "+inj flagged"])]  # fmt: skip
    names = ("all_pairs",) if result["mode"] == "interleaved" else ("all_pairs", "disjoint_pairs")
    for name in names:
        s = result[name]
        if not s["pairs"]:
            continue
        lines.append(
            f"\n{name.replace('_', ' ')} ({s['pairs']}, mode {result['mode']}): A/A flagged a "
            f"regression in {s['aa_pairs_flagging_regression']}/{s['pairs']} pairs "
            f"(inconclusive in {s['aa_pairs_inconclusive']}); per case false-positive rate "
            f"{_rate(s['aa_case_false_positive_rate'])}, inconclusive "
            f"{_rate(s['aa_case_inconclusive_rate'])}. +{result['inject']:.0%} on "
            f"{result['inject_impl']} flagged in {s['injected_pairs_flagged']}/{s['pairs']} "
            f"pairs; per case detection {_rate(s['injected_case_detection_rate'])}."
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
        help="A/A pairs (interleaved) or sweeps (sweeps) to run (default 6)",
    )
    parser.add_argument("--grid", default="quick", help="grid of the sweeps (default quick)")
    parser.add_argument(
        "--impl", action="append", default=None, help="implementations to sweep (default scipy)"
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=3,
        help="worker processes per case and side (default 3)",
    )
    parser.add_argument(
        "--inject",
        type=float,
        default=0.20,
        help="slowdown injected for the power check (default 0.20 = 20%%)",
    )
    parser.add_argument(
        "--inject-impl", default=None, help="implementation to slow down (default scipy)"
    )
    parser.add_argument("--threshold", type=float, default=gate.DEFAULT_THRESHOLD)
    parser.add_argument("--alpha", type=float, default=gate.DEFAULT_ALPHA)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("results/calibrate"),
        help="where the sweeps go (default results/calibrate)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")  # fmt: skip


def main(args: argparse.Namespace) -> int:
    log = (lambda m: print(m, file=sys.stderr)) if args.json else print
    result = calibrate(
        runs=args.runs, mode=args.mode, n_runs=args.n_runs, grid=args.grid,
        impl=args.impl or ["scipy"],
        processes=args.processes, inject=args.inject, inject_impl=args.inject_impl,
        threshold=args.threshold, alpha=args.alpha, out=args.out, log=log,
    )  # fmt: skip
    print(json.dumps(result, indent=1) if args.json else render(result))
    return int(ExitCode.OK)
