"""The timeline of ``gfbench history``: one PNG per case family, versions along x.

Top panel: geometric-mean time per dtype relative to the first version, with its 95%
interval; a red marker on each version whose outputs differ from the version before; a grey
line where numpy's feature release changes (the environments' resolver picks numpy per SciPy
unless history pins it). Bottom panel, when the runs counted them: instructions per call,
relative to the first version. Drawn on an Agg canvas (no display, no global state).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as MplFigure

from bench.report.plots.canvas import DPI, MARKERS, save


def _feature(version) -> str:
    return ".".join(str(version).split(".")[:2])


def timeline_figures(table: pd.DataFrame, out_dir: Path) -> list[Path]:
    """Write ``history_<family>.png`` per family of ``table`` (bench.guard.timeline)."""
    written: list[Path] = []
    out_dir.mkdir(parents=True, exist_ok=True)
    for family, sub in table.groupby("family", sort=True):
        versions = sub.sort_values("order")[["order", "scipy", "numpy"]].drop_duplicates("order")
        x_of = {o: i for i, o in enumerate(versions["order"])}
        has_instr = sub["instructions"].notna().any()
        figure = MplFigure(
            figsize=(max(6.0, 0.55 * len(x_of) + 2), 6.5 if has_instr else 4.2), dpi=DPI
        )
        FigureCanvasAgg(figure)
        axes = figure.subplots(2 if has_instr else 1, 1, squeeze=False, sharex=True).ravel()
        ax = axes[0]
        for i, (dtype, line) in enumerate(sub.groupby("dtype", sort=True)):
            line = line.sort_values("order")
            # dtypes side by side, a little apart, so that their intervals do not hide each other
            xs = [x_of[o] + 0.08 * (i - 1) for o in line["order"]]
            first = float(line["ms"].iloc[0])
            low = (line["ms"] - line["ms_low"].astype(float)).fillna(0) / first
            high = (line["ms_high"].astype(float) - line["ms"]).fillna(0) / first
            ax.errorbar(
                xs,
                line["ms"] / first,
                yerr=[low, high],
                marker=MARKERS[i % len(MARKERS)],
                capsize=3,
                label=f"{dtype} ({first:.3g} ms at {line['scipy'].iloc[0]})",
            )
            changed = line[line["outputs_changed"] > 0]
            if not changed.empty:
                ax.scatter(
                    [x_of[o] for o in changed["order"]],
                    changed["ms"] / first,
                    s=140,
                    facecolors="none",
                    edgecolors="red",
                    linewidths=1.5,
                    zorder=5,
                    label="outputs differ from the version before" if i == 0 else None,
                )
        numpy_features = [_feature(v) for v in versions["numpy"]]
        for i in range(1, len(numpy_features)):
            if numpy_features[i] != numpy_features[i - 1]:
                for a in axes:
                    a.axvline(i - 0.5, color="grey", linestyle=":", linewidth=1)
                ax.annotate(
                    f"numpy {numpy_features[i]}",
                    (i - 0.45, 1.0),
                    xycoords=("data", "axes fraction"),
                    va="top",
                    fontsize=7,
                    color="grey",
                )
        ax.axhline(1.0, color="black", linewidth=0.6)
        # log scale, limited to the points: an interval of a noisy two-round case can span
        # decades, and would squash every point into one line
        ratios = sub["ms"] / sub.groupby("dtype")["ms"].transform("first")
        ax.set_yscale("log")
        ax.set_ylim(min(0.8, float(ratios.min()) / 1.25), max(1.25, float(ratios.max()) * 1.25))
        ax.set_ylabel("time / first version (95% interval)")
        ax.set_title(f"gaussian_filter across SciPy releases: {family} cases")
        ax.legend(fontsize=7, loc="best")
        if has_instr:
            ax2 = axes[1]
            for i, (dtype, line) in enumerate(sub.groupby("dtype", sort=True)):
                line = line.sort_values("order").dropna(subset=["instructions"])
                if line.empty:
                    continue
                ax2.plot(
                    [x_of[o] for o in line["order"]],
                    line["instructions"] / float(line["instructions"].iloc[0]),
                    marker=MARKERS[i % len(MARKERS)],
                    label=dtype,
                )
            ax2.set_ylabel("instructions / first version")
            ax2.axhline(1.0, color="black", linewidth=0.6)
        bottom = axes[-1]
        bottom.set_xticks(range(len(x_of)))
        bottom.set_xticklabels(
            [
                f"{s}\nnp {_feature(n)}"
                for s, n in zip(versions["scipy"], versions["numpy"], strict=True)
            ],
            rotation=90,
            fontsize=7,
        )
        bottom.set_xlabel("SciPy release (numpy feature release in its environment)")
        written.append(save(figure, out_dir, f"history_{family}.png"))
    return written
