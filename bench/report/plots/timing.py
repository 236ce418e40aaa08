"""Speed plots: median time against pixel count and against sigma."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from bench.report import frames
from bench.report.model import Figure, Paragraph
from bench.report.plots.canvas import impl_colours, panels, save, sigma_ticks, tidy
from bench.report.plots.slices import best_slice, dtypes_varying, order0, scalar_sigma


def time_vs_pixels(frame: pd.DataFrame, out_dir: Path) -> Figure | Paragraph:
    """Median time against pixel count, log-log, one line per implementation, per dtype."""
    rows = scalar_sigma(order0(frames.timed_rows(frame)))
    chosen = best_slice(rows, ["family", "sigma_label", "mode"], "npix")
    if chosen is None:
        return Paragraph("No timed rows at two or more sizes: no time-vs-size plot.", "missing")
    (family, sigma, mode), rows = chosen
    figure = _time_panels(frame, rows, "npix", "pixels")
    path = save(figure, out_dir, "time_vs_pixels.png")
    return Figure(
        "Time vs pixel count",
        path,
        f"Median time per call against the number of pixels, log-log: {family} images, sigma "
        f"{sigma}, mode {mode}, order 0 (the slice of the grid with the most sizes; rows "
        f"without a mode, such as Pillow's, included).",
    )


def time_vs_sigma(frame: pd.DataFrame, out_dir: Path) -> Figure | Paragraph:
    """Median time against sigma at one size, one line per implementation, per dtype."""
    rows = scalar_sigma(order0(frames.timed_rows(frame)))
    chosen = best_slice(rows, ["family", "shape_label", "mode"], "sigma_value")
    if chosen is None:
        return Paragraph(
            "No size was timed at two or more sigmas: no time-vs-sigma plot.", "missing"
        )
    (family, shape, mode), rows = chosen
    figure = _time_panels(frame, rows, "sigma_value", "sigma")
    path = save(figure, out_dir, "time_vs_sigma.png")
    return Figure(
        "Time vs sigma",
        path,
        f"Median time per call against sigma: {family} images of shape {shape}, mode {mode}, "
        f"order 0 (the slice of the grid with the most sigmas).",
    )


def _time_panels(frame: pd.DataFrame, rows: pd.DataFrame, x: str, xlabel: str):
    """One log-log panel per dtype that varies along ``x``: median time, a line per impl."""
    dtypes = dtypes_varying(rows, x)
    colours = impl_colours(frame["impl"].dropna().unique())
    figure, axes = panels(len(dtypes))
    for ax, dtype in zip(axes, dtypes, strict=True):
        for impl, group in rows[rows["dtype"] == dtype].groupby("impl"):
            line = group.groupby(x)["median_ns"].median().sort_index()
            ax.plot(line.index, line.values / 1e6, "o-", color=colours[impl], label=impl)
        ax.set(xscale="log", yscale="log", title=dtype, xlabel=xlabel, ylabel="median time (ms)")
        tidy(ax)
        if x == "sigma_value":  # sigmas are few and irregular: label each one
            sigma_ticks(ax, rows.loc[rows["dtype"] == dtype, "sigma_value"])
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    return figure
