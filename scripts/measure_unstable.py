"""How many timed rows does a sweep flag unstable, and why? (issue 24, finding 4)

Counts the timed rows of run folders (or of a fresh sweep) flagged ``unstable``, by reason:
short samples (and how short: the shortest sample over the calibration target), worker minima
that vary, or both. The target: at most 10% of timed rows on a quiet machine.

Usage:
    OMP_NUM_THREADS=1 python scripts/measure_unstable.py --sweep --grid quick   # ~2-3 min quiet
    python scripts/measure_unstable.py results/<run-id> [results/<run-id> ...]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _header import load, print_header


def summary(run: Path) -> str:
    from bench.store import load as load_run

    frame = load_run(run)
    timed = frame[(frame["status"] == "ok") & frame["min_ns"].notna()]
    flagged = timed[timed["unstable"].fillna(False).astype(bool)]
    reasons: Counter[str] = Counter()
    for text in flagged["unstable_reason"].fillna(""):
        kinds = []
        if "samples last" in text:
            kinds.append("short samples")
        if "vary" in text or "stdev" in text:
            kinds.append("spread")
        reasons[" + ".join(kinds) or "other"] += 1
    shortest = (timed["min_ns"] * timed["loops"] / 1e6).astype(float)
    share = len(flagged) / max(1, len(timed))
    return (
        f"{run.name}: {len(flagged)} of {len(timed)} timed rows unstable ({share:.1%}); "
        f"by reason {dict(reasons)}; shortest sample per row (ms): min {shortest.min():.3f}, "
        f"median {shortest.median():.3f}; {int((shortest < 1.0).sum())} rows under 1 ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="*", type=Path)
    parser.add_argument("--sweep", action="store_true", help="run a timed sweep first")
    parser.add_argument("--grid", default="quick")
    parser.add_argument("--impl", default=None)
    parser.add_argument("--out", type=Path, default=Path("results"))
    args = parser.parse_args()
    print_header()
    runs = list(args.runs)
    if args.sweep:
        args.out.mkdir(exist_ok=True)
        before = set(args.out.glob("*/run.json"))
        cmd = [sys.executable, "-m", "bench", "sweep", "--grid", args.grid, "--out", str(args.out),
               "--no-progress"] + (["--impl", args.impl] if args.impl else [])  # fmt: skip
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        (new,) = set(args.out.glob("*/run.json")) - before
        runs.append(new.parent)
        print(f"# swept {new.parent} (load after: {load()})")
    for run in runs:
        print(summary(run))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
