"""Accuracy plots: error against sigma, integer error histograms with the uint8 bias, and
border against interior error per mode."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from bench.report import frames
from bench.report.model import Figure, Paragraph
from bench.report.plots.canvas import impl_colours, log_or_symlog, panels, save, sigma_ticks, tidy
from bench.report.plots.slices import dtypes_varying, order0


def error_vs_sigma(frame: pd.DataFrame, out_dir: Path) -> Figure | Paragraph:
    """Worst error against sigma, per dtype (panel) and implementation (line)."""
    rows = order0(frames.accuracy_rows(frame)).copy()
    rows = rows[rows["sigma_value"].notna()]
    if rows.empty:
        return Paragraph(
            "No rows carry an accuracy measurement: no error-vs-sigma plot.", "missing"
        )
    rows["error"] = [frames.error_in_output_units(r) for _, r in rows.iterrows()]
    dtypes = frames.dtype_order(rows["dtype"].unique())
    colours = impl_colours(frame["impl"].dropna().unique())
    figure, axes = panels(len(dtypes))
    for ax, dtype in zip(axes, dtypes, strict=True):
        subset = rows[rows["dtype"] == dtype]
        for impl, group in subset.groupby("impl"):
            line = group.groupby("sigma_value")["error"].max().sort_index()
            ax.plot(line.index, line.values, "o-", color=colours[impl], label=impl)
        unit = "grey levels" if frames.is_integer_dtype(dtype) else "abs"
        ax.set(xscale="log", title=dtype, xlabel="sigma", ylabel=f"max error ({unit})")
        log_or_symlog(ax, subset["error"].tolist())
        tidy(ax)
        sigma_ticks(ax, subset["sigma_value"])
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    path = save(figure, out_dir, "error_vs_sigma.png")
    return Figure(
        "Error vs sigma",
        path,
        "Worst error against the oracle over each sigma's cases (order 0): grey levels for "
        "integer outputs, absolute error on 0..255 data for float outputs. Rows whose output "
        "has another dtype than asked for are left out.",
    )


def integer_histograms(
    errors: Mapping[str, np.ndarray], frame: pd.DataFrame, out_dir: Path, description: str
) -> Figure | Paragraph:
    """Per-pixel error histograms of integer outputs, next to the run's uint8 bias per impl.

    ``errors`` maps a label ("SciPy uint8", ...) to per-pixel signed errors in grey levels,
    computed by the caller at render time.
    """
    if not errors:
        return Paragraph("No integer error samples could be computed.", "missing")
    figure, (left, right) = panels(2, width=5.5, height=3.8)
    lowest = min(float(np.min(e)) for e in errors.values())
    highest = max(float(np.max(e)) for e in errors.values())
    bins = np.arange(math.floor(lowest) - 0.125, math.ceil(highest) + 0.25, 0.25)
    for label, values in errors.items():
        values = np.ravel(values)  # one dataset per label, not one per image column
        left.hist(
            values,
            bins=bins,
            histtype="step",
            linewidth=1.5,
            label=f"{label} (mean {np.mean(values):+.3g})",
        )
    left.set(xlabel="output - ideal (grey levels)", ylabel="pixels", title="per-pixel error")
    left.legend(fontsize=7)
    rows = order0(frames.accuracy_rows(frame))
    rows = rows[(rows["dtype"] == "uint8") & rows["bias"].notna()]
    if rows.empty:
        right.text(0.5, 0.5, "no uint8 rows with a bias in this run", ha="center", va="center")
        right.set_axis_off()
    else:
        stats = rows.groupby("impl")["bias"].agg(["mean", "min", "max"]).sort_index()
        positions = np.arange(len(stats))
        right.bar(positions, stats["mean"], color="0.6")
        right.errorbar(
            positions,
            stats["mean"],
            yerr=[stats["mean"] - stats["min"], stats["max"] - stats["mean"]],
            fmt="none",
            ecolor="k",
            capsize=4,
        )
        right.axhline(0, color="k", linewidth=0.8)
        right.set_xticks(positions, stats.index, rotation=30, ha="right")
        right.set(ylabel="bias (grey levels)", title="this run: uint8 bias (mean, min-max)")
    path = save(figure, out_dir, "integer_errors.png")
    return Figure("Integer bias and error histograms", path, description)


def border_vs_interior(frame: pd.DataFrame, out_dir: Path) -> Figure | Paragraph:
    """Interior and border max error per mode, per dtype (panel) and implementation."""
    rows = order0(frames.accuracy_rows(frame)).copy()
    for column in ("interior_max_abs_error", "border_max_abs_error"):
        rows[column] = pd.to_numeric(rows[column], errors="coerce")
    rows = rows[rows["interior_max_abs_error"].notna() & rows["border_max_abs_error"].notna()]
    rows = rows[~frames.output_dtype_differs(rows)]
    rows["mode"] = rows["mode"].fillna("(none)")
    dtypes = dtypes_varying(rows, "mode") if len(rows) else []
    if not dtypes:
        return Paragraph(
            "No dtype has rows with a border/interior error split in two or more modes.",
            "missing",
        )
    colours = impl_colours(frame["impl"].dropna().unique())
    figure, axes = panels(len(dtypes))
    for ax, dtype in zip(axes, dtypes, strict=True):
        subset = rows[rows["dtype"] == dtype]
        modes = sorted(subset["mode"].unique())
        impls = sorted(subset["impl"].unique())
        width = 0.8 / max(len(impls), 1)
        for i, impl in enumerate(impls):
            worst = (
                subset[subset["impl"] == impl]
                .groupby("mode")[["interior_max_abs_error", "border_max_abs_error"]]
                .max()
            )
            x = np.array([modes.index(m) for m in worst.index]) - 0.4 + (i + 0.5) * width
            ax.scatter(
                x,
                worst["interior_max_abs_error"],
                marker="o",
                color=colours[impl],
                label=f"{impl} interior",
            )
            ax.scatter(
                x,
                worst["border_max_abs_error"],
                marker="x",
                color=colours[impl],
                label=f"{impl} border",
            )
        ax.set_xticks(range(len(modes)), modes, rotation=40, ha="right", fontsize=7)
        ax.set(title=dtype, ylabel="max abs error")
        log_or_symlog(
            ax,
            subset["interior_max_abs_error"].tolist() + subset["border_max_abs_error"].tolist(),
        )
        ax.grid(True, axis="y", alpha=0.3)
        ax.legend(fontsize=6)
    path = save(figure, out_dir, "border_vs_interior.png")
    return Figure(
        "Border vs interior error",
        path,
        "Worst absolute error in the interior (o) and within the kernel radius of an edge (x), "
        "per mode, for the dtypes this run measured in two or more modes.",
    )
