"""The A/B timing session: environments timed side by side, sample by sample, in rounds of
worker processes, with sequential looks that stop as soon as every case is decided.

One job: given one untimed run per environment (``gfbench sweep --no-timing`` inside each,
which supplies outputs, hashes and accuracy), time every case that succeeded in all of them in
rounds, then write one timed run per environment.

The written rows carry ``processes`` = rounds they received and their samples in round order,
so ``gfbench compare`` splits them back into one unit per round and replays the same looks.

Why: docs/timing.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bench import store
from bench.guard.stats.round_units import PAIRED_MEDIAN, round_units
from bench.guard.stats.sequential_design import Outcome, SequentialDesign, replay, still_open
from bench.guard.stats.verdicts import SLOWER
from bench.outputs import progress
from bench.sweep.cases import Case
from bench.sweep.timing.paired import run_interleaved
from bench.sweep.timing.sampling import TimingSettings, summarize
from bench.sweep.timing.worker import Timer, case_seed

WORKER_TIMEOUT_S = 1800.0
#: per worker: 21 passes over the cases, samples of >= 1 ms (as gfbench sweep, which says why);
#: 21 and not 7: a round's units vary half as much, measured (docs/timing.md, "A round's units")
DEFAULT_SETTINGS = TimingSettings(min_sample_s=0.001, repeats=21, warmup=1)


@dataclasses.dataclass(frozen=True)
class EnvUnderTest:
    """One environment taking part: its label, interpreter, untimed run and runs folder.

    ``env``: the variables of its worker processes (e.g. a matrix's ``--env
    SCIPY_ARRAY_API=1``); None takes ``child_env`` of `interleaved_timing`.
    """

    label: str
    python: Path
    untimed_run: Path
    runs_dir: Path
    env: Mapping[str, str] | None = None


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def rebuild_case(row: dict[str, Any]) -> Case | None:
    """The `Case` of a stored row, or None when it cannot be rebuilt exactly.

    Rows keep ``axes`` (the filtered axes) instead of ``channel_axis``; the rebuilt case
    must hash to the row's ``case_id``, so a mismatch can never time the wrong call.
    """
    axes = _clean(row.get("axes"))
    channel_axis = None
    if axes is not None:
        rest = [i for i in range(int(row["ndim"])) if i not in list(axes)]
        if len(rest) != 1:
            return None
        channel_axis = rest[0]
    sigma = row["sigma"]
    try:
        case = Case(
            impl=row["impl"], dtype=row["dtype"], shape=tuple(row["shape"]),
            sigma=tuple(sigma) if isinstance(sigma, (list, tuple)) else float(sigma),
            mode=row["mode"], truncate=float(row["truncate"]), order=int(row["order"]),
            cval=float(row["cval"]), channel_axis=channel_axis, group=row.get("group") or "",
        )  # fmt: skip
    except (ValueError, TypeError, KeyError):
        return None
    return case if case.case_id == row["case_id"] else None


@dataclasses.dataclass(frozen=True)
class Scenario:
    """A known slowdown applied to the later environment's units (calibration only).

    ``factor`` multiplies the units of the cases it ``applies`` to: every case, or those of
    one ``dtype`` (a row's ``dtype`` label).
    """

    name: str
    factor: float = 1.0
    dtype: str | None = None
    #: calibration of power: once a case is "slower" the pair is flagged (exit 3) whatever the
    #: other cases do, so this scenario keeps no case open after that
    until_flagged: bool = False

    def applies(self, row: Mapping[str, Any]) -> bool:
        return self.dtype is None or row.get("dtype") == self.dtype


AA = Scenario("A/A")


@dataclasses.dataclass
class Session:
    """What an A/B session measured and decided."""

    rounds: int
    seconds: float
    stopped: str  # "all decided" | "max rounds" | "budget"
    outcomes: dict[str, dict[str, Outcome]]  # "<label>" or scenario name -> case_id -> outcome
    affected: dict[str, set[str]]  # scenario name -> the case ids it slowed down
    runs: dict[str, Path]  # label -> timed run written (empty when not written)
    failed: dict[str, str]  # case_id -> why it could not be timed


def _common_cases(envs: Sequence[EnvUnderTest]) -> tuple[dict[str, dict], list[Case], list[str]]:
    rows = {env.label: {r["case_id"]: {k: _clean(v) for k, v in r.items()}
                        for r in store.load(env.untimed_run).to_dict("records")}
            for env in envs}  # fmt: skip
    first = rows[envs[0].label]
    cases, skipped = [], []
    for cid, row in first.items():
        if not all(rows[e.label].get(cid, {}).get("status") == "ok" for e in envs):
            continue
        case = rebuild_case(row)
        if case is None:
            skipped.append(cid)
        else:
            cases.append(case)
    return rows, cases, skipped


def ab_session(
    envs: Sequence[EnvUnderTest],
    *,
    design: SequentialDesign | None = None,
    budget_s: float | None = None,
    settings: TimingSettings | None = None,
    child_env: dict[str, str] | None = None,
    scenarios: Sequence[Scenario] = (),
    write: bool = True,
    log: Callable[[str], None] = progress,
) -> Session:
    """Time the common cases of ``envs`` side by side, round by round, with sequential looks.

    Parameters
    ----------
    envs
        The environments, each with an untimed run of the same grid; the first is the baseline
        every other one is compared with.
    design
        Rounds before the first look, the most rounds, error rate and threshold.
    budget_s
        Start no round that would end after this many seconds (the estimate is the last round's
        time, scaled by the cases still open); None: only ``design.max_rounds`` limits.
    settings
        Samples per worker (``repeats`` passes), minimum sample time and warm-up.
    child_env
        Environment variables of the workers of every environment without ``env`` of its own.
    scenarios
        Calibration: known slowdowns of the last environment's units (two environments only).
    write
        Write one timed run per environment (``runs_dir`` of each).
    """
    # every round times the environments side by side, sample by sample: its units are pairs,
    # made of the samples' pairs
    design = dataclasses.replace(design or SequentialDesign(), paired=True, unit=PAIRED_MEDIAN)
    settings = settings or DEFAULT_SETTINGS
    if budget_s is not None and not (math.isfinite(budget_s) and budget_s > 0):
        raise ValueError(f"budget_s must be > 0, got {budget_s!r}")
    if scenarios and len(envs) != 2:
        raise ValueError("scenarios need exactly two environments")
    child_env = dict(os.environ if child_env is None else child_env)
    rows, cases, skipped = _common_cases(envs)
    for cid in skipped:
        log(f"interleave: {cid} cannot be rebuilt from its row; not timed")
    by_id = {c.case_id: c for c in cases}
    first_rows = rows[envs[0].label]
    affected = {sc.name: {c.case_id for c in cases if sc.applies(first_rows[c.case_id])}
                for sc in scenarios}  # fmt: skip
    samples: dict[tuple[str, str], list[tuple[float, ...]]] = {}
    refs: dict[tuple[str, str], list[float | None]] = {}
    loops: dict[str, int] = {}  # calls per sample of a case, the same in every environment
    failed: dict[str, str] = {}
    outcomes: dict[str, dict[str, Outcome]] = {}
    open_ids = [c.case_id for c in cases]
    base_seed = secrets.randbelow(2**20)
    started = time.perf_counter()
    last_round_s, last_open = None, len(open_ids)
    stopped, rounds_run = "max rounds", 0
    for round_index in range(design.max_rounds):
        if budget_s is not None and last_round_s is not None:
            estimate = last_round_s * len(open_ids) / max(last_open, 1)
            if time.perf_counter() - started + estimate > budget_s:
                stopped = "budget"
                break
        round_started = time.perf_counter()
        todo = [by_id[cid] for cid in open_ids]
        timers = [Timer(env.label, str(env.python),
                        dict(env.env) if env.env is not None else child_env, str(env.runs_dir))
                  for env in envs]  # fmt: skip
        results = run_interleaved(timers, todo, settings, loops=loops,
                                  seed=case_seed(base_seed, round_index),
                                  timeout_s=WORKER_TIMEOUT_S)  # fmt: skip
        for env in envs:
            result = results[env.label]
            for cid, (got, _) in result.units.items():
                samples.setdefault((env.label, cid), []).append(got)
                refs.setdefault((env.label, cid), []).append(result.ref_ns)
            for cid, why in result.errors.items():
                failed.setdefault(cid, f"{env.label}: {why}")
        rounds_run = round_index + 1
        open_before = len(open_ids)
        open_ids = [cid for cid in open_ids if cid not in failed]
        if rounds_run >= design.min_rounds:
            alive = [c.case_id for c in cases if c.case_id not in failed]
            outcomes = _looks(envs, samples, alive, design, scenarios, affected)
            keeping = {name: o for name, o in outcomes.items() if not _flagged(name, o, scenarios)}
            open_ids = [cid for cid in open_ids
                        if any(still_open(o, [cid]) for o in keeping.values())]  # fmt: skip
        last_round_s, last_open = time.perf_counter() - round_started, open_before
        log(f"interleave: round {rounds_run}: {len(open_ids)} of {len(cases)} cases still open "
            f"({time.perf_counter() - started:.0f} s)")  # fmt: skip
        if len(envs) == 1 and rounds_run >= design.min_rounds:
            stopped = "one environment: nothing to decide"
            break
        if not open_ids:
            stopped = "all decided"
            break
    seconds = time.perf_counter() - started
    session = Session(rounds_run, seconds, stopped, outcomes, affected, {}, failed)
    if write:
        about = {"budget_s": budget_s, "stopped": stopped, "rounds_run": rounds_run,
                 "seconds": round(seconds, 1)}  # fmt: skip
        session.runs = _write_runs(
            envs, rows, samples, refs, loops, failed, settings, design, about
        )
    return session


def _flagged(name: str, outcomes: Mapping[str, Outcome], scenarios: Sequence[Scenario]) -> bool:
    """A scenario that stops once its pair is flagged, and is."""
    stops = any(sc.name == name and sc.until_flagged for sc in scenarios)
    return stops and any(o.decision.verdict == SLOWER for o in outcomes.values())


def _pair_units(samples: Mapping[tuple[str, str], list[tuple[float, ...]]], base: str,
                other: str, cid: str, unit: str) -> tuple[list[float], list[float]]:  # fmt: skip
    return round_units(samples.get((base, cid), []), samples.get((other, cid), []), unit)


def _looks(envs, samples, case_ids, design, scenarios, affected) -> dict[str, dict[str, Outcome]]:
    """Replay the looks for every (baseline, other) pair, or for every calibration scenario."""
    base = envs[0].label
    result: dict[str, dict[str, Outcome]] = {}
    if scenarios:
        other = envs[1].label
        for sc in scenarios:
            hit = affected[sc.name]
            units = {}
            for cid in case_ids:
                a, b = _pair_units(samples, base, other, cid, design.unit)
                units[cid] = (a, [u * (sc.factor if cid in hit else 1.0) for u in b])
            result[sc.name] = replay(units, design)
        return result
    for env in envs[1:]:
        units = {cid: _pair_units(samples, base, env.label, cid, design.unit) for cid in case_ids}
        result[env.label] = replay(units, design)
    return result


def timed_row(
    row: Mapping[str, Any],
    *,
    chunks: Sequence[Sequence[float]] | None,
    loops: int | None,
    refs: Sequence[float | None] | None,
    failure: str | None = None,
) -> store.Row:
    """The timed `Row` of one case: its untimed row (as read back through pandas: an int
    column with a missing value holds floats, ``channels`` 3.0; ``Row`` normalises them with
    the reader's rules) with the session's units, one chunk of samples per round."""
    fields = {k: row.get(k) for k in store.Row.field_names() if k in row}
    if chunks and failure is None:
        flat = [s for chunk in chunks for s in chunk]
        fields.update(summarize(flat, loops=loops, processes=len(chunks)))
        got = list(refs or [None])
        fields["ref_ns"] = None if any(r is None for r in got) else got
        seconds = fields["min_ns"] / 1e9
        for name, amount in (("gbytes_per_s", fields.get("bytes_moved")),
                             ("gflops_per_s", fields.get("flops"))):  # fmt: skip
            fields[name] = None if not amount else amount / seconds / 1e9
    elif failure is not None and row.get("status") == "ok":
        fields.update(status="error", reason=failure[:500])
    return store.Row(**fields)


def _write_runs(envs, rows, samples, refs, loops, failed, settings, design,
                session_meta) -> dict[str, Path]:  # fmt: skip
    written: dict[str, Path] = {}
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    for env in envs:
        meta = store.load_run_meta(env.untimed_run)
        for name in ("schema_version", "run_id", "status", "finished_at"):
            meta.pop(name, None)
        meta["started_at"] = store.utc_now()
        meta["timing"] = {"enabled": True, **settings.to_dict(), "method": "workers",
                          "processes": session_meta["rounds_run"],
                          "interleaved": {"environments": [e.label for e in envs],
                                          "rounds": session_meta["rounds_run"],
                                          "order": "sample by sample, shuffled per case"},
                          "sequential": {**design.to_dict(), **session_meta},
                          "untimed_run": str(env.untimed_run)}  # fmt: skip
        run = store.RunStore.create(env.runs_dir, f"{stamp}-interleaved", meta)
        for case_id, row in rows[env.label].items():
            chunks = samples.get((env.label, case_id))
            run.append(timed_row(
                row, chunks=chunks, loops=loops.get(case_id),
                refs=refs.get((env.label, case_id)), failure=failed.get(case_id),
            ))  # fmt: skip
        run.finish("complete", interleave_failures={cid: why for cid, why in failed.items()})
        written[env.label] = run.run_dir
    return written


def interleaved_timing(
    envs: Sequence[EnvUnderTest],
    *,
    design: SequentialDesign | None = None,
    budget_s: float | None = None,
    settings: TimingSettings | None = None,
    child_env: dict[str, str] | None = None,
    log: Callable[[str], None] = progress,
) -> dict[str, Path]:
    """`ab_session` for ``gfbench matrix``: returns label -> the timed run written."""
    return ab_session(envs, design=design, budget_s=budget_s, settings=settings,
                      child_env=child_env, log=log).runs  # fmt: skip
