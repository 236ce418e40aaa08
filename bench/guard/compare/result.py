"""The comparison model: a baseline against each other side, and its exit code.

`compare` is the Python API of ``gfbench compare``: it loads the sides
(`bench.guard.compare.sides`), compares each against the first (`compare_sides`:
correctness and API probes from `bench.guard.compare.correctness`, timing from
`bench.guard.compare.timing`, native peak memory from `bench.guard.compare.memory`,
instruction counts from `bench.guard.compare.instructions`) and returns a `Comparison`, whose
exit code is the verb's.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from bench.exitcodes import ExitCode, UsageError
from bench.guard.compare import timing as session_timing
from bench.guard.compare.correctness import (
    CHANGE_KINDS_FAILING,
    compare_run_correctness,
    compare_verify,
    verify_tests,
)
from bench.guard.compare.instructions import (
    DEFAULT_INSTRUCTIONS_THRESHOLD,
    check_threshold,
    compare_instructions,
    uncounted_impls,
)
from bench.guard.compare.memory import (
    DEFAULT_MEMORY_THRESHOLD,
    MORE,
    compare_sides_memory,
    memory_counts,
    validate_memory_threshold,
)
from bench.guard.compare.sides import Side, load_sides
from bench.guard.compare.timing import compare_run_performance, sequential_design, time_matched
from bench.guard.compare.where import DEFAULT_WHERE_TOP, check_where_top, where_lists
from bench.guard.stats import round_units
from bench.guard.stats import verdicts as gate
from bench.guard.stats.sequential_design import SequentialDesign
from bench.store.safe_text import one_line

DEFAULT_MAX_INCONCLUSIVE = 0.05


@dataclass
class PairResult:
    """Baseline vs one other side."""

    baseline: str
    other: str
    environment: dict[str, Any]
    changes: list[dict[str, Any]] = field(default_factory=list)
    api: list[dict[str, Any]] = field(default_factory=list)
    perf: pd.DataFrame = field(default_factory=pd.DataFrame)
    memory: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: per case counted on both sides (``--metric instructions``): the deterministic verdict;
    #: such cases are decided by it, and their wall-time verdict is only reported beside
    instructions: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: per case "slower" on instructions: the functions whose counts changed most, A vs B
    #: (``bench.guard.compare.where``)
    where: list[dict[str, Any]] = field(default_factory=list)
    cases_compared: int = 0
    max_inconclusive: float = DEFAULT_MAX_INCONCLUSIVE
    notes: list[str] = field(default_factory=list)
    #: cases the A/B session could not time on either side (case id -> why): undecided, so
    #: they count as inconclusive; a session that timed nothing is no "ok"
    not_timed: dict[str, str] = field(default_factory=dict)

    @property
    def failing_changes(self) -> list[dict[str, Any]]:
        return [c for c in self.changes if c["kind"] in CHANGE_KINDS_FAILING]

    def verdict_counts(self, *, gated: bool = False) -> dict[str, int]:
        """Wall-time verdicts; ``gated``: only of the cases wall time decides (not counted)."""
        counts = dict.fromkeys(gate.VERDICTS, 0)
        perf = self.perf
        if gated and not perf.empty and not self.instructions.empty:
            perf = perf[~perf["case_id"].isin(set(self.instructions["case_id"]))]
        if not perf.empty:
            for name, n in perf["verdict"].value_counts().items():
                counts[str(name)] = int(n)
        return counts

    def instruction_counts(self) -> dict[str, int]:
        counts = dict.fromkeys((gate.SLOWER, gate.FASTER, gate.SAME), 0)
        if not self.instructions.empty:
            for name, n in self.instructions["verdict"].value_counts().items():
                counts[str(name)] = int(n)
        return counts

    def memory_counts(self) -> dict[str, int]:
        return memory_counts(self.memory)

    @property
    def regressions(self) -> list[str]:
        """What regressed: "instructions" (a counted case does more work), "time" (a case wall
        time decides is slower), "memory" (a case needs more memory); empty: nothing did."""
        found = []
        if self.instruction_counts()[gate.SLOWER]:
            found.append("instructions")
        if self.verdict_counts(gated=True)[gate.SLOWER]:
            found.append("time")
        if self.memory_counts()[MORE]:
            found.append("memory")
        return found

    @property
    def inconclusive_fraction(self) -> float:
        counts = self.verdict_counts(gated=True)
        timed = sum(counts.values()) + len(self.not_timed)
        return (counts[gate.INCONCLUSIVE] + len(self.not_timed)) / timed if timed else 0.0

    @property
    def exit_code(self) -> ExitCode:
        if self.failing_changes:
            return ExitCode.CHANGED
        if self.regressions:
            return ExitCode.PERF_REGRESSION
        if self.inconclusive_fraction > self.max_inconclusive:
            return ExitCode.INCONCLUSIVE
        return ExitCode.OK

    def to_dict(self) -> dict[str, Any]:
        perf = [] if self.perf.empty else json.loads(self.perf.to_json(orient="records"))
        memory = [] if self.memory.empty else json.loads(self.memory.to_json(orient="records"))
        return {
            "baseline": self.baseline,
            "other": self.other,
            "environment": self.environment,
            "cases_compared": self.cases_compared,
            "changes": self.changes,
            "api_differences": self.api,
            "performance": perf,
            "instructions": []
            if self.instructions.empty
            else json.loads(self.instructions.to_json(orient="records")),
            "instruction_verdict_counts": self.instruction_counts(),
            "where": self.where,
            "verdict_counts": self.verdict_counts(),
            "not_timed": self.not_timed,
            "inconclusive_fraction": self.inconclusive_fraction,
            "memory": memory,
            "memory_counts": self.memory_counts(),
            "regressions": self.regressions,
            "notes": self.notes,
            "exit_code": int(self.exit_code),
        }


@dataclass
class Comparison:
    """All sides and the pairwise results (each side against the first)."""

    sides: list[Side]
    pairs: list[PairResult]
    threshold: float
    alpha: float
    memory_threshold: float = DEFAULT_MEMORY_THRESHOLD
    #: which factor (SciPy or numpy) explains each change, when numpy varies across the sides
    #: (set by bench.guard.compare.factors.attach_factors)
    factors: dict[str, Any] | None = None

    @property
    def exit_code(self) -> ExitCode:
        codes = {p.exit_code for p in self.pairs}
        for code in (ExitCode.CHANGED, ExitCode.PERF_REGRESSION, ExitCode.INCONCLUSIVE):
            if code in codes:
                return code
        return ExitCode.OK

    def to_dict(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "alpha": self.alpha,
            "memory_threshold": self.memory_threshold,
            "sides": [
                {
                    "label": s.label,
                    "path": s.path,
                    "versions": s.versions,
                    "hosts": s.hosts,
                    "rounds": len(s.metas),
                    "has_verify": s.verify is not None,
                    "built_from": s.built_from,
                    "env_vars": s.env_vars,
                }
                for s in self.sides
            ],
            "comparisons": [p.to_dict() for p in self.pairs],
            "regressions": list(dict.fromkeys(r for p in self.pairs for r in p.regressions)),
            "factors": self.factors,
            "exit_code": int(self.exit_code),
            "exit_meaning": self.exit_code.name.lower(),
        }


def _environment_diff(a: Side, b: Side) -> dict[str, Any]:
    va, vb = a.versions, b.versions
    # only what both sides record: a matrix env lists the harness' dependencies, a run the
    # peers; a package missing on one side is not a version change
    versions = {
        k: {"a": va[k], "b": vb[k]}
        for k in sorted({*va} & {*vb})
        if va[k] is not None and vb[k] is not None and va[k] != vb[k]
    }
    out: dict[str, Any] = {"versions": versions}
    if a.env_vars != b.env_vars:
        out["env_vars"] = {"a": a.env_vars, "b": b.env_vars}
    if a.hosts != b.hosts:
        out["hosts"] = {"a": a.hosts, "b": b.hosts}
    if a.cpu_model != b.cpu_model:
        out["cpu_model"] = {"a": a.cpu_model, "b": b.cpu_model}
    commits = [sorted({str(m.get("git_commit")) for m in side.metas}) for side in (a, b)]
    if a.metas and b.metas and commits[0] != commits[1]:
        out["harness_commit"] = {"a": commits[0], "b": commits[1]}
    return out


def _not_timed(a: Side, b: Side, perf: pd.DataFrame) -> dict[str, str]:
    """Cases of both sides that a session of either could not time, and that got no verdict."""
    failed = {**b.timing_failures, **a.timing_failures}
    if not failed or a.frame is None or b.frame is None:
        return {}
    decided = set(perf["case_id"]) if not perf.empty else set()
    common = set(a.frame["case_id"]) & set(b.frame["case_id"])
    return {cid: why for cid, why in failed.items() if cid in common and cid not in decided}


def _busy_note(side: Side) -> str | None:
    """A note when a side's runs were measured on an overloaded machine (run.json)."""
    worst = None
    for meta in side.metas:
        cores = (meta.get("cpu") or {}).get("cores_logical") or 0
        for key in ("load_average", "load_average_end"):
            load = meta.get(key)
            if isinstance(load, (list, tuple)) and load and cores:
                worst = max(worst or 0.0, float(load[0]) / cores)
    if worst is not None and worst > 1.0:
        return (f"{side.label} was measured with a load average of {worst:.1f}x its cores: "
                "expect noisy timings (inconclusive cases)")  # fmt: skip
    return None


def _timing_note(
    perf: pd.DataFrame,
    matched: bool,
    design: SequentialDesign | None,
    numpy_differs: bool,
    threshold: float = gate.DEFAULT_THRESHOLD,
) -> str:
    """How the two sides were timed, and so what the verdicts rest on."""
    if matched and design is not None:
        rounds = perf["rounds"]
        unpaired = perf.attrs.get("unpaired") or []
        return (
            f"timing: one A/B session, side by side sample by sample, paired by round "
            f"({round_units.WORDS[design.unit]}); sequential "
            f"looks after {design.min_rounds} rounds and every round up to {design.max_rounds} "
            f"({design.plan().describe()}); rounds used per case {int(rounds.min())}"
            f"..{int(rounds.max())}"
        ) + (session_timing.unpaired_words(unpaired) if unpaired else "")
    if matched:
        return "timing: interleaved worker processes (A B, B A, ...): time-matched"
    moved = perf.attrs.get("drift")
    if moved is not None:
        reference = (
            f"the reference workload ran {moved:.3f}x as long in B"
            + (
                ", so no case is called slower or faster"
                if abs(math.log(moved)) >= math.log1p(threshold)
                else ", which does not show that the machine ran the cases alike"
            )
            + "; "
        )
    elif numpy_differs:
        reference = "different NumPy versions: the reference workload is not compared; "
    else:
        reference = ""
    return (
        "timing: the two sides were timed at different times: raw worker minima, one look; "
        f"{reference}only an A/B session (gfbench matrix: both re-timed side by side) decides "
        "across time (identical code swept minutes apart moves by tens of percent on a shared "
        "machine: scripts/measure_drift.py)"
    )


def compare_sides(
    a: Side,
    b: Side,
    *,
    threshold: float = gate.DEFAULT_THRESHOLD,
    alpha: float = gate.DEFAULT_ALPHA,
    max_inconclusive: float = DEFAULT_MAX_INCONCLUSIVE,
    memory_threshold: float = DEFAULT_MEMORY_THRESHOLD,
    instructions_threshold: float = DEFAULT_INSTRUCTIONS_THRESHOLD,
    where_top: int = DEFAULT_WHERE_TOP,
) -> PairResult:
    """Compare side ``b`` against baseline ``a`` (correctness, API probes, time, memory,
    instruction counts, and where a case slower on instructions did its extra work)."""
    result = PairResult(
        baseline=a.label,
        other=b.label,
        environment=_environment_diff(a, b),
        max_inconclusive=max_inconclusive,
    )
    if "cpu_model" in result.environment or "hosts" in result.environment:
        result.notes.append("different machines: timing ratios mix code and hardware")
    if "harness_commit" in result.environment:
        result.notes.append(
            "the runs come from different gfbench commits: an output change may be the "
            "harness's (inputs, hashing), not SciPy's"
        )
    shares_verify = a.verify is not None and b.verify is not None
    shares_runs = a.frame is not None and b.frame is not None
    if not (shares_verify or shares_runs):
        raise UsageError(
            f"compare: {a.label} ({_kind_text(a)}) and {b.label} ({_kind_text(b)}) are of "
            "different kinds; compare runs with runs and verify results with verify results"
        )
    if shares_verify:
        changes, api = compare_verify(a.verify, b.verify)
        result.changes.extend(changes)
        result.api.extend(api)
        result.cases_compared += len(
            set(verify_tests(a.verify, None)) & set(verify_tests(b.verify, None))
        )
    elif (a.verify is None) != (b.verify is None):
        result.notes.append(
            "only one side has a verify result: golden cases and probes not compared"
        )
    if a.frame is not None and b.frame is not None:
        result.changes.extend(compare_run_correctness(a.frame, b.frame))
        result.cases_compared += len(set(a.frame["case_id"]) & set(b.frame["case_id"]))
        matched = time_matched(a, b)
        design = sequential_design(a, b) if matched else None
        numpy_differs = "numpy" in result.environment.get("versions", {})
        result.perf = compare_run_performance(
            a.frame, b.frame, threshold=threshold, alpha=alpha, time_matched=matched,
            design=design, drift=not matched and not numpy_differs,
        )  # fmt: skip
        result.not_timed = _not_timed(a, b, result.perf)
        if result.not_timed:
            first = next(iter(result.not_timed.values()))
            result.notes.append(
                f"timing: {len(result.not_timed)} case(s) could not be timed in the A/B session "
                f"and count as inconclusive; the first: {one_line(first, 300)}"
            )
        result.memory, memory_notes = compare_sides_memory(a, b, threshold=memory_threshold)
        result.notes.extend(memory_notes)
        if not result.perf.empty:
            # the load matters only to wall time: untimed and counted runs get no such note
            result.notes.extend(n for side in (a, b) if (n := _busy_note(side)) is not None)
        if not result.perf.empty:  # untimed runs (matrix --timing none) get no timing note
            result.notes.append(
                _timing_note(result.perf, matched, design, numpy_differs, threshold)
            )
        if not result.perf.empty and (result.perf["unit"] == gate.UNIT_SAMPLE).any():
            result.notes.append(
                "some cases have fewer than 2 worker processes per side: samples are the "
                "unit there, so between-process noise is not measured (use --processes >= 3 "
                "or matrix --rounds >= 3)"
            )
        scopes = [_instruction_scopes(side) for side in (a, b)]
        if scopes[0] and scopes[1] and scopes[0] != scopes[1]:
            result.notes.append(
                f"instructions: not compared, the sides counted different things ({a.label}: "
                f"{'/'.join(sorted(scopes[0]))}, {b.label}: {'/'.join(sorted(scopes[1]))}; "
                "'call' is the whole call, 'entry' only the native entry symbols): count both "
                "with the same --instructions-scope"
            )
        else:
            _add_instructions(result, a.frame, b.frame, instructions_threshold)
            result.where = where_lists(a, b, result.instructions, perf=result.perf, top=where_top)
    elif (a.frame is None) != (b.frame is None):
        result.notes.append("only one side has a run: per-case outputs and timing not compared")
    if result.cases_compared == 0:
        raise UsageError(
            f"compare: {a.label} and {b.label} share no comparable case (an empty run, or runs "
            "of different grids); a gate that compared nothing cannot pass"
        )
    return result


def _add_instructions(
    result: PairResult, a: pd.DataFrame, b: pd.DataFrame, threshold: float
) -> None:
    result.instructions = compare_instructions(a, b, threshold=threshold, perf=result.perf)
    if result.instructions.empty:
        return
    result.notes.append(
        f"instructions: {len(result.instructions)} cases counted on both sides decide on their "
        f"instruction count (threshold {threshold:.1%}, deterministic); their wall time is "
        "reported beside"
    )
    if uncounted := uncounted_impls(a, b):
        result.notes.append(
            f"instructions: not counted for {', '.join(uncounted)} (no callgrind entry symbol; "
            "run.json 'instructions.entry_symbols' says why): wall time decides those cases"
        )
    around = result.instructions["where"].fillna("").str.startswith("around")
    changed = result.instructions["verdict"] != gate.SAME
    if (around & changed).any():
        result.notes.append(
            f"instructions: {int((around & changed).sum())} changed cases changed around the "
            "native core (Python, NumPy or glue code), not inside its entry symbols"
        )
    disagree = result.instructions["agreement"].str.startswith("disagree").sum()
    if disagree:
        result.notes.append(
            f"instructions and wall time disagree on {disagree} cases: instruction counts do "
            "not see memory-bound effects (cache misses), SIMD width, threads or time spent "
            "waiting (sleep, I/O); entry-scope counts miss the Python layer too"
        )


def _instruction_scopes(side: Side) -> set[str]:
    """What the side's instruction counts cover ("call" or "entry"), from its run.json files."""
    return {
        str((meta.get("instructions") or {}).get("scope", "entry"))
        for meta in side.metas
        if meta.get("instructions")
    }


def _kind_text(side: Side) -> str:
    if side.frame is not None and side.verify is not None:
        return "runs and a verify result"
    return "a run" if side.frame is not None else "a verify result"


def compare(
    paths: Sequence[str | Path],
    *,
    threshold: float = gate.DEFAULT_THRESHOLD,
    alpha: float = gate.DEFAULT_ALPHA,
    max_inconclusive: float = DEFAULT_MAX_INCONCLUSIVE,
    memory_threshold: float = DEFAULT_MEMORY_THRESHOLD,
    instructions_threshold: float = DEFAULT_INSTRUCTIONS_THRESHOLD,
    where_top: int = DEFAULT_WHERE_TOP,
) -> Comparison:
    """Compare every path against the first one (the Python API of ``gfbench compare``).

    Parameters
    ----------
    paths
        Run folders, verify JSON files, matrix env folders or matrix folders.
    threshold
        Smallest slowdown that counts as a regression (0.10 = 10%).
    alpha
        False discovery rate across the cases of one comparison.
    max_inconclusive
        Fraction of timed cases that may be inconclusive before the verdict is
        "inconclusive" (exit 4).
    memory_threshold
        Smallest growth of a case's native peak memory that counts as a regression (0.20 =
        20%), beyond the floor of `bench.guard.compare.memory`.
    instructions_threshold
        Smallest growth of a case's instruction count that is a regression (0.01 = 1%).
    where_top
        Functions listed per case slower on instructions, native and Python (0: none).
    """
    gate.validate_gate_options(threshold, alpha)
    validate_memory_threshold(memory_threshold)
    check_threshold(instructions_threshold)
    check_where_top(where_top)
    if not 0 <= max_inconclusive <= 1:
        raise UsageError(f"--max-inconclusive must be a fraction in [0, 1], got {max_inconclusive}")
    sides = load_sides(paths)
    pairs = [
        compare_sides(
            sides[0],
            other,
            threshold=threshold,
            alpha=alpha,
            max_inconclusive=max_inconclusive,
            memory_threshold=memory_threshold,
            instructions_threshold=instructions_threshold,
            where_top=where_top,
        )
        for other in sides[1:]
    ]
    return Comparison(
        sides=sides,
        pairs=pairs,
        threshold=threshold,
        alpha=alpha,
        memory_threshold=memory_threshold,
    )
