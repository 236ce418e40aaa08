"""Measure the whole-call instruction gate on this machine (docs/instructions.md's figures).

Counts the guard grid's SciPy cases with ``bench.sweep.callcount`` -- the counter ``gfbench
matrix --metric instructions`` runs in each environment -- once per ``--side``, each count in
fresh valgrind processes: ``A`` (the installed SciPy), ``A+hog`` (the same, with a CPU-bound
process running beside it), or a planted variant of ``tests/scipy_variants.py`` through
``GFBENCH_SCIPY_PATCH`` (``python_work_30pct``: a Python loop; ``extra_work_5pct``: 5% more
native filtering). Every count is appended to ``--out`` (JSON lines) as it finishes, so the
counts of an interrupted run are kept; ``--replay`` then pairs them and runs every pair through
the gate (``bench.guard.compare.instructions``, 1% threshold): A/A pairs are every two A
counts, planted pairs every (A, plant) pair.

    PYTHONPATH=.:tests python tests/callcount_calibration.py --side A --side A+hog \\
        --side python_work_30pct --side extra_work_5pct --out counts.jsonl
    PYTHONPATH=.:tests python tests/callcount_calibration.py --replay counts.jsonl
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from bench.guard.compare.instructions import compare_instructions
from bench.guard.stats import verdicts as gate
from bench.sweep.callcount import CallCount, count_call_instructions
from bench.sweep.grid import load_grid

TESTS_DIR = Path(__file__).resolve().parent
HOG = "while True: pass"


def _cases():
    return [c for c in load_grid("guard").cases if c.impl == "scipy"]


def count_side(side: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "GFBENCH_SCIPY_PATCH"}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    if side not in ("A", "A+hog"):
        env["GFBENCH_SCIPY_PATCH"] = f"scipy_variants:{side}"
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS_DIR), env.get("PYTHONPATH")]))
    hog = subprocess.Popen([sys.executable, "-c", HOG]) if side == "A+hog" else None
    started, load = time.perf_counter(), os.getloadavg()
    try:
        counts = count_call_instructions(_cases(), env=env)
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()
    return {
        "side": side,
        "seconds": round(time.perf_counter() - started, 1),
        "load_start": load,
        "load_end": os.getloadavg(),
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "counts": {k: [v.call, v.entry] if isinstance(v, CallCount) else v
                   for k, v in counts.items()},
    }  # fmt: skip


def _frame(record: dict) -> pd.DataFrame:
    by_id = {c.case_id: c for c in _cases()}
    rows = []
    for cid, value in record["counts"].items():
        case = by_id[cid]
        rows.append({**case.params(), "case_id": cid, "status": "ok", "family": case.family,
                     "instructions": value[0], "instructions_entry": value[1]})  # fmt: skip
    return pd.DataFrame(rows)


def replay(path: Path) -> dict:
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    base = [r for r in records if r["side"] in ("A", "A+hog")]
    out: dict = {"counts": [(r["side"], r["seconds"], r["load_start"][0]) for r in records]}
    pairs = list(itertools.combinations(range(len(base)), 2))
    flagged, worst = 0, 0.0
    for i, j in pairs:
        result = compare_instructions(_frame(base[i]), _frame(base[j]))
        flagged += int((result["verdict"] != gate.SAME).sum())
        worst = max(worst, float((result["ratio"] - 1).abs().max()))
    out["A/A"] = {"pairs": len(pairs), "cases_flagged": flagged, "largest_difference": worst}
    for side in sorted({r["side"] for r in records} - {"A", "A+hog"}):
        planted = [r for r in records if r["side"] == side]
        sessions = flagged_all = 0
        ratios, entry_ratios = [], []
        for a, b in itertools.product(base, planted):
            result = compare_instructions(_frame(a), _frame(b))
            sessions += 1
            flagged_all += int((result["verdict"] == gate.SLOWER).all())
            ratios += list(result["ratio"])
            entry_ratios += list(result["entry_ratio"])
        out[side] = {
            "pairs": sessions,
            "pairs_with_every_case_slower": flagged_all,
            "ratio_range": [min(ratios), max(ratios)],
            "native_core_ratio_range": [min(entry_ratios), max(entry_ratios)],
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", action="append", default=[])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--replay", type=Path)
    args = parser.parse_args()
    if args.replay:
        print(json.dumps(replay(args.replay), indent=1))
        return 0
    for side in args.side:
        record = count_side(side)
        with args.out.open("a") as fh:
            fh.write(json.dumps(record) + "\n")
        print(f"{side}: {record['seconds']} s, load {record['load_start'][0]:.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
