"""How much an A/B session's units move, and how much of it the pairing by round cancels.

For two timed runs of one session (``<matrix>/<env>/runs/*-interleaved``), per case: the
rounds, each side's spread of per-round units (sd of the log of a round's minimum), the
correlation of A's and B's units over the rounds (r), and the spread of the per-round log
ratio, sd(d). A neighbour that loads both sides alike shows as a high r and an sd(d) well below
the sides' spread; the last line gives the medians over the cases.

Usage:
    python scripts/unit_spread.py <matrix-folder>            # its first two interleaved runs
    python scripts/unit_spread.py <run-a> <run-b>
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
from _header import print_header
from tabulate import tabulate

from bench import store
from bench.guard.compare.timing import side_units


def units(run: Path) -> dict[str, tuple[str, np.ndarray]]:
    """case_id -> (label, log of its per-round minima) of the run's timed cases."""
    out = {}
    for row in store.load(run).to_dict("records"):
        if row.get("status") != "ok":
            continue
        minima = side_units([row]).minima
        if len(minima) >= 2:
            shape = "x".join(str(n) for n in row["shape"])
            out[row["case_id"]] = (f"{row['dtype']} {shape} {row['mode']}", np.log(minima))
    return out


def spread(a: Path, b: Path) -> list[dict[str, object]]:
    """One record per case timed in both runs, for rounds both sides received."""
    got_a, got_b = units(a), units(b)
    records = []
    for cid in sorted(set(got_a) & set(got_b)):
        label, ua = got_a[cid]
        ub = got_b[cid][1]
        n = min(ua.size, ub.size)
        ua, ub = ua[:n], ub[:n]
        d = ub - ua
        r = float(np.corrcoef(ua, ub)[0, 1]) if n > 2 and ua.std() and ub.std() else math.nan
        records.append({
            "case": label, "rounds": n, "ratio": math.exp(d.mean()),
            "log_sd_a": float(ua.std(ddof=1)), "log_sd_b": float(ub.std(ddof=1)),
            "r": r, "sd_d": float(d.std(ddof=1)),
        })  # fmt: skip
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path, help="a matrix folder, or two runs")
    args = parser.parse_args(argv)
    if len(args.folders) == 1:
        runs = sorted(args.folders[0].glob("*/runs/*-interleaved"))[:2]
    else:
        runs = list(args.folders)
    if len(runs) != 2:
        parser.error(
            f"folders: need one matrix folder with two interleaved runs, or two runs; got {runs}"
        )
    print_header()
    records = spread(*runs)
    if not records:
        print("no case has 2 or more rounds on both sides")
        return 1
    print(tabulate(records, headers="keys", floatfmt=".3f"))
    medians = {k: float(np.nanmedian([rec[k] for rec in records]))
               for k in ("log_sd_a", "log_sd_b", "r", "sd_d")}  # fmt: skip
    print("median over the cases: " + ", ".join(f"{k} {v:.3f}" for k, v in medians.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
