"""The performance half of ``gfbench compare``: per-case time ratios through the gate.

Turns the timed rows of two sides into one row per case (ratio B/A, its confidence
interval, one-sided p-values, Benjamini-Hochberg q, rounds used, verdict and why) with the
worker process as the unit (`bench.guard.stats.verdicts`). It says whether two sides were timed in
alternating worker processes (`time_matched`), replays their session's sequential looks
(`sequential_design`), and, for two runs that were not interleaved, how far the reference
workload every worker timed moved between them (`drift_factor`).

Why: docs/timing.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bench.guard.compare.rows import case_fields, group_rows, is_null, row_key_columns
from bench.guard.compare.sides import Side
from bench.guard.stats import verdicts as gate
from bench.guard.stats.one_look import Decision, LookPlan, decide
from bench.guard.stats.round_units import MIN, WORDS, round_units
from bench.guard.stats.sequential_design import UNDECIDED, SequentialDesign, replay


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
        # bench.sweep.timing.sampling.time_in_processes pools the workers' samples in process order,
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
    rounds: tuple[tuple[float, ...], ...]  # each process's samples; empty when minima are
    within_cv: float | None  # largest stdev/mean of the samples of one process
    refs: tuple[float, ...] | None  # reference-workload time per worker, aligned with minima


def _refs_of(row: dict[str, Any], n_groups: int) -> list[float] | None:
    refs = row.get("ref_ns")
    if refs is None or isinstance(refs, float) or len(refs) != n_groups:
        return None
    values = [float(r) for r in refs]
    return values if all(math.isfinite(r) and r > 0 for r in values) else None


def side_units(group: Sequence[dict[str, Any]]) -> SideTiming:
    """Merge the rounds of one case on one side.

    A round whose process grouping is unknown makes the minima unusable, so they
    are dropped and the comparison falls back to samples for this case.
    """
    minima: list[float] = []
    samples: list[float] = []
    rounds: list[tuple[float, ...]] = []
    cvs: list[float] = []
    refs: list[float] | None = []
    known = True
    for row in group:
        groups, pooled = _process_groups(row)
        samples.extend(pooled)
        if pooled and groups is None:
            known = False
            groups = [pooled]  # one noise estimate from the pool is all there is
        got = _refs_of(row, len(groups or []))
        refs = None if refs is None or got is None else [*refs, *got]
        for g in groups or []:
            minima.append(min(g))
            rounds.append(tuple(g))
            if len(g) >= 2:
                cvs.append(float(np.std(g, ddof=1) / np.mean(g)))
    return SideTiming(
        minima=tuple(minima) if known else (),
        samples=tuple(samples),
        rounds=tuple(rounds) if known else (),
        within_cv=max(cvs) if cvs else None,
        refs=tuple(refs) if known and refs else None,
    )


def drift_factor(a: Sequence[SideTiming], b: Sequence[SideTiming]) -> float | None:
    """How much slower the machine ran the reference workload for B than for A (or None).

    Geometric mean of B's worker reference times over A's, across every case that has them
    on both sides; None unless every timed case has them.
    """
    log_a = [math.log(r) for t in a if t.refs for r in t.refs]
    log_b = [math.log(r) for t in b if t.refs for r in t.refs]
    if not log_a or not log_b or any(not t.refs for t in (*a, *b)):
        return None
    return math.exp(float(np.mean(log_b)) - float(np.mean(log_a)))


def compare_run_performance(
    a: pd.DataFrame,
    b: pd.DataFrame,
    *,
    threshold: float = gate.DEFAULT_THRESHOLD,
    alpha: float = gate.DEFAULT_ALPHA,
    time_matched: bool = False,
    design: SequentialDesign | None = None,
    drift: bool = False,
) -> pd.DataFrame:
    """One row per case timed OK on both sides: ratio, interval, verdict and why.

    ``design``: the two sides come from one sequential A/B session (``time_matched``); its
    looks are replayed (`bench.guard.stats.sequential_design.replay`), so every case gets the
    verdict the session
    reached and the rounds it used. Otherwise all the units are one look at ``alpha``
    (`bench.guard.stats.one_look.decide`: Welch on log units, BH across cases, "same" when the
    interval lies within the threshold). ``drift``: the two runs were timed at different times
    with the same NumPy: the reference workload's move between them (``attrs["drift"]``) is
    measured, and where it moved by the threshold or more, no case is called slower or faster
    (the machine changed speed; only an A/B session can tell code from machine).
    ``time_matched``: the two sides were timed in alternating worker processes, so the
    within-process steadiness rule of the gate is not needed.
    """
    keys = row_key_columns(a, b)
    ok_a = a[a["status"] == "ok"] if "status" in a else a
    ok_b = b[b["status"] == "ok"] if "status" in b else b
    groups_b = group_rows(ok_b, keys)
    timed: dict[Any, tuple[dict[str, Any], SideTiming, SideTiming]] = {}
    for key, ga in group_rows(ok_a, keys).items():
        gb = groups_b.get(key)
        if gb is None:
            continue
        side_a, side_b = side_units(ga), side_units(gb)
        if side_a.samples and side_b.samples:  # else a --no-timing run
            timed[key] = (ga[0], side_a, side_b)
    if not timed:
        return pd.DataFrame()
    moved = None
    if drift and all(ta.refs and tb.refs for _, ta, tb in timed.values()):
        sides = list(timed.values())
        moved = drift_factor([ta for _, ta, _ in sides], [tb for _, _, tb in sides])
    units: dict[Any, tuple[list[float], list[float]]] = {}
    kinds: dict[Any, str] = {}
    unpaired: list[Any] = []
    for key, (_, ta, tb) in timed.items():
        if len(ta.minima) >= 2 and len(tb.minima) >= 2:
            kinds[key] = gate.UNIT_PROCESS
            # a session's own units; rounds that do not pair (an edited file): minima
            (unit_a, unit_b), as_recorded = case_units([ta, tb], design.unit if design else MIN)
            units[key] = (unit_a, unit_b)
            if not as_recorded:
                unpaired.append(key)
        else:
            kinds[key] = gate.UNIT_SAMPLE
            units[key] = (list(ta.samples), list(tb.samples))
    if design is not None:
        outcomes = replay(units, design)
        decisions = {k: (o.decision, o.rounds) for k, o in outcomes.items()}
    else:
        plan = LookPlan(max_looks=1, alpha=alpha)
        one = decide(units, look=1, plan=plan, threshold=threshold)
        decisions = {k: (d, min(len(units[k][0]), len(units[k][1]))) for k, d in one.items()}
    records = []
    for key, (row, ta, tb) in timed.items():
        if key not in decisions:
            continue  # fewer units than the session's first look
        decision, rounds = decisions[key]
        verdict, reason = _final_verdict(
            decision, kinds[key], None if time_matched else _worst(ta.within_cv, tb.within_cv),
            threshold,
        )  # fmt: skip
        machine_moved = moved is not None and abs(math.log(moved)) >= math.log1p(threshold)
        if machine_moved and verdict in (gate.SLOWER, gate.FASTER):
            verdict, reason = (
                gate.INCONCLUSIVE,
                (
                    f"ratio {decision.ratio:.2f}, but the machine itself ran the reference "
                    f"workload {moved:.2f}x as long in B: timed at different times, a machine "
                    "that changed speed cannot be told from a change of code (gfbench matrix "
                    "re-times both side by side)"
                ),
            )
        records.append(
            {
                **case_fields(key, row),
                "best_a_ns": min(ta.samples),
                "best_b_ns": min(tb.samples),
                "within_cv_a": ta.within_cv,
                "within_cv_b": tb.within_cv,
                "ratio": decision.ratio,
                "ci_low": decision.ci_low,
                "ci_high": decision.ci_high,
                "ci_level": decision.level,
                "p_slower": decision.p_slower,
                "p_faster": decision.p_faster,
                "q_value": decision.q_value,
                "look": decision.look,
                "rounds": rounds,
                "n_a": decision.n_a,
                "n_b": decision.n_b,
                "unit": kinds[key],
                "verdict": verdict,
                "reason": reason,
            }
        )
    frame = pd.DataFrame.from_records(records)
    if moved is not None:
        frame.attrs["drift"] = moved
    # the session's rounds of these cases do not pair pass by pass: replayed on minima
    named = sorted(str(timed[k][0].get("case_id", k)) for k in unpaired if k in decisions)
    if named:
        frame.attrs["unpaired"] = named
    return frame


def case_units(timings: Sequence[SideTiming], unit: str) -> tuple[list[list[float]], bool]:
    """Each side's per-round units of one case (sides in order, the first is the baseline), and
    whether they are in ``unit``.

    Paired units need every side's rounds to pair with the baseline's; otherwise (False), and
    for the ``min`` unit, each side's minima (or, without process grouping, its samples).
    """
    if unit != MIN and timings and all(t.rounds for t in timings):
        try:
            paired = [round_units(timings[0].rounds, t.rounds, unit) for t in timings]
        except ValueError:
            pass
        else:
            return [paired[0][0], *(b for _, b in paired[1:])], True
    return [list(t.minima) or list(t.samples) for t in timings], unit == MIN


def unpaired_words(case_ids: Sequence[str]) -> str:
    """The timing note's words for the cases replayed on minima (``attrs["unpaired"]``)."""
    shown = ", ".join(case_ids[:5]) + (", ..." if len(case_ids) > 5 else "")
    return (
        f"; {len(case_ids)} case(s) whose stored rounds do not pair pass by pass (not as the "
        f"session wrote them) were replayed on {WORDS[MIN]} ({shown})"
    )


def _final_verdict(
    decision: Decision, unit: str, within_cv: float | None, threshold: float
) -> tuple[str, str]:
    """The sequential decision in compare's words, with the gate's two safety rules."""
    if decision.verdict == UNDECIDED:
        return gate.INCONCLUSIVE, decision.reason
    limit = math.log1p(threshold)
    beyond = abs(math.log(decision.ratio)) >= limit
    if decision.verdict in (gate.SLOWER, gate.FASTER) and unit == gate.UNIT_SAMPLE:
        # Samples of one process share that process's luck: the evidence says nothing about
        # the between-process swing (up to 1.7x here), so no verdict.
        return gate.INCONCLUSIVE, (
            f"ratio {decision.ratio:.2f}, but one worker process per side: between-process "
            "noise is unmeasured (sweep --processes 3, or matrix)"
        )
    if within_cv is not None and within_cv >= gate.UNSTEADY_CV and beyond:
        # A/A runs on the loaded 2-core VM: every false "3x slower" had samples of one
        # process varying by 10-100%; only its unsteadiness gives a load phase away.
        return gate.INCONCLUSIVE, (
            f"ratio {decision.ratio:.2f}, but unsteady: samples of one process vary by "
            f"{within_cv:.0%} (>= {gate.UNSTEADY_CV:.0%}); the machine was busy"
        )
    return decision.verdict, decision.reason


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

    ``bench.guard.ab_session`` names the runs of all environments of a session alike, so equal
    run ids mean the two sides' worker processes alternated in time.
    """
    ids_a, only_a = _interleaved_run_ids(a)
    ids_b, only_b = _interleaved_run_ids(b)
    return bool(ids_a) and ids_a == ids_b and only_a and only_b


def sequential_design(a: Side, b: Side) -> SequentialDesign | None:
    """The sequential design both sides' A/B session recorded (None when absent or unequal)."""
    designs = set()
    for side in (a, b):
        for meta in side.metas:
            timing = meta.get("timing") or {}
            if timing.get("enabled", True) is False:
                continue
            design = SequentialDesign.from_dict(timing.get("sequential"))
            if design is None:
                return None
            designs.add(design)
    return designs.pop() if len(designs) == 1 else None
