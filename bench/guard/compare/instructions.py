"""The instruction-count half of ``gfbench compare``: a deterministic verdict per case.

The ratio B/A of the instructions per call is the verdict, with no noise model: "slower" at
>= 1 + threshold (default 1%), "faster" at <= 1 / (1 + threshold), else "same". Wall time
stands beside it (``agreement``), and a whole-call count's entry-symbol figure says whether a
change sits in the native core or around it (``where``). Why: docs/instructions.md.

Public API: ``compare_instructions``, ``instruction_verdict``, ``uncounted_impls``, ``where_text``,
``DEFAULT_INSTRUCTIONS_THRESHOLD``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from bench.exitcodes import UsageError
from bench.guard.compare.rows import case_label, group_rows, is_null, row_key_columns
from bench.guard.stats import verdicts as gate

#: Smallest growth of the instruction count that is a regression (1%): far above the A/A
#: differences (< 0.1%), far below the smallest slowdown wall time can resolve here (10%).
DEFAULT_INSTRUCTIONS_THRESHOLD = 0.01
SLOWER, SAME, FASTER = gate.SLOWER, gate.SAME, gate.FASTER


def check_threshold(threshold: float) -> float:
    """``threshold`` if it is a fraction in (0, 1), else UsageError naming the option."""
    if not (isinstance(threshold, (int, float)) and math.isfinite(threshold)):
        raise UsageError(f"--instructions-threshold must be a number, got {threshold!r}")
    if not 0 < threshold < 1:
        raise UsageError(
            f"--instructions-threshold must be a fraction in (0, 1) (0.01 = 1%), got {threshold}"
        )
    return float(threshold)


def instruction_verdict(ratio: float, threshold: float = DEFAULT_INSTRUCTIONS_THRESHOLD) -> str:
    """ "slower", "faster" or "same" for an instruction ratio B/A (no noise model)."""
    if not (math.isfinite(ratio) and ratio > 0):
        raise ValueError(f"an instruction ratio must be finite and > 0, got {ratio!r}")
    if ratio >= 1.0 + threshold:
        return SLOWER
    if ratio <= 1.0 / (1.0 + threshold):
        return FASTER
    return SAME


def _counts(group: list[dict[str, Any]]) -> list[float]:
    return [float(r["instructions"]) for r in group if not is_null(r.get("instructions"))]


def _entry(group: list[dict[str, Any]]) -> float | None:
    values = [float(r["instructions_entry"]) for r in group
              if not is_null(r.get("instructions_entry"))]  # fmt: skip
    return float(np.median(values)) if values else None


def _median_of(group: list[dict[str, Any]], field: str) -> float | None:
    values = [float(r[field]) for r in group if not is_null(r.get(field))]
    return float(np.median(values)) if values else None


def _ratio(a: float | None, b: float | None) -> float | None:
    """B/A of two miss counts, None when either is missing or A is 0 (no misses to scale)."""
    return None if a is None or b is None or a <= 0 else b / a


def where_text(
    instr_a: float, instr_b: float, entry_a: float | None, entry_b: float | None
) -> str | None:
    """Where a change of a whole-call count sits: in the native core or around it.

    The entry-symbol count is the native core's share of the whole call; the share of the
    difference it explains says which part changed. None when either side has no entry count.
    """
    if entry_a is None or entry_b is None:
        return None
    total = instr_b - instr_a
    if total == 0:
        return "no change"
    share = (entry_b - entry_a) / total
    if share >= 0.5:
        return f"native core ({min(share, 9.99):.0%} of the change)"
    return f"around the native core: Python, NumPy, glue ({1 - max(share, -9.99):.0%})"


def _agreement(verdict: str, time_verdict: str | None) -> str:
    if time_verdict is None:
        return "no wall time"
    if time_verdict == verdict:
        return "agree"
    if time_verdict == gate.INCONCLUSIVE:
        return "wall time undecided"
    # e.g. same instructions but slower: memory, SIMD width, threads or Python overhead
    return f"disagree: instructions {verdict}, wall time {time_verdict}"


def compare_instructions(
    a: pd.DataFrame,
    b: pd.DataFrame,
    *,
    threshold: float = DEFAULT_INSTRUCTIONS_THRESHOLD,
    perf: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per case counted on both sides: instructions A and B, ratio, verdict.

    Parameters
    ----------
    a, b : DataFrame
        The two sides' rows (``bench.store.load``); rounds of one case are merged by their
        median count (the counts of one code agree to < 0.1%).
    threshold : float
        Smallest growth that is "slower" (0.01 = 1%).
    perf : DataFrame, optional
        The wall-time comparison of the same pair (``bench.guard.compare.timing``); its ratio
        and verdict are reported beside, with ``agreement``.

    Returns
    -------
    DataFrame
        ``case_id, case, impl, dtype, instructions_a, instructions_b, ratio, verdict,
        entry_a, entry_b, entry_ratio, where, time_ratio, time_verdict, agreement``
        (``entry_*``: the native entry symbols' part of a whole-call count, None in entry-scope
        runs; ``where``: which part the change sits in), and ``l1_a, l1_b, l1_ratio, ll_a,
        ll_b, ll_ratio``: the cache misses per call of runs counted with ``--cache-sim``
        (None without; a figure beside the verdict, which stays the instructions'); empty
        when no case was counted on both sides.
    """
    if "instructions" not in a or "instructions" not in b:
        return pd.DataFrame()
    keys = row_key_columns(a, b)
    ok_a = a[a["status"] == "ok"] if "status" in a else a
    ok_b = b[b["status"] == "ok"] if "status" in b else b
    groups_b = group_rows(ok_b, keys)
    timed: dict[Any, dict[str, Any]] = {}
    if perf is not None and not perf.empty:
        timed = {row["case_id"]: row for row in perf.to_dict("records")}
    records = []
    for key, ga in group_rows(ok_a, keys).items():
        gb = groups_b.get(key)
        counts_a, counts_b = _counts(ga), _counts(gb or [])
        if not counts_a or not counts_b:
            continue
        instr_a, instr_b = float(np.median(counts_a)), float(np.median(counts_b))
        entry_a, entry_b = _entry(ga), _entry(gb or [])
        ratio = instr_b / instr_a
        verdict = instruction_verdict(ratio, threshold)
        wall = timed.get(key[0])
        time_verdict = None if wall is None else str(wall["verdict"])
        row = ga[0]
        l1_a, l1_b = _median_of(ga, "l1_misses"), _median_of(gb or [], "l1_misses")
        ll_a, ll_b = _median_of(ga, "ll_misses"), _median_of(gb or [], "ll_misses")
        records.append(
            {
                "case_id": key[0],
                "case": case_label(row),
                "impl": row.get("impl"),
                "dtype": row.get("dtype"),
                "instructions_a": instr_a,
                "instructions_b": instr_b,
                "ratio": ratio,
                "verdict": verdict,
                "entry_a": entry_a,
                "entry_b": entry_b,
                "entry_ratio": None if not (entry_a and entry_b) else entry_b / entry_a,
                "where": where_text(instr_a, instr_b, entry_a, entry_b),
                "time_ratio": None if wall is None else float(wall["ratio"]),
                "time_verdict": time_verdict,
                "agreement": _agreement(verdict, time_verdict),
                "l1_a": l1_a,
                "l1_b": l1_b,
                "l1_ratio": _ratio(l1_a, l1_b),
                "ll_a": ll_a,
                "ll_b": ll_b,
                "ll_ratio": _ratio(ll_a, ll_b),
            }
        )
    return pd.DataFrame.from_records(records)


def uncounted_impls(a: pd.DataFrame, b: pd.DataFrame) -> list[str]:
    """Implementations with OK rows but no instruction count, on sides that counted some.

    Their cases stay with the wall-time gate; the sweep's run.json says why each has no count
    (``instructions.entry_symbols``: a stripped binary, a worker thread ...).
    """
    if "instructions" not in a or "instructions" not in b:
        return []
    if a["instructions"].isna().all() or b["instructions"].isna().all():
        return []
    names: set[str] = set()
    for frame in (a, b):
        ok = frame[frame["status"] == "ok"] if "status" in frame else frame
        names |= set(ok.loc[ok["instructions"].isna(), "impl"].dropna().astype(str))
    return sorted(names)


__all__ = [
    "DEFAULT_INSTRUCTIONS_THRESHOLD",
    "check_threshold",
    "compare_instructions",
    "instruction_verdict",
    "uncounted_impls",
]
