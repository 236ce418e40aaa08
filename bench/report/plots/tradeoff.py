"""Speed against accuracy: each implementation's speedup over SciPy against its worst error,
with the Pareto front and the error budget."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from bench.report import frames
from bench.report.model import Figure, Paragraph
from bench.report.plots.canvas import impl_colours, log_or_symlog, panels, save, tidy
from bench.report.plots.slices import order0


def pareto(
    frame: pd.DataFrame, out_dir: Path, *, budget_grey_levels: float, budget_abs: float
) -> Figure | Paragraph:
    """Speed against accuracy per dtype: speedup vs SciPy (same dtype, same cases) against the
    worst error, with the Pareto front and the error budget."""
    rows = order0(frames.timed_rows(frame))
    rows = rows[rows["max_abs_error"].notna() & ~frames.output_dtype_differs(rows)].copy()
    if rows.empty:
        return Paragraph("No rows carry both timing and accuracy: no Pareto chart.", "missing")
    rows["error"] = [frames.error_in_output_units(r) for _, r in rows.iterrows()]
    scipy_ns = rows[rows["impl"] == "scipy"].groupby(["dtype", "case_key"])["median_ns"].median()
    keys = list(zip(rows["dtype"], rows["case_key"], strict=True))
    rows["speedup"] = [scipy_ns.get(key, math.nan) for key in keys] / rows["median_ns"]
    rows = rows[rows["speedup"].notna()]
    if rows.empty:
        return Paragraph("No case was run by SciPy and a peer alike: no Pareto chart.", "missing")
    dtypes = frames.dtype_order(rows["dtype"].unique())
    colours = impl_colours(frame["impl"].dropna().unique())
    figure, axes = panels(len(dtypes))
    for ax, dtype in zip(axes, dtypes, strict=True):
        per_impl = (
            rows[rows["dtype"] == dtype]
            .groupby("impl")
            .agg(
                speedup=("speedup", lambda s: float(np.exp(np.log(s).mean()))),
                error=("error", "max"),
            )
        )
        for impl, point in per_impl.iterrows():
            ax.scatter(point["speedup"], point["error"], color=colours[impl], s=40, label=impl)
        front = pareto_front(per_impl)
        ax.plot(front["speedup"], front["error"], "k:", linewidth=1)
        integer = frames.is_integer_dtype(dtype)
        budget = budget_grey_levels if integer else budget_abs
        ax.axhline(budget, color="r", linestyle="--", linewidth=1, label=f"budget {budget:g}")
        unit = "grey levels" if integer else "abs"
        ax.set(
            xscale="log",
            title=dtype,
            xlabel="speedup vs SciPy (geo. mean)",
            ylabel=f"max error ({unit})",
        )
        log_or_symlog(ax, [*per_impl["error"].tolist(), budget])
        tidy(ax)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    path = save(figure, out_dir, "pareto.png")
    return Figure(
        "Speed vs accuracy",
        path,
        "Each point is one implementation: geometric-mean speedup over SciPy on the cases both "
        "ran, against its worst error. The dotted line joins the Pareto front (no other point is "
        "both faster and more accurate); the red line is the error budget.",
    )


def pareto_front(points: pd.DataFrame) -> pd.DataFrame:
    """The points no other point beats on both ``speedup`` (higher) and ``error`` (lower)."""
    ordered = points.sort_values(["speedup", "error"], ascending=[False, True])
    front = []
    best_error = math.inf
    for impl, point in ordered.iterrows():
        if point["error"] < best_error:
            front.append(impl)
            best_error = point["error"]
    return points.loc[front].sort_values("speedup")
