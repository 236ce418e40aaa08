"""Plots for ``gfbench compare``: time per version (side), one figure per case family."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")  # no display on CI machines; must precede pyplot
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from bench.guard.compare.sides import Side


def family_times(sides: Sequence[Side]) -> pd.DataFrame:
    """Geometric-mean best time (ms) per side x family x impl x dtype.

    Only cases timed OK on every side enter, so each line compares like with like.
    """
    frames = []
    for side in sides:
        if side.frame is None or "min_ns" not in side.frame:
            continue
        ok = side.frame[(side.frame["status"] == "ok") & side.frame["min_ns"].notna()]
        best = ok.groupby("case_id").agg(
            min_ns=("min_ns", "min"),
            family=("family", "first"),
            impl=("impl", "first"),
            dtype=("dtype", "first"),
        )
        frames.append(best.assign(side=side.label))
    if len(frames) < 2:
        return pd.DataFrame(columns=["side", "family", "impl", "dtype", "ms", "cases"])
    common = set.intersection(*(set(f.index) for f in frames))
    rows = pd.concat([f.loc[sorted(common)] for f in frames])
    rows["log_ms"] = np.log(rows["min_ns"].astype(float) / 1e6)
    out = (
        rows.groupby(["side", "family", "impl", "dtype"], sort=False)
        .agg(log_ms=("log_ms", "mean"), cases=("log_ms", "size"))
        .reset_index()
    )
    out["ms"] = np.exp(out.pop("log_ms"))
    return out


def plot_time_per_version(sides: Sequence[Side], out_dir: Path) -> list[Path]:
    """Write ``time_<family>.png`` per family; returns the paths written."""
    table = family_times(sides)
    written: list[Path] = []
    order = [s.label for s in sides]
    for family, sub in table.groupby("family"):
        fig, ax = plt.subplots(figsize=(max(4.0, 1.6 * len(order)), 4.0))
        for (impl, dtype), series in sub.groupby(["impl", "dtype"]):
            series = series.set_index("side").reindex(order)
            ax.plot(
                range(len(order)),
                series["ms"],
                marker="o",
                label=f"{impl} {dtype} ({int(series['cases'].max())} cases)",
            )
        ax.set_xticks(range(len(order)), order, rotation=20, ha="right")
        ax.set_yscale("log")
        ax.set_ylabel("best time, geometric mean over cases (ms)")
        ax.set_title(f"family {family}: time per version")
        ax.grid(True, which="both", alpha=0.3)
        n_series = sub.groupby(["impl", "dtype"]).ngroups
        ax.legend(fontsize=7, ncol=max(1, math.ceil(n_series / 10)), loc="best")
        fig.tight_layout()
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", str(family))
        path = out_dir / f"time_{safe}.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)
    return written
