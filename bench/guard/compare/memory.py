"""The memory half of ``gfbench compare``: per-case native peak memory, gated like time.

Each case measured on both sides with ``peak_rss_bytes`` (the growth of the resident high-water
mark over one call, ``bench.sweep.peakrss``) gets a verdict:

- "more memory" (a regression, exit 3 with the reason "memory") when B/A - 1 > the threshold
  (``--memory-threshold``, default 20%) AND B - A exceeds the floor;
- "less memory" symmetrically (A/B - 1 > the threshold AND A - B exceeds the floor);
- "same" otherwise, saying which of the two conditions failed.

Why: docs/compare.md#memory-gated-like-time.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from bench.exitcodes import UsageError
from bench.guard.compare.rows import case_fields, group_rows, is_null, row_key_columns
from bench.guard.compare.sides import Side
from bench.guard.stats.verdicts import LESS_MEMORY, MEMORY_VERDICTS, MORE_MEMORY, SAME

# the verdicts, from the one vocabulary (bench.guard.stats.verdicts)
MORE, LESS, SAME, MEMORY_VERDICTS = MORE_MEMORY, LESS_MEMORY, SAME, MEMORY_VERDICTS
DEFAULT_MEMORY_THRESHOLD = 0.20
#: A/A on this machine: largest per-case change 2.3 MiB (pyvips-exact); 4 MiB leaves 1.7x margin
DEFAULT_FLOOR_BYTES = 4 * 2**20
MIB = 2**20


def validate_memory_threshold(threshold: float) -> None:
    """Raise `UsageError` unless ``0 < threshold < 10`` (a fraction: 0.2 = 20%)."""
    ok = isinstance(threshold, (int, float)) and math.isfinite(threshold) and 0 < threshold < 10
    if not ok:
        raise UsageError(
            f"--memory-threshold must be a fraction in (0, 10), e.g. 0.2 for 20%; got {threshold!r}"
        )


def _mib(n: float) -> str:
    return f"{n / MIB:.2f} MiB"


def side_rss(group: Sequence[dict[str, Any]]) -> tuple[float | None, int]:
    """(median peak_rss_bytes over the rounds that have it, how many do)."""
    values = [float(r["peak_rss_bytes"]) for r in group if not is_null(r.get("peak_rss_bytes"))]
    return (statistics.median(values) if values else None), len(values)


def resolution_bytes(side: Side) -> int:
    """The largest RSS counter resolution the side's runs recorded (run.json), else 0."""
    found = 0
    for meta in side.metas:
        method = meta.get("peak_rss_method")
        value = method.get("resolution_bytes") if isinstance(method, dict) else None
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            found = max(found, value)
    return found


def memory_verdict(
    rss_a: float, rss_b: float, *, threshold: float, floor_bytes: float
) -> tuple[str, float, str]:
    """(verdict, ratio B/A, reason) for one case's peak RSS growth on sides A and B."""
    if rss_a > 0:
        ratio = rss_b / rss_a
    else:
        ratio = math.inf if rss_b > 0 else 1.0
    change = rss_b - rss_a
    limit = 1 + threshold
    if ratio > limit and change > floor_bytes:
        return (
            MORE,
            ratio,
            (f"B/A {ratio:.2f} > {limit:.2f} and +{_mib(change)} > floor {_mib(floor_bytes)}"),
        )
    if rss_a > limit * rss_b and -change > floor_bytes:
        return (
            LESS,
            ratio,
            (
                f"A/B {rss_a / rss_b if rss_b else math.inf:.2f} > {limit:.2f} and "
                f"-{_mib(-change)} beyond floor {_mib(floor_bytes)}"
            ),
        )
    if max(ratio, 1 / ratio if ratio else math.inf) <= limit:
        return SAME, ratio, f"B/A {ratio:.2f} within ±{threshold:.0%}"
    return (
        SAME,
        ratio,
        (
            f"B/A {ratio:.2f} beyond ±{threshold:.0%} but the change {change / MIB:+.2f} MiB is "
            f"under the floor {_mib(floor_bytes)}"
        ),
    )


def compare_run_memory(
    a: pd.DataFrame,
    b: pd.DataFrame,
    *,
    threshold: float = DEFAULT_MEMORY_THRESHOLD,
    floor_bytes: float = DEFAULT_FLOOR_BYTES,
) -> pd.DataFrame:
    """One row per case OK on both sides with ``peak_rss_bytes``: A, B, ratio, floor, verdict."""
    if "peak_rss_bytes" not in a or "peak_rss_bytes" not in b:
        return pd.DataFrame()
    keys = row_key_columns(a, b)
    ok_a = a[a["status"] == "ok"] if "status" in a else a
    ok_b = b[b["status"] == "ok"] if "status" in b else b
    groups_b = group_rows(ok_b, keys)
    records = []
    for key, ga in group_rows(ok_a, keys).items():
        gb = groups_b.get(key)
        if gb is None:
            continue
        (rss_a, n_a), (rss_b, n_b) = side_rss(ga), side_rss(gb)
        if rss_a is None or rss_b is None:
            continue
        verdict, ratio, reason = memory_verdict(
            rss_a, rss_b, threshold=threshold, floor_bytes=floor_bytes
        )
        row = ga[0]
        records.append(
            {
                **case_fields(key, row),
                "rss_a_bytes": rss_a,
                "rss_b_bytes": rss_b,
                "ratio": ratio,
                "change_bytes": rss_b - rss_a,
                "floor_bytes": floor_bytes,
                "n_a": n_a,
                "n_b": n_b,
                "verdict": verdict,
                "reason": reason,
            }
        )
    return pd.DataFrame.from_records(records)


def _methods(side: Side) -> set[Any]:
    return {
        (m.get("peak_rss_method") or {}).get("fixed_mmap_threshold")
        for m in side.metas
        if isinstance(m.get("peak_rss_method"), dict)
    }


def compare_sides_memory(
    a: Side, b: Side, *, threshold: float = DEFAULT_MEMORY_THRESHOLD
) -> tuple[pd.DataFrame, list[str]]:
    """The memory frame of two run sides and the notes that qualify it."""
    floor = max(DEFAULT_FLOOR_BYTES, resolution_bytes(a) + resolution_bytes(b))
    frame = compare_run_memory(a.frame, b.frame, threshold=threshold, floor_bytes=floor)
    notes: list[str] = []
    has = [_has_rss(side.frame) for side in (a, b)]
    if any(has) and not all(has):
        missing = a.label if not has[0] else b.label
        notes.append(
            f"memory: not compared ({missing} has no peak_rss_bytes: an older gfbench, or a "
            "platform without /proc/self/clear_refs)"
        )
    fixed = _methods(a) | _methods(b)
    if len(fixed) > 1:
        notes.append(
            "memory: the sides used different allocator settings (run.json peak_rss_method); "
            "allocations made in pool threads (dask-image) may read lower with glibc's default"
        )
    return frame, notes


def _has_rss(frame: pd.DataFrame | None) -> bool:
    if frame is None or "peak_rss_bytes" not in frame:
        return False
    return bool(frame["peak_rss_bytes"].notna().any())


def memory_counts(frame: pd.DataFrame, verdicts: Iterable[str] = MEMORY_VERDICTS) -> dict[str, int]:
    """How many cases got each memory verdict."""
    counts = dict.fromkeys(verdicts, 0)
    if not frame.empty:
        for name, n in frame["verdict"].value_counts().items():
            counts[str(name)] = int(n)
    return counts
