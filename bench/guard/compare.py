"""Diff runs or verify results across SciPy versions or machines, with a statistical gate.

The first argument is the baseline; every other one is compared against it.

An argument may be:
  a run folder        (holds run.json + cases.jsonl, from `gfbench sweep`)
  a verify result     (the JSON file of `gfbench verify --json`)
  a matrix env folder (holds env.json: its verify.json and one run per round)
  a matrix folder     (holds matrix.json: expands to each environment, in order)

Correctness, per case: identical output hash? If not, how far did the accuracy
move (max_abs_error, ulps, grey levels, bias)? Did the output dtype or the status
change? Do API probes differ (accepted/raised, exception type, message)?

Performance, per case: time ratio B/A of the per-process minimum times, with a
confidence interval (Welch t on log times, the worker process as the unit), a
Benjamini-Hochberg q-value across cases, and a verdict: a regression needs
q < --alpha AND a ratio >= 1 + --threshold; too noisy to decide is "inconclusive".

Exit codes: 0 ok; 1 outputs, dtypes or API behaviour changed; 2 usage error;
3 performance regression; 4 inconclusive (more than --max-inconclusive of the
timed cases could not be decided).

Examples:
  gfbench compare results/run-a results/run-b
  gfbench compare results/matrix-20260101T000000        # every env vs the first
  gfbench compare old-verify.json new-verify.json --json
  gfbench compare A B --threshold 0.05 --out compare-report/
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tabulate import tabulate

from bench.exitcodes import ExitCode, UsageError
from bench.guard import gate
from bench.guard.changes import (
    CHANGE_KINDS_FAILING,
    case_label,
    compare_run_correctness,
    compare_verify,
    group_rows,
    is_null,
    row_key_columns,
    verify_tests,
)

DEFAULT_MAX_INCONCLUSIVE = 0.05


# --------------------------------------------------------------------------- inputs
@dataclass(frozen=True, eq=False)
class Side:
    """One thing being compared: a run (possibly several rounds of it) and/or a verify result."""

    label: str
    path: str
    frame: pd.DataFrame | None = None  # rows of every round, with a "_round" column
    metas: tuple[dict, ...] = ()  # run.json of each round
    verify: dict | None = None
    env: dict | None = None  # env.json of a matrix environment

    def __post_init__(self) -> None:
        if self.frame is None and self.verify is None:
            raise ValueError(f"side {self.label!r} has neither runs nor a verify result")

    @property
    def versions(self) -> dict[str, Any]:
        """Package versions: from the matrix env record, else the run, else the verify result."""
        if self.env and self.env.get("versions"):
            return {"python": self.env.get("python"), **self.env["versions"]}
        if self.metas:
            return {"python": self.metas[0].get("python"), **(self.metas[0].get("versions") or {})}
        if self.verify:
            env = self.verify.get("environment") or {}
            return {k: env.get(k) for k in ("scipy", "numpy", "python") if k in env}
        return {}

    @property
    def built_from(self) -> str | None:
        """What a matrix environment was built from (env.json ``provenance``), as text."""
        prov = (self.env or {}).get("provenance")
        if not isinstance(prov, dict):
            return None
        kind = str(prov.get("kind", ""))
        if prov.get("wheel"):
            text = f"wheel {prov['wheel']} sha256:{str(prov.get('sha256'))[:16]}"
            return text + (f" from {prov['index_url']}" if prov.get("index_url") else "")
        if kind == "current":
            return "the interpreter that ran gfbench matrix (current)"
        return f"scipy=={prov.get('resolved_version')} from {prov.get('index_url')}"

    @property
    def env_vars(self) -> dict[str, str]:
        """Variables a matrix environment was run with (env.json ``env_vars``)."""
        found = (self.env or {}).get("env_vars")
        if not isinstance(found, dict):
            return {}
        return {str(k): str(v) for k, v in found.items()}

    @property
    def hosts(self) -> list[str]:
        found = []
        if self.frame is not None and "host" in self.frame:
            found = sorted({str(h) for h in self.frame["host"].dropna()})
        if not found:
            found = sorted({str(m.get("host")) for m in self.metas if m.get("host")})
        return found

    @property
    def cpu_model(self) -> str | None:
        return (self.metas[0].get("cpu") or {}).get("model") if self.metas else None


def _load_run_frame(path: Path) -> tuple[pd.DataFrame, dict]:
    from bench import store

    return store.load(path), store.load_run_meta(path)


def _read_json(path: Path, what: str) -> dict:
    from bench.store.validate import read_json_object

    return read_json_object(path, what=what)


def _side_from_runs(
    label: str, path: Path, run_dirs: Sequence[Path], verify: dict | None, env: dict | None
) -> Side:
    frames, metas = [], []
    for index, run_dir in enumerate(run_dirs):
        frame, meta = _load_run_frame(run_dir)
        frame = frame.copy()
        frame.attrs = {}  # run.json is kept in Side.metas; pandas would deep-copy it per op
        frame["_round"] = index
        frames.append(frame)
        metas.append(meta)
    frame = pd.concat(frames, ignore_index=True) if frames else None
    return Side(
        label=label, path=str(path), frame=frame, metas=tuple(metas), verify=verify, env=env
    )


def _env_side(path: Path) -> Side:
    env = _read_json(path / "env.json", "matrix environment")
    from bench.store.validate import FileError

    if not isinstance(env.get("versions"), (dict, type(None))):
        raise FileError(path / "env.json", "must be an object", field="versions")
    label = str(env.get("label") or path.name)
    verify_path = path / "verify.json"
    verify = (
        _check_verify(_read_json(verify_path, "verify result"), verify_path)
        if verify_path.is_file()
        else None
    )
    runs_root = path / "runs"
    run_dirs = sorted(p.parent for p in runs_root.glob("*/run.json")) if runs_root.is_dir() else []
    if not run_dirs and verify is None:
        raise UsageError(f"matrix environment {path}: has neither verify.json nor runs/*/run.json")
    return _side_from_runs(label, path, run_dirs, verify, env)


def load_sides(paths: Sequence[str | Path]) -> list[Side]:
    """Load every argument of ``gfbench compare``; a matrix folder expands to its envs.

    Raises
    ------
    UsageError
        A path that does not exist or is none of the accepted kinds.
    """
    sides: list[Side] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise UsageError(f"compare: {path} does not exist")
        if path.is_file():
            data = _read_json(path, "verify result")
            # a matrix env's verify.json is named for its environment folder
            label = path.parent.name if path.stem == "verify" else path.stem
            sides.append(Side(label=label, path=str(path), verify=_check_verify(data, path)))
        elif (path / "run.json").is_file():
            sides.append(_side_from_runs(path.name, path, [path], None, None))
        elif (path / "env.json").is_file():
            sides.append(_env_side(path))
        elif (path / "matrix.json").is_file():
            from bench.store.validate import child_path, validate_matrix

            matrix_file = path / "matrix.json"
            matrix = validate_matrix(_read_json(matrix_file, "matrix"), file=matrix_file)
            envs = [e for e in matrix.get("environments", []) if e.get("status") == "ok"]
            if not envs:
                raise UsageError(f"matrix {path}: no environment completed (see matrix.json)")
            sides.extend(
                _env_side(child_path(path, e["folder"], what=f"{matrix_file}: folder"))
                for e in envs
            )
        else:
            raise UsageError(
                f"compare: {path} is not a run folder (run.json), a matrix folder "
                "(matrix.json), a matrix environment (env.json) or a verify JSON file"
            )
    labels = [s.label for s in sides]
    if len(set(labels)) != len(labels):  # e.g. two runs with the same folder name
        sides = [
            Side(
                label=f"{s.label}#{i}",
                path=s.path,
                frame=s.frame,
                metas=s.metas,
                verify=s.verify,
                env=s.env,
            )
            for i, s in enumerate(sides)
        ]
    if len(sides) < 2:
        raise UsageError(f"compare needs at least two runs or verify results, got {len(sides)}")
    return sides


def _check_verify(data: dict, path: Path) -> dict:
    from bench.store.validate import validate_verify

    return validate_verify(data, file=path)


# --------------------------------------------------------------------------- performance
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


# --------------------------------------------------------------------------- the comparison
@dataclass
class PairResult:
    """Baseline vs one other side."""

    baseline: str
    other: str
    environment: dict[str, Any]
    changes: list[dict[str, Any]] = field(default_factory=list)
    api: list[dict[str, Any]] = field(default_factory=list)
    perf: pd.DataFrame = field(default_factory=pd.DataFrame)
    cases_compared: int = 0
    max_inconclusive: float = DEFAULT_MAX_INCONCLUSIVE
    notes: list[str] = field(default_factory=list)

    @property
    def failing_changes(self) -> list[dict[str, Any]]:
        return [c for c in self.changes if c["kind"] in CHANGE_KINDS_FAILING]

    def verdict_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(gate.VERDICTS, 0)
        if not self.perf.empty:
            for name, n in self.perf["verdict"].value_counts().items():
                counts[str(name)] = int(n)
        return counts

    @property
    def inconclusive_fraction(self) -> float:
        timed = len(self.perf)
        return self.verdict_counts()[gate.INCONCLUSIVE] / timed if timed else 0.0

    @property
    def exit_code(self) -> ExitCode:
        if self.failing_changes:
            return ExitCode.CHANGED
        if self.verdict_counts()[gate.SLOWER]:
            return ExitCode.PERF_REGRESSION
        if self.inconclusive_fraction > self.max_inconclusive:
            return ExitCode.INCONCLUSIVE
        return ExitCode.OK

    def to_dict(self) -> dict[str, Any]:
        perf = [] if self.perf.empty else json.loads(self.perf.to_json(orient="records"))
        return {
            "baseline": self.baseline,
            "other": self.other,
            "environment": self.environment,
            "cases_compared": self.cases_compared,
            "changes": self.changes,
            "api_differences": self.api,
            "performance": perf,
            "verdict_counts": self.verdict_counts(),
            "inconclusive_fraction": self.inconclusive_fraction,
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
            "exit_code": int(self.exit_code),
            "exit_meaning": self.exit_code.name.lower(),
        }


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


def compare_sides(
    a: Side,
    b: Side,
    *,
    threshold: float = gate.DEFAULT_THRESHOLD,
    alpha: float = gate.DEFAULT_ALPHA,
    max_inconclusive: float = DEFAULT_MAX_INCONCLUSIVE,
) -> PairResult:
    """Compare side ``b`` against baseline ``a`` (correctness, API probes, performance)."""
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
    for side in (a, b):
        if (note := _busy_note(side)) is not None:
            result.notes.append(note)
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
        result.perf = compare_run_performance(
            a.frame, b.frame, threshold=threshold, alpha=alpha, time_matched=matched
        )
        if not result.perf.empty:  # untimed runs (matrix --timing none) get no timing note
            result.notes.append(
                "timing: interleaved worker processes (A B, B A, ...): time-matched"
                if matched
                else "timing: the two sides were timed at different times; a case whose samples "
                "vary by >= 10% inside a process cannot be flagged (gfbench matrix interleaves)"
            )
        if not result.perf.empty and (result.perf["unit"] == gate.UNIT_SAMPLE).any():
            result.notes.append(
                "some cases have fewer than 2 worker processes per side: samples are the "
                "unit there, so between-process noise is not measured (use --processes >= 3 "
                "or matrix --rounds >= 3)"
            )
    elif (a.frame is None) != (b.frame is None):
        result.notes.append("only one side has a run: per-case outputs and timing not compared")
    if result.cases_compared == 0:
        raise UsageError(
            f"compare: {a.label} and {b.label} share no comparable case (an empty run, or runs "
            "of different grids); a gate that compared nothing cannot pass"
        )
    return result


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
    """
    gate.validate_gate_options(threshold, alpha)
    if not 0 <= max_inconclusive <= 1:
        raise UsageError(f"--max-inconclusive must be a fraction in [0, 1], got {max_inconclusive}")
    sides = load_sides(paths)
    pairs = [
        compare_sides(
            sides[0], other, threshold=threshold, alpha=alpha, max_inconclusive=max_inconclusive
        )
        for other in sides[1:]
    ]
    return Comparison(sides=sides, pairs=pairs, threshold=threshold, alpha=alpha)


# --------------------------------------------------------------------------- rendering
def _ratio_text(row: pd.Series) -> str:
    high = "inf" if not math.isfinite(row["ci_high"]) else f"{row['ci_high']:.2f}"
    return f"{row['ratio']:.3f} [{row['ci_low']:.2f}, {high}]"


def render_text(result: Comparison, *, limit: int = 30, tablefmt: str = "simple") -> str:
    """Human-readable report: per pair, environment, changes, API differences, timing."""
    out: list[str] = []
    for pair in result.pairs:
        out.append(f"== {pair.baseline}  ->  {pair.other} ==")
        sides = {side.label: side for side in result.sides}
        for role, label in (("A", pair.baseline), ("B", pair.other)):
            side = sides.get(label)
            if side is not None and side.built_from:
                out.append(f"{role} built from: {side.built_from}")
        if "env_vars" in pair.environment:
            shown = [" ".join(f"{k}={v}" for k, v in pair.environment["env_vars"][x].items())
                     or "(none)" for x in ("a", "b")]  # fmt: skip
            out.append(f"environment variables: {shown[0]} -> {shown[1]}")
        versions = pair.environment.get("versions", {})
        if versions:
            out.append(
                "environment: "
                + ", ".join(f"{k} {v['a']} -> {v['b']}" for k, v in versions.items())
            )
        for note in pair.notes:
            out.append(f"note: {note}")
        if pair.api:
            out.append("\nAPI features that differ:")
            out.append(
                tabulate(
                    [[d["probe"], d["a"], d["b"]] for d in pair.api],
                    headers=["probe", pair.baseline, pair.other],
                    tablefmt=tablefmt,
                )
            )
        failing = pair.failing_changes
        other_changes = [c for c in pair.changes if c["kind"] not in CHANGE_KINDS_FAILING]
        out.append(
            f"\ncorrectness: {pair.cases_compared} cases compared, "
            f"{len(failing)} changed, {len(other_changes)} not comparable/missing"
        )
        shown = failing + other_changes
        if shown:
            out.append(
                tabulate(
                    [[c["kind"], c["case"], c["detail"]] for c in shown[:limit]],
                    headers=["change", "case", "detail"],
                    tablefmt=tablefmt,
                )
            )
            if len(shown) > limit:
                out.append(f"... and {len(shown) - limit} more (--limit, or --json for all)")
        if not pair.perf.empty:
            counts = pair.verdict_counts()
            out.append(
                f"\nperformance ({len(pair.perf)} timed cases, threshold "
                f"{result.threshold:.0%}, FDR {result.alpha:g}): "
                + ", ".join(f"{n} {v}" for v, n in counts.items())
            )
            by_impl = (
                pair.perf.assign(log_ratio=np.log(pair.perf["ratio"]))
                .groupby(["impl", "dtype"], dropna=False)["log_ratio"]
                .mean()
            )
            out.append(
                tabulate(
                    [[impl, dtype, f"{math.exp(v):.3f}"] for (impl, dtype), v in by_impl.items()],
                    headers=["impl", "dtype", "geomean ratio B/A"],
                    tablefmt=tablefmt,
                )
            )
            notable = pair.perf[pair.perf["verdict"] != gate.SAME].sort_values(
                "ratio", ascending=False
            )
            if not notable.empty:
                out.append(
                    tabulate(
                        [
                            [
                                r["verdict"],
                                r["case"],
                                f"{r['best_a_ns'] / 1e6:.3f}",
                                f"{r['best_b_ns'] / 1e6:.3f}",
                                _ratio_text(r),
                                f"{r['q_value']:.2g}",
                                f"{r['n_a']}+{r['n_b']} {r['unit']}",
                            ]
                            for _, r in notable.head(limit).iterrows()
                        ],
                        headers=[
                            "verdict",
                            "case",
                            "best A ms",
                            "best B ms",
                            "ratio [CI]",
                            "q",
                            "units",
                        ],
                        tablefmt=tablefmt,
                    )
                )
                if len(notable) > limit:
                    out.append(f"... and {len(notable) - limit} more")
        code = pair.exit_code
        out.append(f"\nverdict: {code.name.lower()} (exit {int(code)})\n")
    code = result.exit_code
    out.append(f"overall: {code.name.lower()} (exit {int(code)})")
    return "\n".join(out)


def write_outputs(result: Comparison, out_dir: Path) -> list[Path]:
    """Write compare.json, compare.md and per-family timing plots into ``out_dir``."""
    from bench.guard import compare_plots

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    json_path = out_dir / "compare.json"
    json_path.write_text(json.dumps(result.to_dict(), indent=2, default=str))
    md_path = out_dir / "compare.md"
    md_path.write_text("# gfbench compare\n\n```\n" + render_text(result, limit=10**6) + "\n```\n")
    written += [json_path, md_path]
    written += compare_plots.plot_time_per_version(result.sides, out_dir)
    return written


# --------------------------------------------------------------------------- CLI
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="baseline first, then the runs/verify results to compare with it",
    )
    parser.add_argument(
        "--threshold",
        type=float,
        default=gate.DEFAULT_THRESHOLD,
        help="smallest slowdown that counts as a regression (default 0.10 = 10%%)",
    )
    parser.add_argument(
        "--alpha",
        type=float,
        default=gate.DEFAULT_ALPHA,
        help="false discovery rate across cases (default 0.05)",
    )
    parser.add_argument(
        "--max-inconclusive",
        type=float,
        default=DEFAULT_MAX_INCONCLUSIVE,
        help="fraction of timed cases that may be inconclusive before exit 4 (default 0.05)",
    )
    parser.add_argument("--limit", type=int, default=30, help="rows per table (default 30)")
    parser.add_argument(
        "--out", type=Path, default=None, help="also write compare.json, compare.md and plots here"
    )
    parser.add_argument(
        "--force", action="store_true", help="replace compare.json/compare.md already in --out"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def main(args: argparse.Namespace) -> int:
    from bench.outputs import check_out_dir

    if args.limit < 1:
        raise UsageError(f"--limit must be >= 1, got {args.limit}")
    if args.out is not None:  # before any work, like every verb's --out
        check_out_dir(args.out, force=args.force, outputs=("compare.json", "compare.md"))
    result = compare(
        args.paths,
        threshold=args.threshold,
        alpha=args.alpha,
        max_inconclusive=args.max_inconclusive,
    )
    if args.out is not None:
        written = write_outputs(result, args.out)
        print(f"wrote {len(written)} files to {args.out}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        print(render_text(result, limit=args.limit))
    return int(result.exit_code)
