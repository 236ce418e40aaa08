"""The matrix run: one environment per SciPy candidate, then verify and sweep in each.

`run_matrix` (the Python API of ``gfbench matrix``) is a short sequence of named steps:
plan (`bench.guard.matrix.plan`), build environments, verify, untimed sweeps (with
instruction counts under ``--metric instructions``), then the timed A/B session
(`bench.guard.ab_session`) or whole timed sweeps. `bench.guard.matrix.folder` records every
step in ``matrix.json``. Why: docs/ci.md.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.guard.ab_session import EnvUnderTest, interleaved_timing
from bench.guard.matrix.candidates import Candidate
from bench.guard.matrix.environments import (
    InstallError,
    _run,
    child_env,
    incompatibility,
    same_version,
)
from bench.guard.matrix.folder import MatrixFolder
from bench.guard.matrix.plan import METRICS, MatrixPlan, make_plan
from bench.guard.matrix.record import EnvResult, env_label
from bench.outputs import progress
from bench.store.safe_text import redact_url
from bench.sweep.instructions import PROCESSES_VAR
from bench.sweep.machine import THREAD_ENV_VARS

__all__ = ["METRICS", "RUN_TIMEOUT_S", "run_matrix", "sweep_order"]

RUN_TIMEOUT_S = 6 * 3600

Log = Callable[[str], None]


def sweep_order(
    ready: Sequence[EnvResult], *, rounds: int, interleave: bool
) -> list[tuple[int, EnvResult]]:
    """(round, environment) pairs: A B A B ... when ``interleave``, else A A ... B B ...

    Interleaving spreads a slow phase of a shared machine over every version alike
    (asv #595), instead of charging it to whichever version ran then.
    """
    if interleave:
        return [(r, env) for r in range(rounds) for env in ready]
    return [(r, env) for env in ready for r in range(rounds)]


def run_matrix(*, out: Path = Path("results"), log: Log = progress, **options: Any) -> Path:
    """Build or reuse one environment per SciPy candidate and run verify and sweep in each.

    Parameters
    ----------
    out
        Parent folder; the matrix goes into ``out/matrix-<timestamp>/``.
    log
        Where progress lines go (default: stderr).
    **options
        The options of `bench.guard.matrix.plan.make_plan` (``scipy`` is required; ``grid``,
        ``rounds``, ``timing``, ``metric``, ``numpy`` ...), every one checked before anything
        is built or written.

    Returns
    -------
    Path
        The matrix folder (holds ``matrix.json``).
    """
    plan = make_plan(**options)
    folder = MatrixFolder.create(out, plan)
    build_environments(plan, folder, log)
    ready = folder.ready()
    runner = EnvRunner(folder)
    if plan.run_verify:
        verify_each(ready, runner, log)
    if plan.run_sweep and plan.timing in ("cases", "none"):
        untimed = untimed_sweeps(plan, ready, runner, log)
        if untimed and plan.timing == "cases":
            timed_session(plan, untimed, folder, log)
    elif plan.run_sweep:
        timed_sweeps(plan, ready, runner, log)
    folder.finish()
    return folder.path


# ---------------------------------------------------------------------- 1. environments
def build_environments(plan: MatrixPlan, folder: MatrixFolder, log: Log) -> None:
    """Build or reuse every candidate's environment, one after another, recording each.

    A candidate that is the same build as an earlier one is skipped as ``duplicate``; one
    that cannot be built is recorded (``install-failed``, or ``incompatible`` with the
    resolver's reason for a pinned numpy) and the matrix goes on.
    """
    seen: dict[tuple, str] = {}
    for cand in plan.candidates:
        result = folder.add(EnvResult(
            spec=cand.spec, version=cand.version, kind=cand.kind,
            provenance=cand.provenance(), env_vars=dict(cand.env_vars),
        ))  # fmt: skip
        key = ("current" if cand.kind == "current" else cand.env_key, cand.env_vars)
        if key in seen:
            result.status = "duplicate"
            result.error = f"{cand.spec} is the same build as {seen[key]}, already in the matrix"
            log(f"matrix: {cand.spec} = {seen[key]}, already in the matrix; skipped")
            folder.save()
            continue
        seen[key] = cand.spec
        started = time.perf_counter()
        try:
            _build_one(plan, folder, cand, result, log)
        except (InstallError, subprocess.TimeoutExpired, OSError, ValueError, KeyError) as exc:
            result.status = "install-failed"
            result.error = redact_url(str(exc))
            result.build_s = round(time.perf_counter() - started, 2)
            reason = incompatibility(str(exc)) if cand.numpy is not None else None
            if reason is not None:
                # numpy as a factor: a pair that cannot be co-installed is skipped, saying why
                result.status, result.error = "incompatible", reason
                log(f"matrix: SciPy {cand.spec} + numpy {cand.numpy}: skipped, {reason}")
            else:
                log(f"matrix: SciPy {cand.spec}: could not be installed: {result.error}")
        folder.save()


def _build_one(
    plan: MatrixPlan, folder: MatrixFolder, cand: Candidate, result: EnvResult, log: Log
) -> None:
    """One environment: built (or reused), asked what it holds, checked, its env.json written."""
    installer = plan.installer
    if cand.kind == "current":
        # the developer's own interpreter (e.g. an editable SciPy build): nothing built
        env_python, reused, env_dir = Path(sys.executable), True, None
        result.build_s = 0.0
    else:
        what = cand.version if cand.kind != "wheel" else Path(cand.wheel).name
        log(f"matrix: environment for SciPy {what} ({installer.name}) ...")
        env_dir, reused, seconds = plan.builder.ensure(cand)
        env_python = installer.env_python(env_dir)
        result.build_s = round(seconds, 2)
    result.env_path, result.reused = (str(env_dir) if env_dir else None), reused
    result.python_exe = str(env_python)
    proc = _run(
        [str(env_python), "-m", "bench.cli.envrunner", "versions"], timeout=300,
        cwd=folder.path, env=child_env(cand.env_vars, isolated=env_dir is not None),
    )  # fmt: skip
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    result.versions = info["versions"] | {"python": info["python"]}
    resolved = str(result.versions.get("scipy"))
    if cand.kind != "current" and not same_version(resolved, cand.version):
        raise InstallError(f"asked for SciPy {cand.version}, environment has {resolved}")
    result.version = resolved
    result.provenance = cand.provenance(resolved)
    result.label = env_label(cand, resolved)
    folder.place(result, dataclasses.replace(cand, version=resolved))
    folder.write_env(result, {
        "label": result.label, "spec": cand.spec, "kind": cand.kind,
        "provenance": result.provenance, "env_vars": result.env_vars,
        "env_path": result.env_path, "reused": reused, "build_s": result.build_s,
        "installer": installer.name if env_dir else "none (current interpreter)", **info,
    })  # fmt: skip
    result.status = "ok"
    log(
        f"matrix: {result.label}: numpy {result.versions.get('numpy')}, "
        f"{'reused' if reused else 'built'} in {result.build_s:.1f} s"
    )


# ---------------------------------------------------------------------- running inside one
def _env_variables(result: EnvResult) -> dict[str, str]:
    return child_env(tuple(result.env_vars.items()), isolated=result.env_path is not None)


def timing_env(result: EnvResult) -> dict[str, str]:
    """The variables of a timed process: as ``gfbench sweep``, 1 thread unless the user says."""
    variables = _env_variables(result)
    for var in THREAD_ENV_VARS:
        variables.setdefault(var, "1")
    return variables


@dataclasses.dataclass(frozen=True)
class EnvRunner:
    """Runs ``gfbench`` verbs inside an environment, in its folder of the matrix."""

    folder: MatrixFolder

    def __call__(
        self, result: EnvResult, args: Sequence[str], extra_env: dict[str, str] | None = None
    ) -> int:
        proc = subprocess.run(
            [str(result.python_exe), "-m", "bench.cli.envrunner", *args],
            cwd=self.folder.env_dir(result),
            env={**_env_variables(result), **(extra_env or {})},
            # what the environment prints is progress here: matrix's own stdout carries only its
            # results (the summary table, or the JSON of --json)
            stdout=sys.stderr,
            timeout=RUN_TIMEOUT_S,
            check=False,
        )
        return proc.returncode

    def sweep_args(self, plan: MatrixPlan, result: EnvResult, *extra: str) -> list[str]:
        """``gfbench sweep`` of the plan's grid and implementations into the runs/ folder."""
        args = ["sweep", "--grid", plan.grid, "--out", str(self.folder.runs_dir(result)),
                "--no-progress", *extra]  # fmt: skip
        for name in plan.impl:
            args += ["--impl", name]
        return args


# ---------------------------------------------------------------------- 2. verify
def verify_each(ready: Sequence[EnvResult], runner: EnvRunner, log: Log) -> None:
    """``gfbench verify`` in every environment; its exit code goes into matrix.json."""
    for result in ready:
        log(f"matrix: verify in {result.label} ...")
        result.verify_exit = runner(result, ["verify", str(runner.folder.verify_file(result))])
        runner.folder.save()


# ---------------------------------------------------------------------- 3. sweeps
def untimed_sweeps(
    plan: MatrixPlan, ready: Sequence[EnvResult], runner: EnvRunner, log: Log
) -> list[EnvUnderTest]:
    """One untimed sweep per environment (outputs, accuracy; instruction counts when asked).

    Returns the environments whose sweep finished with one run: what the A/B session times.
    """
    counting = plan.counts_instructions
    extra = ["--metric", "instructions", "--instructions-scope", "call"] if counting else []
    extra += ["--cache-sim"] if counting and plan.cache_sim else []
    # one valgrind process per environment, the environments side by side (below): the same
    # batch of cases in every environment, and one interpreter start-up under valgrind per
    # environment instead of one per process
    counted = {PROCESSES_VAR: "1"} if counting else None

    def sweep(result: EnvResult) -> tuple[int, list[Path]]:
        log("matrix: untimed sweep (outputs, accuracy"
            + (", instructions under callgrind" if counting else "")
            + f") in {result.label} ...")  # fmt: skip
        runs_dir = runner.folder.runs_dir(result)
        before = set(runs_dir.iterdir())
        # the run keeps each counted case's profiles in its own folder (runs/<id>/profiles/)
        code = runner(result, runner.sweep_args(plan, result, "--no-timing", *extra),
                      extra_env=counted)  # fmt: skip
        return code, [
            p for p in runs_dir.iterdir() if p not in before and (p / "run.json").is_file()
        ]

    # counting is CPU-bound and single-threaded per environment: as many environments side by
    # side as there are cores (the counts do not depend on the load); without counting the
    # untimed sweeps are short and run one after another
    side_by_side = min(len(ready), os.cpu_count() or 1) if counting else 1
    finished: dict[int, list[Path]] = {}
    with concurrent.futures.ThreadPoolExecutor(max(1, side_by_side)) as pool:
        futures = {pool.submit(sweep, result): i for i, result in enumerate(ready)}
        for future in concurrent.futures.as_completed(futures):
            i = futures[future]
            code, finished[i] = future.result()
            ready[i].sweep_exits.append(code)
            runner.folder.save()  # matrix.json says which environments are done, as they finish
    untimed = []
    for i, result in enumerate(ready):
        if result.sweep_exits[-1] == 0 and len(finished[i]) == 1:
            untimed.append(EnvUnderTest(
                label=result.label, python=Path(result.python_exe), untimed_run=finished[i][0],
                runs_dir=runner.folder.runs_dir(result), env=timing_env(result)))  # fmt: skip
    return untimed


def timed_session(
    plan: MatrixPlan, untimed: Sequence[EnvUnderTest], folder: MatrixFolder, log: Log
) -> None:
    """Every case timed side by side, sample by sample, in rounds of one worker per environment."""
    design = plan.design
    log(f"matrix: timing every case side by side, sample by sample, in rounds of one worker "
        f"per environment across {len(untimed)} environments: {design.min_rounds} rounds, "
        f"then a look after each round up to {design.max_rounds}"
        + (f" or {plan.budget_s:g} s" if plan.budget_s else "") + " ...")  # fmt: skip
    timed = interleaved_timing(list(untimed), design=design, budget_s=plan.budget_s, log=log)
    folder.record["interleaved_runs"] = {k: str(v) for k, v in timed.items()}
    folder.save()


def timed_sweeps(plan: MatrixPlan, ready: Sequence[EnvResult], runner: EnvRunner, log: Log) -> None:
    """``--timing sweeps``: whole timed sweeps, A B A B ... when interleaved, else A A B B."""
    extra = [] if plan.processes is None else ["--processes", str(plan.processes)]
    for round_index, result in sweep_order(ready, rounds=plan.rounds, interleave=plan.interleave):
        log(f"matrix: sweep round {round_index + 1}/{plan.rounds} in {result.label} ...")
        result.sweep_exits.append(runner(result, runner.sweep_args(plan, result, *extra)))
        runner.folder.save()
