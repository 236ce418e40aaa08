"""Does compare's drift correction bring A/A ratios closer to 1? Measured on sweeps over time.

Runs ``--sweeps`` timed sweeps of the same code (the quick grid's SciPy cases by default),
``--gap-s`` seconds apart, then for every pair of consecutive sweeps (an A/A pair across time)
and every case: the raw ratio (geometric mean of B's worker minima over A's) and the corrected
one (each worker's minimum divided by the reference-workload time that worker measured,
``ref_ns``: what ``gfbench compare`` did for runs that were not interleaved). Prints, per pair,
the reference drift, the median |log ratio| and the share of cases within 10% of 1, raw and
corrected, and the spread of the reference times between workers.

Usage (about 1 minute per sweep on 2 cores; the issue-24 figures in docs/measurements.md):
    OMP_NUM_THREADS=1 python scripts/measure_drift.py --sweeps 4 --gap-s 60 --out results/drift
    python scripts/measure_drift.py --reuse results/drift           # re-analyse existing runs
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _header import load, print_header


def sweep(out: Path, grid: str, impl: str) -> Path:
    before = set(out.glob("*/run.json"))
    cmd = [sys.executable, "-m", "bench", "sweep", "--grid", grid, "--impl", impl, "--out",
           str(out)]  # fmt: skip
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    (new,) = set(out.glob("*/run.json")) - before
    return new.parent


def per_case(run: Path) -> dict[str, tuple[list[float], list[float] | None]]:
    """{case_id: (worker minima, worker reference times or None)} of one timed run."""
    from bench.guard.compare.timing import side_units
    from bench.store import load as load_run

    frame = load_run(run)
    frame = frame[frame["status"] == "ok"]
    out = {}
    for row in frame.to_dict("records"):
        t = side_units([row])
        if len(t.minima) >= 2:
            out[row["case_id"]] = (list(t.minima), list(t.refs) if t.refs else None)
    return out


def _gmean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def _median(values: list[float]) -> float:
    s = sorted(values)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def analyse_pair(a: Path, b: Path) -> dict:
    ca, cb = per_case(a), per_case(b)
    common = sorted(set(ca) & set(cb))
    raw, corrected, refs_a, refs_b = [], [], [], []
    for cid in common:
        (ma, ra), (mb, rb) = ca[cid], cb[cid]
        raw.append(_gmean(mb) / _gmean(ma))
        if ra is None or rb is None:
            continue  # a run without reference times (older than the reference workload)
        corrected.append(_gmean([m / r for m, r in zip(mb, rb, strict=True)])
                         / _gmean([m / r for m, r in zip(ma, ra, strict=True)]))  # fmt: skip
        refs_a.extend(ra)
        refs_b.extend(rb)
    # a worker's reference time repeats in every row of that worker: keep distinct values
    ua, ub = sorted(set(refs_a)), sorted(set(refs_b))

    def summary(ratios: list[float]) -> dict | None:
        if not ratios:
            return None
        logs = [abs(math.log(r)) for r in ratios]
        return {
            "median_abs_log": round(_median(logs), 4),
            "within_10pct": round(sum(x <= math.log(1.1) for x in logs) / len(logs), 3),
            "gmean": round(_gmean(ratios), 3),
            "min": round(min(ratios), 3),
            "max": round(max(ratios), 3),
        }

    return {
        "a": a.name,
        "b": b.name,
        "cases": len(common),
        "reference_drift": round(_gmean(ub) / _gmean(ua), 3) if ua and ub else None,
        "ref_us_a": [round(r / 1e3) for r in ua],
        "ref_us_b": [round(r / 1e3) for r in ub],
        "raw": summary(raw),
        "corrected": summary(corrected),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweeps", type=int, default=4)
    parser.add_argument("--gap-s", type=float, default=60.0)
    parser.add_argument("--grid", default="quick")
    parser.add_argument("--impl", default="scipy")
    parser.add_argument("--out", type=Path, default=Path("results/drift"))
    parser.add_argument("--reuse", type=Path, help="analyse the runs already in this folder")
    args = parser.parse_args()
    print_header()
    if args.reuse:
        runs = sorted(p.parent for p in args.reuse.glob("*/run.json"))
    else:
        args.out.mkdir(parents=True, exist_ok=True)
        runs = []
        for i in range(args.sweeps):
            if i:
                time.sleep(args.gap_s)
            runs.append(sweep(args.out, args.grid, args.impl))
            print(f"# sweep {i + 1}/{args.sweeps}: {runs[-1]} (load {load()})", flush=True)
    pairs = [analyse_pair(a, b) for a, b in itertools.pairwise(runs)]
    print(json.dumps(pairs, indent=1))
    closer = sum(
        p["corrected"] is not None and p["corrected"]["median_abs_log"] < p["raw"]["median_abs_log"]
        for p in pairs
    )
    print(f"# corrected closer to 1 than raw (median |log ratio|) in {closer} of {len(pairs)} "
          "pairs")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
