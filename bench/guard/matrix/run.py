"""The matrix run: one environment per SciPy candidate, then verify and sweep in each.

`run_matrix` (the Python API of ``gfbench matrix``) checks every input before anything is built,
builds or reuses the environments one after another (`bench.guard.matrix.environments`), runs
``gfbench verify`` and the sweeps inside them through `bench.cli.envrunner`, times every case in
alternating worker processes (`bench.guard.ab_session`), and keeps ``matrix.json`` up to date
after every step, so an interrupted matrix still says what it did.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as dt
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.exitcodes import UsageError
from bench.guard.ab_session import EnvUnderTest, interleaved_timing
from bench.guard.matrix.candidates import (
    _VERSION_RE,
    Candidate,
    parse_candidates,
    parse_env_assignment,
    parse_numpy_spec,
    parse_version_spec,
)
from bench.guard.matrix.environments import (
    EnvBuilder,
    Installer,
    InstallError,
    _run,
    choose_installer,
    default_cache_dir,
    project_root,
)
from bench.guard.matrix.record import SCHEMA_VERSION, EnvResult, env_folder, env_label
from bench.guard.stats.sequential_design import SequentialDesign
from bench.outputs import check_out_dir, progress
from bench.store.safe_files import write_atomic
from bench.store.safe_text import redact, redact_url
from bench.store.validate import checked_json, validate_env, validate_matrix
from bench.sweep.instructions import PROCESSES_VAR, PROFILES_VAR
from bench.sweep.machine import THREAD_ENV_VARS

RUN_TIMEOUT_S = 6 * 3600
#: what ``--metric`` may name: the A/B timing session, instruction counts, or both
METRICS = ("time", "instructions", "both")


def parse_scipy_spec(spec: str) -> str:
    """Validate one version-like --scipy value: ``"latest"`` or e.g. ``"1.10.1"``, ``"1.18.0rc1"``.

    Wheels, folders and ``current`` are checked by `bench.guard.matrix.candidates.parse_candidates`.

    Raises
    ------
    UsageError
        Anything else, or a version older than the harness supports.
    """
    if not isinstance(spec, str):
        raise UsageError(f"--scipy must be a version string, got {spec!r}")
    return parse_version_spec(spec.strip())


def _check_grid(grid: str, impl: Sequence[str]) -> None:
    """Fail before any environment is built: the grid must load and keep cases for ``impl``."""
    from bench.sweep import impls
    from bench.sweep.grid import load_grid

    unknown = [name for name in impl if name not in impls.names()]
    if unknown:
        raise UsageError(f"--impl {', '.join(unknown)}: not one of {', '.join(impls.names())}")
    if not load_grid(grid).filtered(impls=list(impl)).cases:
        raise UsageError(f"--grid {grid}: no case for --impl {', '.join(impl)}")


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


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _child_env(
    env_vars: Sequence[tuple[str, str]] = (), *, isolated: bool = True
) -> dict[str, str]:
    """Variables of a process run in an environment under test.

    An isolated environment must import its own packages only: no PYTHONPATH from the
    caller, no user site-packages. ``current`` (this interpreter) keeps the caller's.
    """
    env = dict(os.environ)
    if isolated:
        env = {k: v for k, v in env.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        env["PYTHONNOUSERSITE"] = "1"
    env.update(dict(env_vars))
    return env


def _same_version(resolved: str, requested: str | None) -> bool:
    """1.18.0.dev0+git20261201.abc satisfies 1.18.0.dev0, as ``scipy==1.18.0.dev0`` does."""
    from packaging.version import InvalidVersion, Version

    try:
        got, want = Version(resolved), Version(str(requested))
    except InvalidVersion:
        return False
    return got == want or (not want.local and Version(got.public) == want)


def numpy_cross_product(candidates: Sequence[Candidate], pins: Sequence[str]) -> list[Candidate]:
    """Every candidate once per pinned numpy (SciPy-major order); unchanged without pins.

    Raises
    ------
    UsageError
        ``current`` with ``--numpy``: this interpreter's numpy cannot be pinned.
    """
    if not pins:
        return list(candidates)
    if any(c.kind == "current" for c in candidates):
        raise UsageError("--numpy: 'current' (this interpreter) cannot pin numpy; use releases")
    return [dataclasses.replace(c, numpy=pin) for c in candidates for pin in pins]


def incompatibility(error: str) -> str | None:
    """The resolver's reason when a SciPy/numpy pair cannot be co-installed, else None.

    uv says "No solution found ... Because scipy==1.10.1 depends on numpy>=1.19.5,<1.27.0 ...";
    pip says "ResolutionImpossible" after "scipy 1.10.1 depends on numpy<1.27.0".
    """
    text = " ".join(error.split())
    if (
        "No solution found" not in text
        and "ResolutionImpossible" not in text
        and ("conflict" not in text.lower())
    ):
        return None
    found = re.search(r"[Bb]ecause (scipy==\S+ depends on numpy[^ ,]*(?:,<[^ ]+)?)", text)
    found = found or re.search(r"(scipy \S+ depends on numpy\S*)", text)
    why = found.group(1).rstrip(".,") if found else "the resolver found no solution"
    return f"cannot be co-installed: {why}"


def run_matrix(
    *,
    scipy: Sequence[str],
    grid: str = "quick",
    out: Path = Path("results"),
    rounds: int = 3,
    max_rounds: int | None = None,
    budget_s: float | None = None,
    threshold: float = SequentialDesign.threshold,
    interleave: bool | None = None,
    timing: str = "cases",
    metric: str = "time",
    cache_sim: bool = False,
    processes: int | None = None,
    impl: Sequence[str] = ("scipy",),
    python: str | None = None,
    cache_dir: Path | None = None,
    installer: Installer | str = "auto",
    run_verify: bool = True,
    run_sweep: bool = True,
    index_url: str | None = None,
    extra_index_urls: Sequence[str] = (),
    env: Sequence[str] = (),
    numpy: Sequence[str] = (),
    log=progress,
) -> Path:
    """Build or reuse one environment per SciPy candidate and run verify and sweep in each.

    Parameters
    ----------
    scipy
        ``--scipy`` values ("1.10.1", "1.18.0rc1", "latest", "current", a wheel or a folder
        holding one, each optionally with ``,NAME=VALUE`` variables), or ready
        `bench.guard.matrix.candidates.Candidate` objects; all checked before anything is built.
    grid
        Grid name or TOML path for the sweep.
    out
        Parent folder; the matrix goes into ``out/matrix-<timestamp>/``.
    rounds, timing, interleave
        Worker processes per case and environment (``timing="cases"``: alternating, case by
        case) or whole timed sweeps per environment (``timing="sweeps"``, A B A B ordered
        when ``interleave``, default: rounds > 1); ``timing="none"``: untimed sweeps only
        (outputs, dtypes, accuracy).
    metric
        ``"time"``: the A/B timing session; ``"instructions"``: the untimed sweeps also count
        every case's whole-call instructions under callgrind, and no timing session runs;
        ``"both"``: counts and the timing session. Callgrind's profiles are kept in each
        environment's ``callgrind/`` folder.
    cache_sim
        With ``metric`` "instructions" or "both": callgrind's cache simulation too (the rows'
        ``l1_misses`` and ``ll_misses``, shown by compare beside the instruction counts).
    processes
        Passed to ``gfbench sweep --processes`` when given.
    impl
        Implementations to sweep (peers are not installed in the environments).
    python, cache_dir, installer
        The interpreter the environments are made from (default: this one), where they are
        cached, and how ("auto", "uv", "pip" or an `Installer`).
    index_url, extra_index_urls
        Where SciPy versions are looked up (see `bench.guard.matrix.candidates.parse_candidates`).
    env
        ``NAME=VALUE`` variables set in every environment under test.
    numpy
        numpy versions to pin (``--numpy``): every SciPy candidate is built once per numpy
        (the cross product, SciPy-major order); a pair the resolver cannot co-install is
        recorded as ``incompatible`` with the resolver's reason and skipped. Empty: the
        resolver picks numpy.

    Returns
    -------
    Path
        The matrix folder (holds ``matrix.json``).
    """
    if not scipy:
        raise UsageError("matrix needs at least one --scipy VERSION (e.g. --scipy 1.10.1)")
    if timing not in ("cases", "sweeps", "none"):
        raise UsageError(f"--timing must be 'cases', 'sweeps' or 'none', got {timing!r}")
    if metric not in METRICS:
        raise UsageError(f"--metric: got {metric!r}; allowed: {', '.join(METRICS)}")
    if cache_sim and metric == "time":
        raise UsageError("--cache-sim needs --metric instructions or both")
    if metric != "time":
        from bench.sweep.instructions import valgrind_missing

        if timing == "sweeps":
            raise UsageError(
                f"--metric {metric} needs --timing cases or none (the counts come from the "
                "untimed sweep of each environment), got --timing sweeps"
            )
        if (missing := valgrind_missing()) is not None:
            raise UsageError(f"--metric {metric}: {missing}")
        if metric == "instructions":
            timing = "none"  # the counts decide; no timing session
    if int(rounds) != rounds or rounds < 1:
        raise UsageError(f"--rounds must be an int >= 1, got {rounds!r}")
    if budget_s is not None and not (math.isfinite(budget_s) and budget_s > 0):
        raise UsageError(f"--budget-s must be a number of seconds > 0, got {budget_s!r}")
    if max_rounds is not None and not (isinstance(max_rounds, int) and max_rounds >= rounds):
        raise UsageError(f"--max-rounds must be an int >= --rounds ({rounds}), got {max_rounds!r}")
    design = None
    if timing == "cases":
        design = SequentialDesign(
            min_rounds=max(2, int(rounds)),
            max_rounds=max(int(rounds), max_rounds or SequentialDesign.max_rounds),
            threshold=threshold,
        )
    if processes is not None and processes < 0:
        raise UsageError(f"--processes must be >= 0, got {processes}")
    python = python or sys.executable
    if shutil.which(python) is None and not Path(python).is_file():
        raise UsageError(f"--python {python!r}: no such interpreter")
    env_all = dict(parse_env_assignment(item) for item in env)
    numpy_pins = list(dict.fromkeys(parse_numpy_spec(v) for v in numpy))
    grid_arg = str(Path(grid).resolve()) if Path(grid).is_file() else grid
    _check_grid(grid_arg, impl)
    root = project_root()
    if isinstance(installer, str):
        installer = choose_installer(installer)
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    interleave = rounds > 1 if interleave is None else interleave
    try:
        builder = EnvBuilder(installer, python, cache_dir, root)
    except (InstallError, subprocess.TimeoutExpired, ValueError) as exc:
        raise UsageError(f"--python {python}: cannot run it ({exc})") from exc
    # every candidate is checked (wheels, indexes, versions) before anything is written
    if all(isinstance(s, Candidate) for s in scipy):
        candidates = list(scipy)
    else:
        # releases already built need no index (offline reuse); only a valid version may
        # name a folder here
        versions = [str(s).strip() for s in scipy if _VERSION_RE.match(str(s).strip())]
        cached = [
            v for v in versions if builder.is_cached(Candidate(spec=v, kind="release", version=v))
        ]
        candidates = parse_candidates(
            [str(s) for s in scipy], index_url=index_url, extra_index_urls=extra_index_urls,
            env_all=env_all, python_version=builder.python_version, cache_dir=cache_dir,
            cached=cached,
        )  # fmt: skip
    candidates = numpy_cross_product(candidates, numpy_pins)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    check_out_dir(out)  # a missing parent of --out is exit 2, like every verb's --out
    try:
        matrix_dir = Path(out) / f"matrix-{stamp}"
        matrix_dir.mkdir(parents=True, exist_ok=False)
        # absolute: the processes inside the environments run in their own folders
        matrix_dir = matrix_dir.resolve()
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out {out} / cache {cache_dir}: cannot create folders ({exc})") from exc

    record: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "started_at": _now(),
        "finished_at": None,
        "python": python,
        "installer": installer.name,
        "cache_dir": str(cache_dir),
        "grid": grid_arg,
        "rounds": rounds,
        "sequential": None if design is None else design.to_dict(),
        "budget_s": budget_s,
        "timing": timing,
        "metric": metric,
        "cache_sim": bool(cache_sim),
        "interleave": interleave,
        "impl": list(impl),
        "env": env_all,
        "index_url": index_url,
        "extra_index_urls": list(extra_index_urls),
        "numpy": numpy_pins,
        "harness": builder.fingerprint,
        "environments": [],
    }
    results: list[EnvResult] = []
    seen: dict[tuple, str] = {}
    folders: set[str] = set()

    def save() -> None:
        record["environments"] = [r.to_dict() for r in results]
        # matrix.json travels: index URLs and errors lose their user:password@
        matrix_file = matrix_dir / "matrix.json"
        write_atomic(matrix_file, checked_json(redact(record), validate_matrix, file=matrix_file))

    # 1. environments, one after another
    for cand in candidates:
        result = EnvResult(spec=cand.spec, version=cand.version, kind=cand.kind,
                           provenance=cand.provenance(), env_vars=dict(cand.env_vars))  # fmt: skip
        results.append(result)
        key = ("current" if cand.kind == "current" else cand.env_key, cand.env_vars)
        if key in seen:
            result.status = "duplicate"
            result.error = f"{cand.spec} is the same build as {seen[key]}, already in the matrix"
            log(f"matrix: {cand.spec} = {seen[key]}, already in the matrix; skipped")
            save()
            continue
        seen[key] = cand.spec
        started = time.perf_counter()
        try:
            if cand.kind == "current":
                # the developer's own interpreter (e.g. an editable SciPy build): nothing built
                env_python, reused, env_dir = Path(sys.executable), True, None
                result.build_s = 0.0
            else:
                what = cand.version if cand.kind != "wheel" else Path(cand.wheel).name
                log(f"matrix: environment for SciPy {what} ({installer.name}) ...")
                env_dir, reused, seconds = builder.ensure(cand)
                env_python = installer.env_python(env_dir)
                result.build_s = round(seconds, 2)
            result.env_path, result.reused = (str(env_dir) if env_dir else None), reused
            result.python_exe = str(env_python)
            proc = _run(
                [str(env_python), "-m", "bench.cli.envrunner", "versions"], timeout=300,
                cwd=matrix_dir, env=_child_env(cand.env_vars, isolated=env_dir is not None),
            )  # fmt: skip
            info = json.loads(proc.stdout.strip().splitlines()[-1])
            result.versions = info["versions"] | {"python": info["python"]}
            resolved = str(result.versions.get("scipy"))
            if cand.kind != "current" and not _same_version(resolved, cand.version):
                raise InstallError(f"asked for SciPy {cand.version}, environment has {resolved}")
            result.version = resolved
            result.provenance = cand.provenance(resolved)
            result.label = env_label(cand, resolved)
            result.folder = env_folder(dataclasses.replace(cand, version=resolved), folders)
            folder = matrix_dir / result.folder
            (folder / "runs").mkdir(parents=True, exist_ok=True)
            env_record = {
                "label": result.label, "spec": cand.spec, "kind": cand.kind,
                "provenance": result.provenance, "env_vars": result.env_vars,
                "env_path": result.env_path, "reused": reused, "build_s": result.build_s,
                "installer": installer.name if env_dir else "none (current interpreter)", **info,
            }  # fmt: skip
            env_file = folder / "env.json"
            write_atomic(env_file, checked_json(redact(env_record), validate_env, file=env_file))
            result.status = "ok"
            log(
                f"matrix: {result.label}: numpy {result.versions.get('numpy')}, "
                f"{'reused' if reused else 'built'} in {result.build_s:.1f} s"
            )
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
        save()

    ready = [r for r in results if r.status == "ok"]

    def child_env(result: EnvResult) -> dict[str, str]:
        return _child_env(tuple(result.env_vars.items()), isolated=result.env_path is not None)

    def timing_env(result: EnvResult) -> dict[str, str]:
        variables = child_env(result)
        for var in THREAD_ENV_VARS:  # as gfbench sweep does: 1 thread unless the user says
            variables.setdefault(var, "1")
        return variables

    def in_env(
        result: EnvResult, args: Sequence[str], extra_env: dict[str, str] | None = None
    ) -> int:
        proc = subprocess.run(
            [str(result.python_exe), "-m", "bench.cli.envrunner", *args],
            cwd=matrix_dir / result.folder,
            env={**child_env(result), **(extra_env or {})},
            # what the environment prints is progress here: matrix's own stdout carries only its
            # results (the summary table, or the JSON of --json)
            stdout=sys.stderr,
            timeout=RUN_TIMEOUT_S,
            check=False,
        )
        return proc.returncode

    # 2. verify in each environment
    if run_verify:
        for result in ready:
            log(f"matrix: verify in {result.label} ...")
            result.verify_exit = in_env(
                result, ["verify", str(matrix_dir / result.folder / "verify.json")]
            )
            save()

    # 3. sweeps. "cases": one untimed sweep per environment, then every case timed in
    # alternating worker processes of the environments (bench.guard.ab_session). "sweeps": whole
    # timed sweeps, A B A B ... when interleaved, else A A B B.
    def sweep_args(result: EnvResult, *extra: str) -> list[str]:
        args = ["sweep", "--grid", grid_arg, "--out", str(matrix_dir / result.folder / "runs"),
                "--no-progress", *extra]  # fmt: skip
        for name in impl:
            args += ["--impl", name]
        return args

    if run_sweep and timing in ("cases", "none"):
        counting = metric != "time"

        def untimed_sweep(result: EnvResult) -> tuple[int, list[Path]]:
            log("matrix: untimed sweep (outputs, accuracy"
                + (", instructions under callgrind" if counting else "")
                + f") in {result.label} ...")  # fmt: skip
            runs_dir = matrix_dir / result.folder / "runs"
            before = set(runs_dir.iterdir())
            extra = ["--metric", "instructions", "--instructions-scope", "call"] if counting else []
            extra += ["--cache-sim"] if counting and cache_sim else []
            # one valgrind process per environment, the environments side by side (below): the
            # same batch of cases in every environment, and one interpreter start-up under
            # valgrind per environment instead of one per process
            counted = {PROFILES_VAR: str(matrix_dir / result.folder / "callgrind"),
                       PROCESSES_VAR: "1"}  # fmt: skip
            code = in_env(result, sweep_args(result, "--no-timing", *extra),
                          extra_env=counted if counting else None)  # fmt: skip
            new = [p for p in runs_dir.iterdir() if p not in before and (p / "run.json").is_file()]
            return code, new

        # counting is CPU-bound and single-threaded per environment: as many environments side
        # by side as there are cores (the counts do not depend on the load); without counting
        # the untimed sweeps are short and run one after another
        side_by_side = min(len(ready), os.cpu_count() or 1) if counting else 1
        finished: dict[int, list[Path]] = {}
        with concurrent.futures.ThreadPoolExecutor(max(1, side_by_side)) as pool:
            futures = {pool.submit(untimed_sweep, result): i for i, result in enumerate(ready)}
            for future in concurrent.futures.as_completed(futures):
                i = futures[future]
                code, finished[i] = future.result()
                ready[i].sweep_exits.append(code)
                save()  # matrix.json says which environments are done, as they finish
        untimed = []
        for i, result in enumerate(ready):
            if result.sweep_exits[-1] == 0 and len(finished[i]) == 1:
                untimed.append(EnvUnderTest(
                    label=result.label, python=Path(result.python_exe),
                    untimed_run=finished[i][0], runs_dir=matrix_dir / result.folder / "runs",
                    env=timing_env(result)))  # fmt: skip
        if untimed and timing == "cases":
            log(f"matrix: timing every case in alternating rounds of worker processes across "
                f"{len(untimed)} environments: {design.min_rounds} rounds, then a look after "
                f"each round up to {design.max_rounds}"
                + (f" or {budget_s:g} s" if budget_s else "") + " ...")  # fmt: skip
            timed = interleaved_timing(untimed, design=design, budget_s=budget_s, log=log)
            record["interleaved_runs"] = {k: str(v) for k, v in timed.items()}
            save()
    elif run_sweep:
        for round_index, result in sweep_order(ready, rounds=rounds, interleave=interleave):
            log(f"matrix: sweep round {round_index + 1}/{rounds} in {result.label} ...")
            extra = [] if processes is None else ["--processes", str(processes)]
            result.sweep_exits.append(in_env(result, sweep_args(result, *extra)))
            save()

    record["finished_at"] = _now()
    save()
    return matrix_dir
