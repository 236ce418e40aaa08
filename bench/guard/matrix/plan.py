"""The options of a matrix run, checked and turned into a `MatrixPlan` before anything is built.

`make_plan` validates every option of `bench.guard.matrix.run.run_matrix` (versions, wheels,
indexes, grid, rounds, metric) and says what the run will do: the candidates, the sequential
design, the installer and cache. Bad input is a `UsageError` (exit 2) and nothing is written.

Why: docs/ci.md.
"""

from __future__ import annotations

import dataclasses
import math
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.exitcodes import UsageError
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
    choose_installer,
    default_cache_dir,
    project_root,
)
from bench.guard.stats.round_units import PAIRED_MEDIAN
from bench.guard.stats.sequential_design import SequentialDesign

#: what ``--metric`` may name: the A/B timing session, instruction counts, or both
METRICS = ("time", "instructions", "both")
TIMINGS = ("cases", "sweeps", "none")


@dataclasses.dataclass(frozen=True)
class MatrixPlan:
    """What a matrix run will do, every part of it already checked."""

    candidates: tuple[Candidate, ...]
    #: a grid name, or the absolute path of a grid file (the sweeps run in other folders)
    grid: str
    impl: tuple[str, ...]
    rounds: int
    #: the sequential looks of ``timing="cases"``; None otherwise
    design: SequentialDesign | None
    budget_s: float | None
    #: ``cases`` (A/B session), ``sweeps`` (whole timed sweeps) or ``none`` (untimed only)
    timing: str
    metric: str
    #: callgrind's cache simulation with the counts (``--cache-sim``)
    cache_sim: bool
    interleave: bool
    processes: int | None
    python: str
    installer: Installer
    cache_dir: Path
    builder: EnvBuilder
    run_verify: bool
    run_sweep: bool
    env: dict[str, str]
    numpy: tuple[str, ...]
    index_url: str | None
    extra_index_urls: tuple[str, ...]

    @property
    def counts_instructions(self) -> bool:
        """The untimed sweeps count instructions under callgrind (``--metric`` not ``time``)."""
        return self.metric != "time"


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


def _check_grid(grid: str, impl: Sequence[str]) -> None:
    """Fail before any environment is built: the grid must load and keep cases for ``impl``."""
    from bench.sweep import impls
    from bench.sweep.grid import load_grid

    unknown = [name for name in impl if name not in impls.names()]
    if unknown:
        raise UsageError(f"--impl {', '.join(unknown)}: not one of {', '.join(impls.names())}")
    if not load_grid(grid).filtered(impls=list(impl)).cases:
        raise UsageError(f"--grid {grid}: no case for --impl {', '.join(impl)}")


def _check_timing(timing: str, metric: str) -> str:
    """The timing the run uses: ``--metric instructions`` runs no timing session."""
    if timing not in TIMINGS:
        raise UsageError(f"--timing must be 'cases', 'sweeps' or 'none', got {timing!r}")
    if metric not in METRICS:
        raise UsageError(f"--metric: got {metric!r}; allowed: {', '.join(METRICS)}")
    if metric == "time":
        return timing
    from bench.sweep.instructions import valgrind_missing

    if timing == "sweeps":
        raise UsageError(
            f"--metric {metric} needs --timing cases or none (the counts come from the "
            "untimed sweep of each environment), got --timing sweeps"
        )
    if (missing := valgrind_missing()) is not None:
        raise UsageError(f"--metric {metric}: {missing}")
    return "none" if metric == "instructions" else timing  # the counts decide


def _check_rounds(
    rounds: int, max_rounds: int | None, budget_s: float | None, threshold: float, timing: str
) -> SequentialDesign | None:
    """The sequential design of ``timing="cases"`` (None for the others), from checked rounds."""
    if int(rounds) != rounds or rounds < 1:
        raise UsageError(f"--rounds must be an int >= 1, got {rounds!r}")
    if budget_s is not None and not (math.isfinite(budget_s) and budget_s > 0):
        raise UsageError(f"--budget-s must be a number of seconds > 0, got {budget_s!r}")
    if max_rounds is not None and not (isinstance(max_rounds, int) and max_rounds >= rounds):
        raise UsageError(f"--max-rounds must be an int >= --rounds ({rounds}), got {max_rounds!r}")
    if timing != "cases":
        return None
    return SequentialDesign(
        min_rounds=max(2, int(rounds)),
        max_rounds=max(int(rounds), max_rounds or SequentialDesign.max_rounds),
        threshold=threshold,
        paired=True,  # the A/B session times the environments side by side
        unit=PAIRED_MEDIAN,  # and pairs their samples pass by pass (what matrix.json records)
    )


def _candidates(
    scipy: Sequence[str | Candidate],
    builder: EnvBuilder,
    *,
    index_url: str | None,
    extra_index_urls: Sequence[str],
    env_all: dict[str, str],
    cache_dir: Path,
) -> list[Candidate]:
    """Every --scipy value checked (wheels, indexes, versions) before anything is written."""
    if all(isinstance(s, Candidate) for s in scipy):
        return list(scipy)  # type: ignore[arg-type]
    # releases already built need no index (offline reuse); only a valid version may
    # name a folder here
    versions = [str(s).strip() for s in scipy if _VERSION_RE.match(str(s).strip())]
    cached = [
        v for v in versions if builder.is_cached(Candidate(spec=v, kind="release", version=v))
    ]
    return parse_candidates(
        [str(s) for s in scipy], index_url=index_url, extra_index_urls=extra_index_urls,
        env_all=env_all, python_version=builder.python_version, cache_dir=cache_dir,
        cached=cached,
    )  # fmt: skip


def make_plan(
    *,
    scipy: Sequence[str | Candidate],
    grid: str = "quick",
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
) -> MatrixPlan:
    """Check the options of a matrix run (`bench.guard.matrix.run.run_matrix`) and plan it.

    The checks run in the order a user meets them: arguments, then the interpreter, grid
    and installer, then every candidate (which may ask an index). Nothing is written.

    Parameters
    ----------
    scipy
        ``--scipy`` values ("1.10.1", "1.18.0rc1", "latest", "current", a wheel or a folder
        holding one, each optionally with ``,NAME=VALUE`` variables), or ready
        `bench.guard.matrix.candidates.Candidate` objects; all checked before anything is built.
    grid
        Grid name or TOML path for the sweep.
    rounds, timing, interleave
        Worker processes per case and environment (``timing="cases"``: alternating, case by
        case) or whole timed sweeps per environment (``timing="sweeps"``, A B A B ordered
        when ``interleave``, default: rounds > 1); ``timing="none"``: untimed sweeps only
        (outputs, dtypes, accuracy).
    metric
        ``"time"``: the A/B timing session; ``"instructions"``: the untimed sweeps also count
        every case's whole-call instructions under callgrind, and no timing session runs;
        ``"both"``: counts and the timing session. Each counted case's profiles are kept in
        its run folder (``runs/<run_id>/profiles/``, ``bench.store.profiles``).
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

    Raises
    ------
    UsageError
        The first option that is wrong, naming it.
    """
    if not scipy:
        raise UsageError("matrix needs at least one --scipy VERSION (e.g. --scipy 1.10.1)")
    timing = _check_timing(timing, metric)
    if cache_sim and metric == "time":
        raise UsageError("--cache-sim needs --metric instructions or both")
    design = _check_rounds(rounds, max_rounds, budget_s, threshold, timing)
    if processes is not None and processes < 0:
        raise UsageError(f"--processes must be >= 0, got {processes}")
    python = python or sys.executable
    if shutil.which(python) is None and not Path(python).is_file():
        raise UsageError(f"--python {python!r}: no such interpreter")
    env_all = dict(parse_env_assignment(item) for item in env)
    numpy_pins = list(dict.fromkeys(parse_numpy_spec(v) for v in numpy))
    # absolute: the sweeps run inside the environments' folders
    grid_arg = str(Path(grid).resolve()) if Path(grid).is_file() else grid
    _check_grid(grid_arg, impl)
    root = project_root()
    if isinstance(installer, str):
        installer = choose_installer(installer)
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    try:
        builder = EnvBuilder(installer, python, cache_dir, root)
    except (InstallError, subprocess.TimeoutExpired, ValueError) as exc:
        raise UsageError(f"--python {python}: cannot run it ({exc})") from exc
    candidates = _candidates(
        scipy, builder, index_url=index_url, extra_index_urls=extra_index_urls,
        env_all=env_all, cache_dir=cache_dir,
    )  # fmt: skip
    return MatrixPlan(
        candidates=tuple(numpy_cross_product(candidates, numpy_pins)),
        grid=grid_arg,
        impl=tuple(impl),
        rounds=rounds,
        design=design,
        budget_s=budget_s,
        timing=timing,
        metric=metric,
        cache_sim=bool(cache_sim),
        interleave=rounds > 1 if interleave is None else interleave,
        processes=processes,
        python=python,
        installer=installer,
        cache_dir=cache_dir,
        builder=builder,
        run_verify=run_verify,
        run_sweep=run_sweep,
        env=env_all,
        numpy=tuple(numpy_pins),
        index_url=index_url,
        extra_index_urls=tuple(extra_index_urls),
    )
