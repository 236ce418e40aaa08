"""The timeline of ``gfbench history``: time, instructions and output changes per release.

One job: from the sides of one matrix timed in one interleaved A/B session
(`bench.guard.ab_session`), build one row per version x case family x dtype: the geometric mean
over the family's cases of each case's per-round units with a 95% interval (Student t on the
log scale; the round is the unit, as in compare's gate), the ratio to the first version, the
instruction count when the runs have one, and how many of the family's outputs differ from the
version before. A round's units are the ones the session's looks used (`paired-median` against
the first version, or each version's minima: docs/attribution.md, "gfbench history"). The
report layer draws it; this module draws nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from bench.guard.compare.correctness import DTYPE, OUTPUT, STATUS, compare_run_correctness
from bench.guard.compare.instructions import DEFAULT_INSTRUCTIONS_THRESHOLD
from bench.guard.compare.sides import Side
from bench.guard.compare.timing import case_units, sequential_design, side_units
from bench.guard.stats.round_units import MIN, PAIRED_MEDIAN

COLUMNS = [
    "order",
    "version",
    "scipy",
    "numpy",
    "family",
    "dtype",
    "cases",
    "ms",
    "ms_low",
    "ms_high",
    "ratio",
    "rounds",
    "instructions",
    "outputs_changed",
    "changed_cases",
]


#: what a release's time in one round is, in history.md's words
UNIT_WORDS = {
    MIN: "its minimum over the round's passes (`min`)",
    PAIRED_MEDIAN: (
        "the first release's minimum x the median over the round's passes of this release's "
        "sample / the first release's, taken side by side (`paired-median`, the units the "
        "session's gate used)"
    ),
}


def session_unit(sides: Sequence[Side]) -> str:
    """The round unit the sides' session recorded: ``min`` unless every side shares one design."""
    framed = [s for s in sides if s.frame is not None]
    designs = {sequential_design(framed[0], other) for other in framed[1:]}
    if len(designs) != 1:  # one version, or sessions that differ
        return MIN
    design = designs.pop()
    return MIN if design is None else design.unit


def _case_logs(units: Sequence[float]) -> tuple[float, float, int] | None:
    """(mean log unit, its standard error, units) of one case on one side."""
    units = [u for u in units if u and math.isfinite(u) and u > 0]
    if not units:
        return None
    logs = np.log(np.asarray(units, dtype=float) / 1e6)
    se = float(np.std(logs, ddof=1) / math.sqrt(len(logs))) if len(logs) > 1 else math.nan
    return float(np.mean(logs)), se, len(logs)


def _changed_outputs(prev: Side | None, side: Side) -> dict[str, str]:
    """case_id -> what changed since the previous version (output bits, dtype, status)."""
    if prev is None or prev.frame is None or side.frame is None:
        return {}
    return {
        c["case_id"]: c.get("detail", c["kind"])
        for c in compare_run_correctness(prev.frame, side.frame)
        if c["kind"] in (OUTPUT, DTYPE, STATUS)
    }


def timeline_table(sides: Sequence[Side]) -> pd.DataFrame:
    """One row per side (in order) x family x dtype; see the module docstring."""
    from scipy import stats  # imported here: scipy.stats costs ~1 s of every CLI start-up

    records: list[dict[str, Any]] = []
    common: set[str] | None = None
    for side in sides:  # only cases timed OK everywhere: each line compares like with like
        if side.frame is None:
            continue
        ok = side.frame[(side.frame["status"] == "ok") & side.frame["min_ns"].notna()]
        common = set(ok["case_id"]) if common is None else common & set(ok["case_id"])
    common = common or set()
    framed = [side for side in sides if side.frame is not None]
    unit = session_unit(framed)
    per_side: list[dict[str, list[dict]]] = [
        {
            str(cid): sub.to_dict("records")
            for cid, sub in side.frame[side.frame["case_id"].isin(common)].groupby("case_id")
        }
        for side in framed
    ]
    units: dict[tuple[int, str], list[float]] = {}
    unpaired: list[str] = []  # drawn on minima: their rounds do not pair pass by pass
    for cid in sorted(common):
        timings = [side_units(rows[cid]) for rows in per_side]
        per_case, as_recorded = case_units(timings, unit)
        if not as_recorded:
            unpaired.append(cid)
        for index, got in enumerate(per_case):
            units[(index, cid)] = got
    prev: Side | None = None
    index = -1  # the side's place among those with a frame (per_side, units)
    for order, side in enumerate(sides):
        if side.frame is None:
            continue
        index += 1
        changed = _changed_outputs(prev, side)
        prev = side
        groups: dict[tuple[str, str], list[tuple[str, list[dict]]]] = {}
        for cid, rows in sorted(per_side[index].items()):
            key = (str(rows[0].get("family")), str(rows[0].get("dtype")))
            groups.setdefault(key, []).append((cid, rows))
        for (family, dtype), cases in sorted(groups.items()):
            logs = [got for cid, _ in cases if (got := _case_logs(units[(index, cid)])) is not None]
            if not logs:
                continue
            mean = float(np.mean([m for m, _, _ in logs]))
            ses = [s for _, s, _ in logs]
            rounds = min(n for _, _, n in logs)
            if all(math.isfinite(s) for s in ses) and rounds > 1:
                se = math.sqrt(sum(s * s for s in ses)) / len(ses)
                half = float(stats.t.ppf(0.975, rounds - 1)) * se
            else:
                half = math.nan
            counts = (
                [
                    float(
                        np.median(
                            [
                                r["instructions"]
                                for r in rows
                                if r.get("instructions") == r.get("instructions")
                                and r.get("instructions") is not None
                            ]
                            or [np.nan]
                        )
                    )
                    for _, rows in cases
                ]
                if "instructions" in side.frame
                else []
            )
            instructions = (
                float(np.exp(np.mean(np.log(counts))))
                if counts and all(c > 0 for c in counts)
                else None
            )
            in_family = sorted(cid for cid, _ in cases if cid in changed)
            versions = side.versions
            records.append(
                {
                    "order": order,
                    "version": side.label,
                    "scipy": versions.get("scipy"),
                    "numpy": versions.get("numpy"),
                    "family": family,
                    "dtype": dtype,
                    "cases": len(logs),
                    "ms": math.exp(mean),
                    "ms_low": math.exp(mean - half) if math.isfinite(half) else None,
                    "ms_high": math.exp(mean + half) if math.isfinite(half) else None,
                    "ratio": None,
                    "rounds": rounds,
                    "instructions": instructions,
                    "outputs_changed": len(in_family),
                    "changed_cases": in_family,
                }
            )
    table = pd.DataFrame.from_records(records, columns=COLUMNS)
    if not table.empty:
        first = table.sort_values("order").groupby(["family", "dtype"])["ms"].transform("first")
        table["ratio"] = table["ms"] / first
    table.attrs["unit"] = unit
    table.attrs["unpaired"] = unpaired
    return table


def _instruction_steps(sub: pd.DataFrame, threshold: float) -> str:
    """The instruction counts across versions: the steps of >= threshold between neighbours
    (a count repeats to ~0.02%, so a step needs no interval), or their range."""
    counts = sub["instructions"]
    if len(sub) < 2 or counts.isna().any():
        return ""
    steps = [
        f"{before.version} -> {after.version} x{after.instructions / before.instructions:.3f}"
        for before, after in zip(sub.itertuples(), sub.iloc[1:].itertuples(), strict=False)
        if abs(after.instructions / before.instructions - 1) >= threshold
    ]
    if steps:
        return f"; instructions change by >= {threshold:.0%} at {'; '.join(steps)}"
    ratios = counts / counts.iloc[0]
    return (
        f"; instructions: no step of >= {threshold:.0%} between neighbours "
        f"({ratios.min():.4f}x..{ratios.max():.4f}x of {sub.iloc[0]['version']})"
    )


def describe(
    table: pd.DataFrame,
    *,
    tolerance: float = 0.10,
    instructions_threshold: float = DEFAULT_INSTRUCTIONS_THRESHOLD,
) -> list[str]:
    """Plain sentences: per family x dtype, the spread across versions, instruction steps (when
    the runs were counted) and output changes."""
    lines = []
    for (family, dtype), sub in table.groupby(["family", "dtype"], sort=True):
        sub = sub.sort_values("order")
        lo, hi = sub.loc[sub["ratio"].idxmin()], sub.loc[sub["ratio"].idxmax()]
        steps = []
        for before, after in zip(sub.itertuples(), sub.iloc[1:].itertuples(), strict=False):
            disjoint = (
                before.ms_high is not None
                and after.ms_low is not None
                and not (isinstance(before.ms_high, float) and math.isnan(before.ms_high))
                and (after.ms_low > before.ms_high or after.ms_high < before.ms_low)
            )
            step = after.ms / before.ms
            if disjoint and abs(step - 1) >= tolerance:
                steps.append(f"{before.version} -> {after.version} x{step:.2f}")
        changed = [
            f"{r.version} ({r.outputs_changed})" for r in sub.itertuples() if r.outputs_changed
        ]
        lines.append(
            f"{family} {dtype}: {len(sub)} versions, time {lo['ratio']:.2f}x..{hi['ratio']:.2f}x "
            f"of {sub.iloc[0]['version']} (fastest {lo['version']}, slowest {hi['version']}); "
            + (
                f"steps of >= {tolerance:.0%} with disjoint intervals: {'; '.join(steps)}"
                if steps
                else f"no step of >= {tolerance:.0%} between neighbours with disjoint intervals"
            )
            + _instruction_steps(sub, instructions_threshold)
            + (
                f"; outputs changed at {', '.join(changed)}"
                if changed
                else "; outputs identical across versions"
            )
        )
    return lines
