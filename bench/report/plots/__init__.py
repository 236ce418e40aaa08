"""The report's PNG plots, drawn with matplotlib's Agg canvas.

Modules, by kind of plot: ``timing`` (time against size and sigma), ``roofline_chart`` (the
roofline and its points), ``accuracy`` (error against sigma, integer histograms, border against
interior), ``tradeoff`` (speed against accuracy, the Pareto front), ``timeline`` (``gfbench
history``: time and output changes across SciPy releases); ``canvas`` and ``slices``
hold what they share (drawing, and which rows a plot draws).

Why: docs/report.md.
"""

from bench.report.plots.accuracy import border_vs_interior, error_vs_sigma, integer_histograms
from bench.report.plots.canvas import DPI
from bench.report.plots.roofline_chart import roofline, roofline_points
from bench.report.plots.timing import time_vs_pixels, time_vs_sigma
from bench.report.plots.tradeoff import pareto, pareto_front

__all__ = [
    "DPI",
    "border_vs_interior",
    "error_vs_sigma",
    "integer_histograms",
    "pareto",
    "pareto_front",
    "roofline",
    "roofline_points",
    "time_vs_pixels",
    "time_vs_sigma",
]
