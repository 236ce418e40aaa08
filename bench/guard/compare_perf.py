"""The performance half of ``gfbench compare``: per-case time ratios through the gate.

Turns the timed rows of two sides into one row per case (ratio B/A, its confidence
interval, p and Benjamini-Hochberg q, verdict) with the worker process as the unit
(`bench.guard.gate`), and says whether two sides were timed in alternating worker
processes (`time_matched`), which relaxes the gate's steadiness rule.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bench.guard import gate
from bench.guard.changes import case_label, group_rows, is_null, row_key_columns
from bench.guard.compare_inputs import Side


def _process_groups(row: dict[str, Any]) -> tuple[list[list[float]] | None, list[float]]:
    """(samples grouped by worker process or None when unknown, all samples) of one row."""
    samples = row.get("samples_ns")
    if samples is None or (isinstance(samples, float) and math.isnan(samples)):
        return None, []
    samples = [float(s) for s in samples]
    if not samples:
        return None, []
    processes = row.get("processes")
    # processes == 0 means "timed in the sweep's own process": one process all the same
    processes = 1 if is_null(processes) else max(1, int(processes))
    if processes == 1:
        return [samples], samples
    if len(samples) % processes == 0:
        # bench.sweep.timing.time_in_processes pools the workers' samples in process order,
        # `repeats` per process, so consecutive equal chunks are the processes.
        per = len(samples) // processes
        return [samples[i : i + per] for i in range(0, len(samples), per)], samples
    return None, samples  # several processes, grouping unknown: samples only


def _worst(*values: Any) -> float | None:
    found = [float(v) for v in values if not is_null(v)]
    return max(found) if found else None


@dataclass(frozen=True)
class SideTiming:
    """The timing of one case on one side, all rounds merged."""

    minima: tuple[float, ...]  # one per worker process; empty when grouping is unknown
    samples: tuple[float, ...]
    within_cv: float | None  # largest stdev/mean of the samples of one process


def side_units(group: Sequence[dict[str, Any]]) -> SideTiming:
    """Merge the rounds of one case on one side.

    A round whose process grouping is unknown makes the minima unusable, so they
    are dropped and the comparison falls back to samples for this case.
    """
    minima: list[float] = []
    samples: list[float] = []
    cvs: list[float] = []
    known = True
    for row in group:
        groups, pooled = _process_groups(row)
        samples.extend(pooled)
        if pooled and groups is None:
            known = False
            groups = [pooled]  # one noise estimate from the pool is all there is
        for g in groups or []:
            minima.append(min(g))
            if len(g) >= 2:
                cvs.append(float(np.std(g, ddof=1) / np.mean(g)))
    return SideTiming(
        minima=tuple(minima) if known else (),
        samples=tuple(samples),
        within_cv=max(cvs) if cvs else None,
    )


def compare_run_performance(
    a: pd.DataFrame,
    b: pd.DataFrame,
    *,
    threshold: float = gate.DEFAULT_THRESHOLD,
    alpha: float = gate.DEFAULT_ALPHA,
    time_matched: bool = False,
) -> pd.DataFrame:
    """One row per case timed OK on both sides: ratio, CI, p, q, verdict.

    The q-values control the false discovery rate across all the cases of this
    comparison (Benjamini-Hochberg). ``time_matched``: the two sides were timed in
    alternating worker processes (``bench.guard.interleave``), so a busy phase of the machine
    hit both alike and the within-process steadiness rule of the gate is not needed.
    """
    keys = row_key_columns(a, b)
    ok_a = a[a["status"] == "ok"] if "status" in a else a
    ok_b = b[b["status"] == "ok"] if "status" in b else b
    groups_b = group_rows(ok_b, keys)
    records = []
    for key, ga in group_rows(ok_a, keys).items():
        gb = groups_b.get(key)
        if gb is None:
            continue
        side_a, side_b = side_units(ga), side_units(gb)
        if not side_a.samples or not side_b.samples:
            continue  # --no-timing run
        units_a, units_b = gate.choose_units(
            side_a.minima, side_a.samples, side_b.minima, side_b.samples
        )
        est = gate.estimate_ratio(units_a, units_b, alpha=alpha)
        row = ga[0]
        records.append(
            {
                "case_id": key[0],
                "host": key[1] if len(key) > 1 else None,
                "case": case_label(row),
                "family": row.get("family"),
                "impl": row.get("impl"),
                "dtype": row.get("dtype"),
                "best_a_ns": min(side_a.samples),
                "best_b_ns": min(side_b.samples),
                "within_cv_a": side_a.within_cv,
                "within_cv_b": side_b.within_cv,
                "ratio": est.ratio,
                "ci_low": est.ci_low,
                "ci_high": est.ci_high,
                "p_value": est.p_value,
                "n_a": est.n_a,
                "n_b": est.n_b,
                "unit": est.unit,
                "_est": est,
            }
        )
    frame = pd.DataFrame.from_records(records)
    if frame.empty:
        return frame
    frame["q_value"] = gate.fdr_qvalues(frame["p_value"].to_numpy())
    decided = [
        gate.verdict(
            e,
            q,
            threshold=threshold,
            alpha=alpha,
            within_cv=None if time_matched else _worst(cv_a, cv_b),
        )
        for e, q, cv_a, cv_b in zip(
            frame["_est"],
            frame["q_value"],
            frame["within_cv_a"],
            frame["within_cv_b"],
            strict=True,
        )
    ]
    frame["verdict"] = [v for v, _ in decided]
    frame["reason"] = [r for _, r in decided]
    return frame.drop(columns="_est")


def _interleaved_run_ids(side: Side) -> tuple[set[str], bool]:
    """(ids of the side's interleaved runs, whether every timed run is one of them)."""
    interleaved, all_timed_interleaved = set(), True
    for meta in side.metas:
        timing = meta.get("timing") or {}
        if timing.get("interleaved"):
            interleaved.add(str(meta.get("run_id")))
        elif timing.get("enabled", True):
            all_timed_interleaved = False
    return interleaved, all_timed_interleaved


def time_matched(a: Side, b: Side) -> bool:
    """True when every timed round of both sides comes from one interleaved session.

    ``bench.guard.interleave`` names the runs of all environments of a session alike, so equal
    run ids mean the two sides' worker processes alternated in time.
    """
    ids_a, only_a = _interleaved_run_ids(a)
    ids_b, only_b = _interleaved_run_ids(b)
    return bool(ids_a) and ids_a == ids_b and only_a and only_b
