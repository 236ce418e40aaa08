"""Checks of the sweep's options and the grid selection, shared by a run and ``--dry-run``.

``run_sweep`` and ``gfbench sweep --dry-run`` make the same checks in the same order, so a dry
run refuses exactly what a real one would; they live here, below both, so that neither has to
reach into the other. Every check raises ``UsageError`` naming the option and what it allows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from bench.exitcodes import UsageError
from bench.sweep.cases import check_memory
from bench.sweep.grid import Grid, load_grid
from bench.sweep.timing.sampling import TimingSettings

#: What ``--export`` may name: the extra files written next to ``cases.jsonl``.
EXPORT_FORMATS = ("csv", "parquet")


def split_values(values: Sequence[str] | None) -> list[str] | None:
    """``["a,b", "c"]`` (``--impl a,b --impl c``) -> ``["a", "b", "c"]``; None when empty."""
    if not values:
        return None
    out: list[str] = []
    for v in values:
        out.extend(p.strip() for p in v.split(",") if p.strip())
    return out or None


def check_choices(option: str, values: Sequence[str] | None, allowed: Sequence[str]) -> None:
    """Refuse a value not in ``allowed``, naming ``option`` and the allowed values."""
    for v in values or ():
        if v not in allowed:
            raise UsageError(f"{option}: unknown value {v!r}; allowed: {', '.join(allowed)}")


def timing_settings(
    *, timing: bool, min_sample_s: float, repeats: int, warmup: int, processes: int
) -> TimingSettings | None:
    """Check the timing options (even with ``timing`` False); None when not timing."""
    checks = [
        (
            "--min-sample-ms",
            min_sample_s,
            isinstance(min_sample_s, (int, float))
            and math.isfinite(min_sample_s)
            and min_sample_s > 0,
            "a number > 0",
        ),
        ("--repeats", repeats, isinstance(repeats, int) and repeats >= 1, "an int >= 1"),
        ("--warmup", warmup, isinstance(warmup, int) and warmup >= 0, "an int >= 0"),
        (
            "--processes",
            processes,
            isinstance(processes, int) and processes >= 0,
            "an int >= 0 (0: time in the sweep process)",
        ),
    ]
    for option, value, ok, allowed in checks:
        if not ok:
            raise UsageError(f"{option}: got {value!r}; allowed: {allowed}")
    if not timing:
        return None
    return TimingSettings(
        min_sample_s=float(min_sample_s), repeats=repeats, warmup=warmup, processes=processes
    )


def check_max_bytes(max_bytes: int | None) -> None:
    """``--max-bytes``: None (the default limit) or an int >= 1."""
    if max_bytes is not None and (
        isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1
    ):
        raise UsageError(f"--max-bytes: got {max_bytes!r}; allowed: an int >= 1 (bytes)")


def check_export(formats: Sequence[str]) -> None:
    """``--export``: each one of ``EXPORT_FORMATS``."""
    for fmt in formats:
        if fmt not in EXPORT_FORMATS:
            raise UsageError(
                f"--export: unknown format {fmt!r}; allowed: {', '.join(EXPORT_FORMATS)}"
            )


def load_filtered(
    grid: str | Path, impls: list[str] | None, dtypes: list[str] | None, max_bytes: int | None
) -> Grid:
    """Load and filter a grid; refuse an empty selection and a case over the memory limit."""
    base = load_grid(grid)
    the_grid = base.filtered(impls=impls, dtypes=dtypes)
    if not the_grid.cases:
        raise UsageError(
            f"--impl/--dtype: no case of grid {base.name!r} is left "
            f"(impl {impls or 'any'}, dtype {dtypes or 'any'})"
        )
    check_memory(the_grid.cases, max_bytes)
    return the_grid
