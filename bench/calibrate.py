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
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tabulate import tabulate

from bench import compare, gate
from bench.exitcodes import ExitCode, UsageError


def inject_slowdown(side: compare.Side, *, impl: str, factor: float) -> compare.Side:
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
    return compare.Side(label=f"{side.label}+{factor - 1:.0%}", path=side.path, frame=frame,
                        metas=side.metas, verify=None, env=side.env)  # fmt: skip


def _sweep(out: Path, *, grid: str, impl: Sequence[str], processes: int) -> Path:
    before = {p for p in out.iterdir()} if out.exists() else set()
    cmd = [sys.executable, "-m", "bench", "sweep", "--grid", grid, "--out", str(out),
           "--processes", str(processes), "--no-progress"]  # fmt: skip
    for name in impl:
        cmd += ["--impl", name]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"gfbench sweep exited {proc.returncode}: {proc.stderr[-1500:]}")
    new = [p for p in out.iterdir() if p not in before and (p / "run.json").is_file()]
    if len(new) != 1:
        raise RuntimeError(f"expected one new run in {out}, found {len(new)}")
    return new[0]


def calibrate(
    *,
    runs: Sequence[Path] = (),
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
    """Run (or take) repeated sweeps of one environment and measure the gate on every pair.

    Returns
    -------
    dict
        ``pairs`` (one entry per pair), ``aa`` and ``injected`` summaries, the settings.
    """
    gate.validate_gate_options(threshold, alpha)
    if not 0 < inject < 10:
        raise UsageError(f"--inject must be a fraction in (0, 10), e.g. 0.2; got {inject}")
    if runs:
        run_dirs = [Path(r) for r in runs]
        if len(run_dirs) < 2:
            raise UsageError("--from needs at least two runs of the same environment")
    else:
        if n_runs < 2:
            raise UsageError(f"--runs must be >= 2, got {n_runs}")
        if processes < 2:
            raise UsageError(
                f"--processes must be >= 2 (the gate's unit is a process), got {processes}"
            )
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"--out {out}: cannot create it ({exc})") from exc
        run_dirs = []
        for index in range(n_runs):
            started = time.perf_counter()
            run_dirs.append(_sweep(out, grid=grid, impl=impl, processes=processes))
            log(f"calibrate: sweep {index + 1}/{n_runs} done in "
                f"{time.perf_counter() - started:.0f} s: {run_dirs[-1]}")  # fmt: skip
    sides = compare.load_sides(run_dirs)
    impls = sorted(set(sides[0].frame["impl"]))
    target = inject_impl or ("scipy" if "scipy" in impls else impls[0])
    if target not in impls:
        raise UsageError(f"--inject-impl {target!r} is not in the runs ({', '.join(impls)})")
    pairs = []
    disjoint = {(i, i + 1) for i in range(0, len(sides) - 1, 2)}
    for i, j in itertools.combinations(range(len(sides)), 2):
        a, b = sides[i], sides[j]
        aa = compare.compare_sides(a, b, threshold=threshold, alpha=alpha)
        slowed = inject_slowdown(b, impl=target, factor=1 + inject)
        inj = compare.compare_sides(a, slowed, threshold=threshold, alpha=alpha)
        injected_cases = inj.perf[inj.perf["impl"] == target]
        pairs.append({
            "a": a.label, "b": b.label, "disjoint": (i, j) in disjoint,
            "aa_exit": int(aa.exit_code), "aa_counts": aa.verdict_counts(),
            "aa_cases": len(aa.perf),
            "aa_max_ratio": float(aa.perf["ratio"].max()) if len(aa.perf) else None,
            "injected_exit": int(inj.exit_code),
            "injected_cases": len(injected_cases),
            "injected_flagged": int((injected_cases["verdict"] == gate.SLOWER).sum()),
        })  # fmt: skip

    def summary(selected: list[dict]) -> dict[str, Any]:
        n = len(selected)
        cases = sum(p["aa_cases"] for p in selected)
        return {
            "pairs": n,
            "aa_pairs_flagging_regression": sum(p["aa_exit"] == ExitCode.PERF_REGRESSION
                                                for p in selected),
            "aa_pairs_inconclusive": sum(p["aa_exit"] == ExitCode.INCONCLUSIVE for p in selected),
            "aa_case_false_positive_rate": (
                sum(p["aa_counts"][gate.SLOWER] for p in selected) / cases if cases else None),
            "aa_case_inconclusive_rate": (
                sum(p["aa_counts"][gate.INCONCLUSIVE] for p in selected) / cases
                if cases else None),
            "injected_pairs_flagged": sum(p["injected_exit"] == ExitCode.PERF_REGRESSION
                                          for p in selected),
            "injected_case_detection_rate": (
                sum(p["injected_flagged"] for p in selected)
                / max(1, sum(p["injected_cases"] for p in selected))),
        }  # fmt: skip

    return {
        "runs": [str(r) for r in run_dirs],
        "grid": grid if not runs else None,
        "processes": processes if not runs else None,
        "threshold": threshold,
        "alpha": alpha,
        "inject": inject,
        "inject_impl": target,
        "pairs": pairs,
        "all_pairs": summary(pairs),
        "disjoint_pairs": summary([p for p in pairs if p["disjoint"]]),
    }


def render(result: dict[str, Any]) -> str:
    """Per-pair table and the two summaries."""
    rows = [[p["a"], p["b"], p["aa_exit"], p["aa_counts"][gate.SLOWER],
             p["aa_counts"][gate.INCONCLUSIVE], p["aa_cases"],
             f"{p['aa_max_ratio']:.3f}" if p["aa_max_ratio"] else "-",
             p["injected_exit"], f"{p['injected_flagged']}/{p['injected_cases']}"]
            for p in result["pairs"]]  # fmt: skip
    lines = [tabulate(rows, headers=["A", "B", "A/A exit", "A/A slower", "A/A inconcl.",
                                     "cases", "A/A max ratio", f"+{result['inject']:.0%} exit",
                                     "+inj flagged"])]  # fmt: skip
    for name in ("all_pairs", "disjoint_pairs"):
        s = result[name]
        if not s["pairs"]:
            continue
        lines.append(
            f"\n{name.replace('_', ' ')} ({s['pairs']}): A/A flagged a regression in "
            f"{s['aa_pairs_flagging_regression']}/{s['pairs']} pairs (inconclusive in "
            f"{s['aa_pairs_inconclusive']}); per case false-positive rate "
            f"{s['aa_case_false_positive_rate']:.4f}, inconclusive "
            f"{s['aa_case_inconclusive_rate']:.4f}. +{result['inject']:.0%} on "
            f"{result['inject_impl']} flagged in {s['injected_pairs_flagged']}/{s['pairs']} "
            f"pairs; per case detection {s['injected_case_detection_rate']:.3f}."
        )
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
        "--runs",
        dest="n_runs",
        type=int,
        default=6,
        help="sweeps to run when --from is not given (default 6)",
    )
    parser.add_argument("--grid", default="quick", help="grid of the sweeps (default quick)")
    parser.add_argument(
        "--impl", action="append", default=None, help="implementations to sweep (default scipy)"
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=3,
        help="worker processes per case in each sweep (default 3)",
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
        runs=args.runs, n_runs=args.n_runs, grid=args.grid, impl=args.impl or ["scipy"],
        processes=args.processes, inject=args.inject, inject_impl=args.inject_impl,
        threshold=args.threshold, alpha=args.alpha, out=args.out, log=log,
    )  # fmt: skip
    print(json.dumps(result, indent=1) if args.json else render(result))
    return int(ExitCode.OK)
