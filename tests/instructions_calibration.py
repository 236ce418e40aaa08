"""Measure the instruction gate's error rates on this machine (the README's figures).

Counts the guard grid's SciPy cases ``--pairs`` times with the installed SciPy (A) and
``--pairs`` times with 5% extra work planted (B, ``scipy_variants:extra_work_5pct`` through
``GFBENCH_SCIPY_PATCH``), every count in its own fresh valgrind process, two processes at a
time. Pair i is (A_i, B_i) for the plant and (A_i, A_i+1) for A/A; each pair goes through the
gate (``bench.guard.compare.instructions``) at its default 1% threshold.

    PYTHONPATH=.:tests python tests/instructions_calibration.py --pairs 20 --json out.json

Prints, per side, the largest A/A difference over every case and the flagged counts.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import sys
import time
from pathlib import Path

import pandas as pd

from bench.guard.compare.instructions import compare_instructions
from bench.guard.stats import verdicts as gate
from bench.sweep.grid import load_grid
from bench.sweep.instructions import count_instructions

PLANT = "scipy_variants:extra_work_5pct"
TESTS_DIR = Path(__file__).resolve().parent


def _count(cases, patch: str | None) -> dict[str, float | str]:
    env = {k: v for k, v in os.environ.items() if k != "GFBENCH_SCIPY_PATCH"}
    if patch:
        env["GFBENCH_SCIPY_PATCH"] = patch
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS_DIR), env.get("PYTHONPATH")]))
    return count_instructions(cases, env=env, processes=1)


def _frame(cases, counts) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                **c.params(),
                "case_id": c.case_id,
                "status": "ok",
                "family": c.family,
                "instructions": counts[c.case_id],
            }
            for c in cases
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    cases = [c for c in load_grid("guard").cases if c.impl == "scipy"]
    t0 = time.perf_counter()
    jobs = [None] * (args.pairs + 1) + [PLANT] * args.pairs  # A_0..A_pairs, B_1..B_pairs
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        counted = list(pool.map(lambda patch: _count(cases, patch), jobs))
    wall = time.perf_counter() - t0
    a_runs, b_runs = counted[: args.pairs + 1], counted[args.pairs + 1 :]
    for run in counted:
        bad = [v for v in run.values() if not isinstance(v, float)]
        if bad:
            raise SystemExit(f"a count failed: {bad[0]}")
    frames_a = [_frame(cases, run) for run in a_runs]
    frames_b = [_frame(cases, run) for run in b_runs]
    aa = [compare_instructions(frames_a[i], frames_a[i + 1]) for i in range(args.pairs)]
    planted = [compare_instructions(frames_a[i], frames_b[i]) for i in range(args.pairs)]
    aa_max = max(float((f["ratio"] - 1).abs().max()) for f in aa)
    result = {
        "cases": len(cases),
        "pairs": args.pairs,
        "aa_pairs_with_a_flag": sum(bool((f["verdict"] != gate.SAME).any()) for f in aa),
        "aa_max_abs_difference": aa_max,
        "planted_pairs_flagged": sum(bool((f["verdict"] == gate.SLOWER).any()) for f in planted),
        "planted_cases_flagged": sum(int((f["verdict"] == gate.SLOWER).sum()) for f in planted),
        "planted_cases_total": sum(len(f) for f in planted),
        "planted_ratio_min": min(float(f["ratio"].min()) for f in planted),
        "planted_ratio_max": max(float(f["ratio"].max()) for f in planted),
        "valgrind_processes": len(jobs),
        "wall_seconds": round(wall, 1),
        "load_average_end": list(os.getloadavg()),
    }
    print(json.dumps(result, indent=2))
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
