"""The integer-versus-float pitfalls, measured when the report is rendered: one module each.

Every pitfall carries a minimal snippet that the report *executes* to get its numbers, so the
snippet, its printed output and the consequence stated in prose cannot disagree. Numbers about
speed and the run's integer bias come from the run's rows instead. Nothing numeric is typed
into a template: each number in the prose is formatted from a value computed at render time.

Each module is named for its pitfall and holds one function, ``name(frame) -> Pitfall``, with
its snippets; ``base`` holds the ``Pitfall`` record and ``run_snippet``, ``peers`` the lookup of
optional peers. To add a pitfall, add a module and list its function in ``PITFALLS`` (the
report's order). This package imports only the report's ``frames``, ``model`` and ``tables``.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from bench.report.pitfalls.axis_order import axis_order
from bench.report.pitfalls.base import Pitfall, run_snippet
from bench.report.pitfalls.colour_channels import colour_channels
from bench.report.pitfalls.float16 import float16
from bench.report.pitfalls.float32_speed import float32_speed, speed_ratios
from bench.report.pitfalls.integer_truncation import (
    integer_error_samples,
    integer_truncation,
    run_integer_bias,
)
from bench.report.pitfalls.mode_names import mode_names
from bench.report.pitfalls.nan_spread import nan_spread
from bench.report.pitfalls.radius_rule import radius_rule
from bench.report.pitfalls.silent_noops import silent_noops
from bench.report.pitfalls.small_sigma import kernel_std, small_sigma
from bench.report.pitfalls.unsigned_wrap import unsigned_wrap

__all__ = [
    "PITFALLS",
    "Pitfall",
    "all_pitfalls",
    "axis_order",
    "colour_channels",
    "float16",
    "float32_speed",
    "integer_error_samples",
    "integer_truncation",
    "kernel_std",
    "mode_names",
    "nan_spread",
    "radius_rule",
    "run_integer_bias",
    "run_snippet",
    "silent_noops",
    "small_sigma",
    "speed_ratios",
    "unsigned_wrap",
]

#: Every pitfall, in the order the report lists them.
PITFALLS: tuple[Callable[[pd.DataFrame], Pitfall], ...] = (
    integer_truncation,
    unsigned_wrap,
    axis_order,
    float16,
    float32_speed,
    colour_channels,
    mode_names,
    radius_rule,
    small_sigma,
    silent_noops,
    nan_spread,
)


def all_pitfalls(frame: pd.DataFrame) -> list[Pitfall]:
    """Measure every pitfall against the prepared frame of a run."""
    return [build(frame) for build in PITFALLS]
