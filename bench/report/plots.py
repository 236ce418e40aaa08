"""The report's PNG plots, drawn with matplotlib's Agg canvas.

Every function takes the prepared frame (:func:`bench.report.frames.prepare`) and the report
folder, writes one PNG and returns a :class:`~bench.report.model.Figure` -- or, when the run
holds no rows for that plot, a ``missing`` :class:`~bench.report.model.Paragraph` that says
what is absent. The object-oriented API with an explicit ``FigureCanvasAgg`` is used instead of
pyplot, so that no global backend state is touched and no window can open.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as MplFigure

from bench.report import frames
from bench.report.model import Figure, Paragraph

DPI = 100
_MARKERS = "osD^v<>px*h"


def _colours(impls: Sequence[str]) -> dict[str, tuple]:
    """One colour per implementation, the same in every plot of a report."""
    import matplotlib

    names = sorted(impls)
    if len(names) <= 10:
        cmap = matplotlib.colormaps["tab10"]
        return {impl: cmap(i) for i, impl in enumerate(names)}
    # more than ten (the peers extra brings 14): tab20's dark and light shades, dark first
    cmap = matplotlib.colormaps["tab20"]
    order = [*range(0, 20, 2), *range(1, 20, 2)]
    return {impl: cmap(order[i % 20]) for i, impl in enumerate(names)}


def _panels(count: int, *, width: float = 4.2, height: float = 3.4) -> tuple[MplFigure, list]:
    ncols = min(count, 3)
    nrows = math.ceil(count / ncols)
    figure = MplFigure(figsize=(width * ncols, height * nrows), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.subplots(nrows, ncols, squeeze=False).ravel().tolist()
    for extra in axes[count:]:
        extra.set_visible(False)
    return figure, axes[:count]


def _save(figure: MplFigure, out_dir: Path, name: str) -> Path:
    path = out_dir / name
    # One tight_layout pass: the constrained layout engine re-solves on every draw and made
    # the 8-panel figures several times slower to save.
    figure.tight_layout()
    # No "Software" metadata: the PNG bytes then depend only on the data.
    figure.savefig(path, format="png", metadata={"Software": None})
    return path


def _scalar_sigma(rows: pd.DataFrame) -> pd.DataFrame:
    scalar = rows["sigma"].map(lambda v: not isinstance(v, (list, tuple, np.ndarray)))
    return rows[scalar.astype(bool) & rows["sigma_value"].notna()]


def _best_slice(
    rows: pd.DataFrame, keys: list[str], varying: str
) -> tuple[tuple, pd.DataFrame] | None:
    """The slice of ``rows`` (one value per column of ``keys``) where ``varying`` takes the
    most distinct values (at least 2); ties go to the slice with more pixels, then more rows.

    Rows whose ``mode`` is null (Pillow has no edge mode) join every slice.
    """
    if rows.empty:
        return None
    moded = rows[rows["mode"].notna()] if "mode" in keys else rows
    if moded.empty:
        return None
    stats = moded.groupby(keys, dropna=False).agg(
        distinct=(varying, "nunique"), npix=("npix", "max"), count=(varying, "size")
    )
    stats = stats[stats["distinct"] >= 2]
    if stats.empty:
        return None
    best = stats.sort_values(["distinct", "npix", "count"], kind="stable").index[-1]
    best = best if isinstance(best, tuple) else (best,)
    mask = np.ones(len(rows), dtype=bool)
    for key, value in zip(keys, best, strict=True):
        matches = (rows[key] == value).to_numpy().copy()
        if key == "mode":
            matches |= rows["mode"].isna().to_numpy()
        mask &= matches
    return best, rows[mask]


def _order0(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[~frames.derivative_mask(rows)]


def _tidy(ax) -> None:
    """No labels on minor log ticks: they collide (3x10^-1 4x10^-1 ...) and say little."""
    from matplotlib.ticker import NullFormatter

    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_minor_formatter(NullFormatter())


def _sigma_ticks(ax, sigmas: Sequence[float]) -> None:
    """Label the sigmas the run used: a log axis over 0.7..5.3 has one decade tick at best."""
    values = sorted({float(v) for v in sigmas if np.isfinite(v)})
    ax.set_xticks(values, [f"{v:g}" for v in values])


def _dtypes_varying(rows: pd.DataFrame, column: str) -> list[str]:
    """The dtypes for which ``column`` takes at least two values: a one-point panel says
    nothing about a trend."""
    counts = rows.groupby("dtype")[column].nunique()
    return frames.dtype_order([d for d, n in counts.items() if n >= 2])


def _log_or_symlog(ax, values: Sequence[float]) -> None:
    finite = np.asarray([v for v in values if np.isfinite(v)], dtype=float)
    positive = finite[finite > 0]
    if len(positive) == len(finite) and len(positive):
        ax.set_yscale("log")
    elif len(positive):
        # Exact zeros (a correctly rounded integer case) cannot sit on a log axis.
        ax.set_yscale("symlog", linthresh=float(positive.min()))


def time_vs_pixels(frame: pd.DataFrame, out_dir: Path) -> Figure | Paragraph:
    """Median time against pixel count, log-log, one line per implementation, per dtype."""
    rows = _scalar_sigma(_order0(frames.timed_rows(frame)))
    chosen = _best_slice(rows, ["family", "sigma_label", "mode"], "npix")
    if chosen is None:
        return Paragraph("No timed rows at two or more sizes: no time-vs-size plot.", "missing")
    (family, sigma, mode), rows = chosen
    dtypes = _dtypes_varying(rows, "npix")
    colours = _colours(frame["impl"].dropna().unique())
    figure, axes = _panels(len(dtypes))
    for ax, dtype in zip(axes, dtypes, strict=True):
        for impl, group in rows[rows["dtype"] == dtype].groupby("impl"):
            line = group.groupby("npix")["median_ns"].median().sort_index()
            ax.plot(line.index, line.values / 1e6, "o-", color=colours[impl], label=impl)
        ax.set(xscale="log", yscale="log", title=dtype, xlabel="pixels", ylabel="median time (ms)")
        _tidy(ax)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    path = _save(figure, out_dir, "time_vs_pixels.png")
    return Figure(
        "Time vs pixel count",
        path,
        f"Median time per call against the number of pixels, log-log: {family} images, sigma "
        f"{sigma}, mode {mode}, order 0 (the slice of the grid with the most sizes; rows "
        f"without a mode, such as Pillow's, included).",
    )


def time_vs_sigma(frame: pd.DataFrame, out_dir: Path) -> Figure | Paragraph:
    """Median time against sigma at one size, one line per implementation, per dtype."""
    rows = _scalar_sigma(_order0(frames.timed_rows(frame)))
    chosen = _best_slice(rows, ["family", "shape_label", "mode"], "sigma_value")
    if chosen is None:
        return Paragraph(
            "No size was timed at two or more sigmas: no time-vs-sigma plot.", "missing"
        )
    (family, shape, mode), rows = chosen
    dtypes = _dtypes_varying(rows, "sigma_value")
    colours = _colours(frame["impl"].dropna().unique())
    figure, axes = _panels(len(dtypes))
    for ax, dtype in zip(axes, dtypes, strict=True):
        for impl, group in rows[rows["dtype"] == dtype].groupby("impl"):
            line = group.groupby("sigma_value")["median_ns"].median().sort_index()
            ax.plot(line.index, line.values / 1e6, "o-", color=colours[impl], label=impl)
        ax.set(xscale="log", yscale="log", title=dtype, xlabel="sigma", ylabel="median time (ms)")
        _tidy(ax)
        _sigma_ticks(ax, rows.loc[rows["dtype"] == dtype, "sigma_value"])
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    path = _save(figure, out_dir, "time_vs_sigma.png")
    return Figure(
        "Time vs sigma",
        path,
        f"Median time per call against sigma: {family} images of shape {shape}, mode {mode}, "
        f"order 0 (the slice of the grid with the most sigmas).",
    )


def roofline_points(frame: pd.DataFrame, meta: Mapping) -> pd.DataFrame:
    """One point per timed row of a direct method: operations (``bench.sweep.roofs.operations``) per
    byte, operations per second at the row's minimum time, and the roof that row answers to.

    ``roof_gops`` is the compute roof of its types and threads, lowered to the memory roof
    (bandwidth x intensity) where the case does not fit in the last-level cache. Rows of
    FFT/recursive/box/shortened-kernel methods (``Adapter.direct`` False) are left out: they do
    less work than the count assumes.
    """
    from bench.sweep import impls, roofs

    rows = frames.timed_rows(frame).copy()
    direct = {name: bool(getattr(impls.get(name), "direct", False)) for name in impls.names()}
    rows = rows[[direct.get(str(i), False) for i in rows["impl"]]]
    peak = meta.get("peak_gflops")
    bandwidth = meta.get("bandwidth_gbs")
    cpu = meta.get("cpu") if isinstance(meta.get("cpu"), Mapping) else {}
    llc = cpu.get("llc_bytes") if isinstance(cpu.get("llc_bytes"), int) else None
    records = []
    for row in rows.to_dict("records"):
        radius = row.get("radius")
        if not isinstance(radius, (list, tuple, np.ndarray)):
            continue
        dtype_in = str(row.get("dtype_in") or row["dtype"]).split("->")[0]
        dtype_out = str(row.get("dtype_out") or row["dtype"]).split("->")[-1]
        bytes_moved = pd.to_numeric(row.get("bytes_moved"), errors="coerce")
        if not bytes_moved > 0:  # a run without it: input + output bytes, as the sweep counts
            sizes = np.dtype(dtype_in).itemsize + np.dtype(dtype_out).itemsize
            bytes_moved = float(row["npix"]) * sizes
        threads = pd.to_numeric(row.get("threads"), errors="coerce")
        threads = int(threads) if threads > 0 else 1  # unknown: held to the one-thread roof
        ops = roofs.operations(tuple(int(r) for r in radius), int(row["npix"]))
        gops = ops / float(row["min_ns"])  # operations per ns = GOP/s
        intensity = ops / float(bytes_moved)
        roof = math.inf
        if peak:
            roof = roofs.compute_roof(float(peak), dtype_in, dtype_out, threads)
        memory = bool(bandwidth) and roofs.memory_bound_applies(float(bytes_moved), llc)
        if memory:
            roof = min(roof, float(bandwidth) * intensity)
        records.append(
            {
                "impl": row["impl"],
                "dtype": row["dtype"],
                "threads": threads,
                "lanes": roofs.lane_factor(dtype_in, dtype_out),
                "intensity": intensity,
                "gops": gops,
                "roof_gops": roof,
                "out_of_cache": memory,
            }
        )
    return pd.DataFrame(
        records,
        columns=[
            "impl",
            "dtype",
            "threads",
            "lanes",
            "intensity",
            "gops",
            "roof_gops",
            "out_of_cache",
        ],
    )


def roofline(frame: pd.DataFrame, out_dir: Path, meta: Mapping) -> Figure | Paragraph:
    """Achieved operations per second against arithmetic intensity, under the roofs that fit
    each point's code path (``bench.sweep.roofs``)."""
    points = roofline_points(frame, meta)
    if points.empty:
        return Paragraph("No timed rows of direct methods: no roofline plot.", "missing")
    bandwidth, peak = meta.get("bandwidth_gbs"), meta.get("peak_gflops")
    colours = _colours(frame["impl"].dropna().unique())
    dtypes = frames.dtype_order(points["dtype"].unique())
    markers = {d: _MARKERS[i % len(_MARKERS)] for i, d in enumerate(dtypes)}
    figure, (ax,) = _panels(1, width=8.0, height=5.0)
    for (impl, dtype, out_of_cache), group in points.groupby(["impl", "dtype", "out_of_cache"]):
        ax.scatter(
            group["intensity"],
            group["gops"],
            color=colours[impl],
            marker=markers[dtype],
            s=18,
            alpha=0.8,
            facecolors=colours[impl] if out_of_cache else "none",
        )
    caption = (
        "Each point is one case of a direct method: operations (3r+1 per element per axis, the "
        "least a symmetric direct convolution does) per second at its minimum time, against "
        "operations per byte. Filled points do not fit in the last-level cache."
    )
    x = np.geomspace(points["intensity"].min() / 2, points["intensity"].max() * 2, 50)
    if bandwidth:
        ax.plot(x, float(bandwidth) * x, "k--", label=f"DRAM roof {float(bandwidth):.3g} GB/s")
        caption += (
            f" Dashed: the memory roof from the measured copy bandwidth ({float(bandwidth):.3g} "
            "GB/s); it bounds the filled points only (cache-resident data streams faster)."
        )
    if peak:
        for scale in sorted({float(v) for v in points["lanes"] * points["threads"]}):
            ax.axhline(
                float(peak) * scale,
                color="k",
                linestyle=":",
                linewidth=0.8,
                label=f"compute roof x{scale:g}",
            )
        caption += (
            f" Dotted: compute roofs, the measured float64 peak of one thread "
            f"({float(peak):.3g} GFLOP/s) times the lanes of the point's narrowest type (float32 "
            "2, 8/16-bit integers 4: fixed-point SIMD) times its threads. Every point sits under "
            "its own roof (tested on a real run). FFT, recursive, box-blur and shortened-kernel "
            "methods do less work than this count and are not plotted."
        )
    else:
        caption += " The run holds no compute peak, so no compute roof is drawn."
    ax.set(
        xscale="log", yscale="log", xlabel="arithmetic intensity (operations/byte)", ylabel="GOP/s"
    )
    _tidy(ax)
    ax.grid(True, which="both", alpha=0.3)
    from matplotlib.lines import Line2D

    impl_handles = [
        Line2D([], [], color=colours[i], marker="o", linestyle="", label=i)
        for i in sorted(points["impl"].unique())
    ]
    dtype_handles = [
        Line2D([], [], color="0.4", marker=markers[d], linestyle="", label=d) for d in dtypes
    ]
    if ax.get_legend_handles_labels()[0]:
        ax.add_artist(ax.legend(fontsize=7, loc="upper left"))
    impl_legend = ax.legend(handles=impl_handles, fontsize=7, loc="lower right", title="impl")
    ax.add_artist(impl_legend)
    ax.legend(handles=dtype_handles, fontsize=7, loc="upper right", title="dtype")
    path = _save(figure, out_dir, "roofline.png")
    return Figure("Roofline", path, caption)


def error_vs_sigma(frame: pd.DataFrame, out_dir: Path) -> Figure | Paragraph:
    """Worst error against sigma, per dtype (panel) and implementation (line)."""
    rows = _order0(frames.accuracy_rows(frame)).copy()
    rows = rows[rows["sigma_value"].notna()]
    if rows.empty:
        return Paragraph(
            "No rows carry an accuracy measurement: no error-vs-sigma plot.", "missing"
        )
    rows["error"] = [frames.error_in_output_units(r) for _, r in rows.iterrows()]
    dtypes = frames.dtype_order(rows["dtype"].unique())
    colours = _colours(frame["impl"].dropna().unique())
    figure, axes = _panels(len(dtypes))
    for ax, dtype in zip(axes, dtypes, strict=True):
        subset = rows[rows["dtype"] == dtype]
        for impl, group in subset.groupby("impl"):
            line = group.groupby("sigma_value")["error"].max().sort_index()
            ax.plot(line.index, line.values, "o-", color=colours[impl], label=impl)
        unit = "grey levels" if frames.is_integer_dtype(dtype) else "abs"
        ax.set(xscale="log", title=dtype, xlabel="sigma", ylabel=f"max error ({unit})")
        _log_or_symlog(ax, subset["error"].tolist())
        _tidy(ax)
        _sigma_ticks(ax, subset["sigma_value"])
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    path = _save(figure, out_dir, "error_vs_sigma.png")
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
    figure, (left, right) = _panels(2, width=5.5, height=3.8)
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
    rows = _order0(frames.accuracy_rows(frame))
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
    path = _save(figure, out_dir, "integer_errors.png")
    return Figure("Integer bias and error histograms", path, description)


def border_vs_interior(frame: pd.DataFrame, out_dir: Path) -> Figure | Paragraph:
    """Interior and border max error per mode, per dtype (panel) and implementation."""
    rows = _order0(frames.accuracy_rows(frame)).copy()
    for column in ("interior_max_abs_error", "border_max_abs_error"):
        rows[column] = pd.to_numeric(rows[column], errors="coerce")
    rows = rows[rows["interior_max_abs_error"].notna() & rows["border_max_abs_error"].notna()]
    rows = rows[~frames.output_dtype_differs(rows)]
    rows["mode"] = rows["mode"].fillna("(none)")
    dtypes = _dtypes_varying(rows, "mode") if len(rows) else []
    if not dtypes:
        return Paragraph(
            "No dtype has rows with a border/interior error split in two or more modes.",
            "missing",
        )
    colours = _colours(frame["impl"].dropna().unique())
    figure, axes = _panels(len(dtypes))
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
        _log_or_symlog(
            ax,
            subset["interior_max_abs_error"].tolist() + subset["border_max_abs_error"].tolist(),
        )
        ax.grid(True, axis="y", alpha=0.3)
        ax.legend(fontsize=6)
    path = _save(figure, out_dir, "border_vs_interior.png")
    return Figure(
        "Border vs interior error",
        path,
        "Worst absolute error in the interior (o) and within the kernel radius of an edge (x), "
        "per mode, for the dtypes this run measured in two or more modes.",
    )


def pareto(
    frame: pd.DataFrame, out_dir: Path, *, budget_grey_levels: float, budget_abs: float
) -> Figure | Paragraph:
    """Speed against accuracy per dtype: speedup vs SciPy (same dtype, same cases) against the
    worst error, with the Pareto front and the error budget."""
    rows = _order0(frames.timed_rows(frame))
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
    colours = _colours(frame["impl"].dropna().unique())
    figure, axes = _panels(len(dtypes))
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
        _log_or_symlog(ax, [*per_impl["error"].tolist(), budget])
        _tidy(ax)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    path = _save(figure, out_dir, "pareto.png")
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
