"""The roofline: each direct method's operations per second against its operations per byte,
under the compute and memory roofs of ``bench.sweep.roofs`` that apply to it."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from bench.report import frames
from bench.report.model import Figure, Paragraph
from bench.report.plots.canvas import MARKERS, impl_colours, panels, save, tidy


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
    colours = impl_colours(frame["impl"].dropna().unique())
    dtypes = frames.dtype_order(points["dtype"].unique())
    markers = {d: MARKERS[i % len(MARKERS)] for i, d in enumerate(dtypes)}
    figure, (ax,) = panels(1, width=8.0, height=5.0)
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
    tidy(ax)
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
    path = save(figure, out_dir, "roofline.png")
    return Figure("Roofline", path, caption)
