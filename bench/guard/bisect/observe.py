"""What ``gfbench bisect`` observes in one environment, and how it differs from --good.

One job: for one SciPy version (a release on the default index or a wheel), build or reuse its
environment (`bench.guard.matrix.environments`, the matrix's cache), run ``gfbench verify`` (API
probes, argument forms, golden outputs) and, with a grid, an untimed sweep (outputs per case)
inside it, and diff the result against --good's with the machinery ``gfbench compare`` uses
(`bench.guard.compare.correctness`). Optionally also instruction counts (``--metric
instructions``) or an A/B timing session against --good (``--metric time``,
`bench.guard.ab_session`).
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.guard.bisect.search import DIFFERS, GOOD, SAME, SKIP, Evaluation
from bench.guard.compare.correctness import (
    CHANGE_KINDS_FAILING,
    compare_run_correctness,
    compare_verify,
)
from bench.guard.compare.factors import observed_golden_changes
from bench.guard.matrix.candidates import Candidate
from bench.guard.matrix.environments import (
    EnvBuilder,
    InstallError,
    _run,
    child_env,
    same_version,
)
from bench.guard.stats import verdicts as gate
from bench.sweep.machine import THREAD_ENV_VARS

#: verify groups bisect runs by default: the API probes and argument forms (behaviour) and the
#: golden outputs; the slower groups (oracle, properties, sizes) only when asked
DEFAULT_GROUPS = ("probes", "golden", "behaviour")
METRICS = ("outputs", "instructions", "time")


@dataclasses.dataclass(frozen=True)
class Selection:
    """What counts as "differs": verify checks and sweep cases, optionally filtered."""

    groups: tuple[str, ...] = DEFAULT_GROUPS
    checks: tuple[str, ...] = ()  # substrings of a check's name; empty: every check
    grid: str | None = None
    case: str | None = None
    metric: str = "outputs"
    instructions_threshold: float = 0.01

    def wants_check(self, name: str) -> bool:
        return not self.checks or any(c.lower() in name.lower() for c in self.checks)

    def wants_case(self, case_id: str) -> bool:
        return self.case is None or case_id == self.case


@dataclasses.dataclass
class Observed:
    """One environment's observations (kept for the later steps' diffs)."""

    label: str
    folder: Path
    python: Path | None = None
    versions: dict[str, Any] = dataclasses.field(default_factory=dict)
    verify: dict | None = None
    run: Path | None = None
    facts: dict[str, Any] = dataclasses.field(default_factory=dict)
    error: str | None = None


def candidate_label(cand: Candidate) -> str:
    if cand.kind == "wheel":
        return f"{cand.version} (wheel {Path(str(cand.wheel)).name[:40]}, sha256 {cand.sha256[:8]})"
    return str(cand.version)


class Observer:
    """Builds each environment once and diffs its observations against --good's."""

    def __init__(
        self,
        builder: EnvBuilder,
        work_dir: Path,
        selection: Selection,
        *,
        log: Callable[[str], None] = print,
    ) -> None:
        self.builder = builder
        self.work_dir = work_dir
        self.selection = selection
        self.log = log
        self.good: Observed | None = None

    # -- one environment ----------------------------------------------------------------------
    def observe(self, cand: Candidate, folder_name: str) -> Observed:
        folder = self.work_dir / folder_name
        folder.mkdir(parents=True, exist_ok=True)
        seen = Observed(label=candidate_label(cand), folder=folder)
        started = time.perf_counter()
        try:
            env_dir, reused, seconds = self.builder.ensure(cand)
            python = self.builder.installer.env_python(env_dir)
            proc = _run(
                [str(python), "-m", "bench.cli.envrunner", "versions"],
                timeout=300,
                cwd=folder,
                env=child_env(),
            )
            info = json.loads(proc.stdout.strip().splitlines()[-1])
            resolved = str(info["versions"].get("scipy"))
            if not same_version(resolved, cand.version):
                raise InstallError(f"asked for SciPy {cand.version}, environment has {resolved}")
        except (InstallError, subprocess.TimeoutExpired, OSError, ValueError, KeyError) as exc:
            seen.error = f"could not be installed: {_first_lines(str(exc))}"
            seen.facts["env_s"] = round(time.perf_counter() - started, 1)
            return seen
        seen.python = python
        seen.versions = info["versions"]
        seen.facts |= {
            "numpy": info["versions"].get("numpy"),
            "env": "reused" if reused else "built",
            "env_s": round(seconds, 1),
        }
        verify_path = folder / "verify.json"
        started = time.perf_counter()
        code = self._in_env(python, folder, ["verify", str(verify_path), *self.selection.groups])
        seen.facts["verify_s"] = round(time.perf_counter() - started, 1)
        try:
            seen.verify = json.loads(verify_path.read_text())
        except (OSError, ValueError):
            seen.error = f"gfbench verify exited {code} without a result"
            return seen
        if self.selection.grid is not None:
            runs = folder / "runs"
            runs.mkdir(exist_ok=True)
            args = [
                "sweep",
                "--grid",
                self.selection.grid,
                "--out",
                str(runs),
                "--no-progress",
                "--impl",
                "scipy",
                "--no-timing",
            ]
            if self.selection.metric == "instructions":
                args += ["--metric", "instructions"]
            started = time.perf_counter()
            code = self._in_env(python, folder, args)
            seen.facts["sweep_s"] = round(time.perf_counter() - started, 1)
            made = sorted(p.parent for p in runs.glob("*/run.json"))
            if code != 0 or not made:
                seen.error = f"gfbench sweep exited {code}"
                return seen
            seen.run = made[-1]
        return seen

    def _in_env(self, python: Path, folder: Path, args: Sequence[str]) -> int:
        env = child_env()
        for var in THREAD_ENV_VARS:
            env.setdefault(var, "1")
        proc = subprocess.run(
            [str(python), "-m", "bench.cli.envrunner", *args],
            cwd=folder,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=6 * 3600,
            check=False,
        )
        return proc.returncode

    # -- diffs ---------------------------------------------------------------------------------
    def differences(self, seen: Observed) -> list[dict[str, Any]]:
        """Every selected check or case where ``seen`` differs from --good."""
        assert self.good is not None
        found: list[dict[str, Any]] = []
        if self.good.verify is not None and seen.verify is not None:
            changes, _api = compare_verify(self.good.verify, seen.verify)
            found += [
                {"kind": c["kind"], "check": c["case"], "detail": c.get("detail", "")}
                for c in changes
                if c["kind"] in CHANGE_KINDS_FAILING and self.selection.wants_check(c["case"])
            ]
            # a golden case skipped against its record on one side still has observed bits
            listed = {d["check"] for d in found}
            found += [
                {"kind": c["kind"], "check": c["case"], "detail": c["detail"]}
                for c in observed_golden_changes(self.good.verify, seen.verify)
                if c["case"] not in listed and self.selection.wants_check(c["case"])
            ]
        if self.good.run is not None and seen.run is not None:
            from bench import store

            frame_a, frame_b = store.load(self.good.run), store.load(seen.run)
            for c in compare_run_correctness(frame_a, frame_b):
                if c["kind"] in CHANGE_KINDS_FAILING and self.selection.wants_case(c["case_id"]):
                    found.append(
                        {
                            "kind": c["kind"],
                            "check": f"case {c['case_id']} {c['case']}",
                            "detail": c.get("detail", ""),
                        }
                    )
            if self.selection.metric == "instructions":
                found += self._instruction_differences(frame_a, frame_b)
        return found

    def _instruction_differences(self, a, b) -> list[dict[str, Any]]:
        from bench.guard.compare.instructions import compare_instructions

        table = compare_instructions(a, b, threshold=self.selection.instructions_threshold)
        out = []
        for row in [] if table.empty else table.to_dict("records"):
            if row["verdict"] != gate.SAME and self.selection.wants_case(row["case_id"]):
                out.append(
                    {
                        "kind": "instructions",
                        "check": f"case {row['case_id']} {row['case']}",
                        "detail": f"instructions x{row['ratio']:.4f} ({row['verdict']}): "
                        f"{row['instructions_a']:.0f} -> {row['instructions_b']:.0f}",
                    }
                )
        return out

    def time_differences(self, seen: Observed, *, design, budget_s) -> tuple[list[dict], str]:
        """An A/B session of --good against ``seen`` (``--metric time``): slower/faster cases."""
        from bench.guard.ab_session import EnvUnderTest, ab_session

        assert self.good is not None and self.good.run and seen.run
        envs = []
        for obs in (self.good, seen):
            env = child_env()
            for var in THREAD_ENV_VARS:
                env.setdefault(var, "1")
            envs.append(
                EnvUnderTest(
                    label=obs.label,
                    python=obs.python,
                    untimed_run=obs.run,
                    runs_dir=obs.folder / "runs",
                    env=env,
                )
            )
        session = ab_session(
            envs, design=design, budget_s=budget_s, write=False, log=lambda m: None
        )
        found, undecided = [], 0
        for cid, outcome in session.outcomes.get(seen.label, {}).items():
            if not self.selection.wants_case(cid):
                continue
            d = outcome.decision
            if d.verdict in (gate.SLOWER, gate.FASTER):
                found.append(
                    {
                        "kind": "time",
                        "check": f"case {cid}",
                        "detail": f"time x{d.ratio:.3f} [{d.ci_low:.3f}, {d.ci_high:.3f}] "
                        f"({d.verdict}, {outcome.rounds} rounds)",
                    }
                )
            elif d.verdict != gate.SAME:
                undecided += 1
        note = f"A/B session: {session.rounds} rounds, {session.seconds:.0f} s"
        if undecided:
            note += f", {undecided} cases undecided"
        return found, note


def evaluation(
    observer: Observer, seen: Observed, *, is_good: bool, time_options=None
) -> Evaluation:
    """The search's view of one observation: good / same / differs / skip, with evidence."""
    facts = dict(seen.facts)
    if seen.error is not None:
        return Evaluation(seen.label, SKIP, note=seen.error, facts=facts)
    if is_good:
        return Evaluation(seen.label, GOOD, facts=facts)
    found = observer.differences(seen)
    note = ""
    if time_options is not None and seen.run is not None:
        timed, note = observer.time_differences(seen, **time_options)
        found += timed
        if not found and "undecided" in note:
            return Evaluation(seen.label, SKIP, note=f"time undecided: {note}", facts=facts)
    return Evaluation(seen.label, DIFFERS if found else SAME, tuple(found), note, facts)


def _first_lines(text: str, n: int = 4) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " / ".join(lines[-n:])[:400]


__all__ = ["DEFAULT_GROUPS", "METRICS", "Observed", "Observer", "Selection", "evaluation"]
