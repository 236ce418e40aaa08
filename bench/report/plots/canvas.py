"""Drawing helpers every plot shares: one colour per implementation, panel grids on an Agg
canvas, axis formatting, and saving a PNG whose bytes depend only on the data."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as MplFigure

DPI = 100
MARKERS = "osD^v<>px*h"


def impl_colours(impls: Sequence[str]) -> dict[str, tuple]:
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


def panels(count: int, *, width: float = 4.2, height: float = 3.4) -> tuple[MplFigure, list]:
    ncols = min(count, 3)
    nrows = math.ceil(count / ncols)
    figure = MplFigure(figsize=(width * ncols, height * nrows), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.subplots(nrows, ncols, squeeze=False).ravel().tolist()
    for extra in axes[count:]:
        extra.set_visible(False)
    return figure, axes[:count]


def save(figure: MplFigure, out_dir: Path, name: str) -> Path:
    path = out_dir / name
    # One tight_layout pass: the constrained layout engine re-solves on every draw and made
    # the 8-panel figures several times slower to save.
    figure.tight_layout()
    # No "Software" metadata: the PNG bytes then depend only on the data.
    figure.savefig(path, format="png", metadata={"Software": None})
    return path


def tidy(ax) -> None:
    """No labels on minor log ticks: they collide (3x10^-1 4x10^-1 ...) and say little."""
    from matplotlib.ticker import NullFormatter

    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_minor_formatter(NullFormatter())


def sigma_ticks(ax, sigmas: Sequence[float]) -> None:
    """Label the sigmas the run used: a log axis over 0.7..5.3 has one decade tick at best."""
    values = sorted({float(v) for v in sigmas if np.isfinite(v)})
    ax.set_xticks(values, [f"{v:g}" for v in values])


def log_or_symlog(ax, values: Sequence[float]) -> None:
    finite = np.asarray([v for v in values if np.isfinite(v)], dtype=float)
    positive = finite[finite > 0]
    if len(positive) == len(finite) and len(positive):
        ax.set_yscale("log")
    elif len(positive):
        # Exact zeros (a correctly rounded integer case) cannot sit on a log axis.
        ax.set_yscale("symlog", linthresh=float(positive.min()))
