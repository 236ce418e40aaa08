"""Run verify and sweep in one isolated environment per SciPy version.

For each --scipy version an environment is built (uv when it is on PATH, else
venv + pip) with that SciPy, a numpy the resolver picks as compatible, and the
harness itself (a wheel of this checkout, with its own dependencies). Inside each
environment `gfbench verify` and `gfbench sweep` run, one environment after
another. Environments are cached (default ~/.cache/gfbench/envs/<python>-scipy-<ver>,
or $GFBENCH_CACHE_DIR) and reused; a harness change only reinstalls the harness.
A version that cannot be installed is reported in matrix.json, not fatal.

Timing (--timing cases, the default): each environment runs one untimed sweep
(outputs, dtypes, accuracy), then every case is timed in --rounds N (default 3)
fresh worker processes per environment, alternating A B, B A, ... case by case, so
a busy phase of a shared machine hits every version alike (asv #595). With
--timing sweeps, whole timed sweeps run N times per environment instead, A B A B
with --interleave (default when N > 1). compare treats every round as one worker
process, its unit of replication: with one round it can say "same", never "slower".

Output: DIR/matrix-<timestamp>/matrix.json and one folder per environment
(env.json with the resolved package versions, verify.json, runs/<run_id>/).

Examples:
  gfbench matrix --scipy 1.10.1 --scipy 1.14.1 --scipy latest
  gfbench matrix --scipy 1.10.1 --scipy latest --grid quick --rounds 3 --compare
  gfbench compare results/matrix-20260101T120000Z
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from bench.exitcodes import ExitCode, UsageError
from bench.interleave import EnvUnderTest, interleaved_timing
from bench.machine import THREAD_ENV_VARS

#: the oldest SciPy the harness supports (pyproject: scipy>=1.10; `radius=` arrived in 1.10)
MIN_SCIPY = Version("1.10")
# strict: digits, dots and a pre-release tag only. A version string goes into a
# requirement (scipy==X) and a folder name, so nothing else may get through.
_VERSION_RE = re.compile(r"^\d+\.\d+(\.\d+)?((a|b|rc)\d+)?$")
ENV_META = "gfbench-env.json"
SCHEMA_VERSION = 1
INSTALL_TIMEOUT_S = 1800
RUN_TIMEOUT_S = 6 * 3600


def parse_scipy_spec(spec: str) -> str:
    """Validate one --scipy value: ``"latest"`` or a release such as ``"1.10.1"``.

    Raises
    ------
    UsageError
        Anything else, or a version older than the harness supports.
    """
    if not isinstance(spec, str):
        raise UsageError(f"--scipy must be a version string, got {spec!r}")
    spec = spec.strip()
    if spec.lower() == "latest":
        return "latest"
    if not _VERSION_RE.match(spec):
        raise UsageError(
            f"--scipy {spec!r} is not a version: use X.Y, X.Y.Z (optionally aN/bN/rcN) "
            "or 'latest', e.g. --scipy 1.10.1"
        )
    try:
        version = Version(spec)
    except InvalidVersion as exc:  # the regex should make this unreachable
        raise UsageError(f"--scipy {spec!r} is not a valid version") from exc
    if version < MIN_SCIPY:
        raise UsageError(f"--scipy {spec}: gfbench supports SciPy >= {MIN_SCIPY}")
    return spec


def default_cache_dir() -> Path:
    """$GFBENCH_CACHE_DIR, else $XDG_CACHE_HOME/gfbench/envs, else ~/.cache/gfbench/envs."""
    if os.environ.get("GFBENCH_CACHE_DIR"):
        return Path(os.environ["GFBENCH_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gfbench" / "envs"


def project_root() -> Path:
    """The source checkout the harness wheel is built from."""
    root = Path(__file__).resolve().parents[1]
    if not (root / "pyproject.toml").is_file():
        raise UsageError(
            f"gfbench matrix installs the harness from a source checkout; {root} has no "
            "pyproject.toml (run it from a clone of the repository)"
        )
    return root


def harness_fingerprint(root: Path) -> str:
    """Hash of everything that goes into the harness wheel (code, grids, reference data)."""
    digest = hashlib.sha256()
    files = [root / "pyproject.toml"]
    for package in ("bench", "reference"):
        files += sorted(
            p for p in (root / package).rglob("*") if p.is_file() and "__pycache__" not in p.parts
        )
    for path in files:
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


# --------------------------------------------------------------------------- installers
class InstallError(RuntimeError):
    """An environment step failed; the message carries the tool's last output lines."""


def _run(
    cmd: Sequence[str],
    *,
    timeout: float = INSTALL_TIMEOUT_S,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    # argument lists only, never a shell string: versions and paths come from the user
    proc = subprocess.run(
        list(cmd), capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env, check=False
    )
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-6:])
        raise InstallError(f"`{' '.join(map(str, cmd[:4]))} ...` exited {proc.returncode}:\n{tail}")
    return proc


@dataclasses.dataclass(frozen=True)
class Installer:
    """Creates environments and installs into them: venv + pip."""

    name: str = "pip"

    def env_python(self, env_dir: Path) -> Path:
        return env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")

    def create(self, python: str, env_dir: Path) -> None:
        _run([python, "-m", "venv", str(env_dir)])

    def install(
        self,
        env_dir: Path,
        requirements: Sequence[str],
        *,
        no_deps: bool = False,
        reinstall: bool = False,
    ) -> None:
        cmd = [
            str(self.env_python(env_dir)),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
        ]
        if no_deps:
            cmd.append("--no-deps")
        if reinstall:
            cmd.append("--force-reinstall")
        _run([*cmd, *requirements])

    def build_wheel(self, root: Path, out_dir: Path) -> Path:
        _run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--no-deps",
                "--disable-pip-version-check",
                "-w",
                str(out_dir),
                str(root),
            ]
        )
        return _single_wheel(out_dir)

    def latest_version(self, python: str, package: str) -> str:
        proc = _run(
            [python, "-m", "pip", "index", "versions", package, "--disable-pip-version-check"],
            timeout=120,
        )
        match = re.search(rf"^{package} \(([^)]+)\)", proc.stdout, flags=re.MULTILINE)
        if not match:
            raise InstallError(f"cannot read the latest {package} version from pip index")
        return match.group(1)


@dataclasses.dataclass(frozen=True)
class UvInstaller(Installer):
    """Same steps through uv (much faster resolution and installs, shared wheel cache)."""

    name: str = "uv"
    uv: str = "uv"

    def create(self, python: str, env_dir: Path) -> None:
        _run([self.uv, "venv", "--quiet", "--python", python, str(env_dir)])

    def install(
        self,
        env_dir: Path,
        requirements: Sequence[str],
        *,
        no_deps: bool = False,
        reinstall: bool = False,
    ) -> None:
        cmd = [self.uv, "pip", "install", "--quiet", "--python", str(self.env_python(env_dir))]
        if no_deps:
            cmd.append("--no-deps")
        if reinstall:
            cmd.append("--reinstall")
        _run([*cmd, *requirements])

    def build_wheel(self, root: Path, out_dir: Path) -> Path:
        _run([self.uv, "build", "--wheel", "--quiet", "--out-dir", str(out_dir), str(root)])
        return _single_wheel(out_dir)


def _single_wheel(out_dir: Path) -> Path:
    wheels = sorted(out_dir.glob("gfbench-*.whl"))
    if len(wheels) != 1:
        raise InstallError(f"expected one gfbench wheel in {out_dir}, found {len(wheels)}")
    return wheels[0]


def find_uv() -> str | None:
    """uv on PATH, or next to this interpreter (a venv's bin/)."""
    found = shutil.which("uv")
    if found:
        return found
    beside = Path(sys.executable).parent / "uv"
    return str(beside) if beside.is_file() and os.access(beside, os.X_OK) else None


def choose_installer(name: str = "auto") -> Installer:
    """``auto``: uv when present, else pip; ``uv`` or ``pip`` force one."""
    if name not in ("auto", "uv", "pip"):
        raise UsageError(f"--installer must be one of auto, uv, pip; got {name!r}")
    uv = find_uv()
    if name == "uv" and uv is None:
        raise UsageError(
            "--installer uv: uv is not on PATH (pip install uv, or use --installer pip)"
        )
    if name in ("auto", "uv") and uv is not None:
        return UvInstaller(uv=uv)
    return Installer()


# --------------------------------------------------------------------------- environments
@dataclasses.dataclass
class EnvResult:
    """What happened to one requested SciPy version."""

    spec: str
    version: str | None = None
    label: str = ""
    folder: str = ""
    status: str = "pending"  # ok | install-failed | failed | duplicate
    error: str | None = None
    env_path: str | None = None
    reused: bool = False
    build_s: float | None = None
    versions: dict[str, Any] = dataclasses.field(default_factory=dict)
    verify_exit: int | None = None
    sweep_exits: list[int] = dataclasses.field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _check_grid(grid: str, impl: Sequence[str]) -> None:
    """Fail before any environment is built: the grid must load and keep cases for ``impl``."""
    from bench import impls
    from bench.cases import load_grid

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


def _python_tag(python: str) -> str:
    proc = _run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], timeout=60)
    return "py" + proc.stdout.strip()


class EnvBuilder:
    """Builds, caches and refreshes the environment of one SciPy version."""

    def __init__(self, installer: Installer, python: str, cache_dir: Path, root: Path) -> None:
        self.installer = installer
        self.python = python
        self.cache_dir = cache_dir
        self.root = root
        self.python_tag = _python_tag(python)
        self.fingerprint = harness_fingerprint(root)
        self._wheel: Path | None = None

    def wheel(self) -> Path:
        """The harness wheel of this checkout, built once per fingerprint and cached."""
        if self._wheel is None:
            wheel_dir = self.cache_dir / "wheels" / self.fingerprint
            if not list(wheel_dir.glob("gfbench-*.whl")):
                tmp = wheel_dir.with_name(wheel_dir.name + ".partial")
                shutil.rmtree(tmp, ignore_errors=True)
                tmp.mkdir(parents=True)
                self.installer.build_wheel(self.root, tmp)
                shutil.rmtree(wheel_dir, ignore_errors=True)
                tmp.rename(wheel_dir)
            self._wheel = _single_wheel(wheel_dir)
        return self._wheel

    def env_dir(self, version: str) -> Path:
        return self.cache_dir / f"{self.python_tag}-scipy-{version}"

    def ensure(self, version: str) -> tuple[Path, bool]:
        """Return (env_dir, reused). Builds it when missing or broken; refreshes the harness."""
        env_dir = self.env_dir(version)
        meta_path = env_dir / ENV_META
        requirement = [f"scipy=={version}"]
        meta = None
        if meta_path.is_file():
            try:
                meta = json.loads(meta_path.read_text())
            except ValueError:
                meta = None
        env_python = self.installer.env_python(env_dir)
        if meta is not None and env_python.exists():
            if meta.get("harness") != self.fingerprint:
                # same gfbench version number, new code: force the harness in, then let the
                # resolver add any dependency the new pyproject asks for (scipy stays pinned)
                self.installer.install(env_dir, [str(self.wheel())], no_deps=True, reinstall=True)
                self.installer.install(env_dir, [*requirement, str(self.wheel())])
                meta["harness"] = self.fingerprint
                meta_path.write_text(json.dumps(meta, indent=1))
            return env_dir, True
        # build from scratch into a fresh folder; the meta file is written last, so a
        # half-built environment is never taken for a good one.
        shutil.rmtree(env_dir, ignore_errors=True)
        env_dir.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.installer.create(self.python, env_dir)
            # one resolver call: SciPy pinned, numpy and the harness' dependencies resolved
            # compatibly with it (e.g. SciPy 1.10.1 -> numpy < 1.27)
            self.installer.install(env_dir, [*requirement, str(self.wheel())])
        except (InstallError, subprocess.TimeoutExpired):
            shutil.rmtree(env_dir, ignore_errors=True)
            raise
        meta = {
            "schema_version": SCHEMA_VERSION,
            "scipy": version,
            "python": self.python,
            "installer": self.installer.name,
            "harness": self.fingerprint,
            "created_at": _now(),
        }
        meta_path.write_text(json.dumps(meta, indent=1))
        return env_dir, False


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _child_env() -> dict[str, str]:
    # The environment under test must import its own packages only: no PYTHONPATH from the
    # caller, no user site-packages.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYTHONNOUSERSITE"] = "1"
    return env


# --------------------------------------------------------------------------- the matrix
def run_matrix(
    *,
    scipy: Sequence[str],
    grid: str = "quick",
    out: Path = Path("results"),
    rounds: int = 3,
    interleave: bool | None = None,
    timing: str = "cases",
    processes: int | None = None,
    impl: Sequence[str] = ("scipy",),
    python: str | None = None,
    cache_dir: Path | None = None,
    installer: Installer | str = "auto",
    run_verify: bool = True,
    run_sweep: bool = True,
    log=print,
) -> Path:
    """Build or reuse one environment per SciPy version and run verify and sweep in each.

    Parameters
    ----------
    scipy
        Versions ("1.10.1", "latest", ...); validated, duplicates removed.
    grid
        Grid name or TOML path for the sweep.
    out
        Parent folder; the matrix goes into ``out/matrix-<timestamp>/``.
    rounds, timing, interleave
        Worker processes per case and environment (``timing="cases"``: alternating, case by
        case) or whole timed sweeps per environment (``timing="sweeps"``, A B A B ordered
        when ``interleave``, default: rounds > 1).
    processes
        Passed to ``gfbench sweep --processes`` when given.
    impl
        Implementations to sweep (peers are not installed in the environments).
    python, cache_dir, installer
        The interpreter the environments are made from (default: this one), where they are
        cached, and how ("auto", "uv", "pip" or an `Installer`).

    Returns
    -------
    Path
        The matrix folder (holds ``matrix.json``).
    """
    specs = list(dict.fromkeys(parse_scipy_spec(s) for s in scipy))
    if not specs:
        raise UsageError("matrix needs at least one --scipy VERSION (e.g. --scipy 1.10.1)")
    if timing not in ("cases", "sweeps"):
        raise UsageError(f"--timing must be 'cases' or 'sweeps', got {timing!r}")
    if int(rounds) != rounds or rounds < 1:
        raise UsageError(f"--rounds must be an int >= 1, got {rounds!r}")
    if processes is not None and processes < 0:
        raise UsageError(f"--processes must be >= 0, got {processes}")
    python = python or sys.executable
    if shutil.which(python) is None and not Path(python).is_file():
        raise UsageError(f"--python {python!r}: no such interpreter")
    grid_arg = str(Path(grid).resolve()) if Path(grid).is_file() else grid
    _check_grid(grid_arg, impl)
    root = project_root()
    if isinstance(installer, str):
        installer = choose_installer(installer)
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    interleave = rounds > 1 if interleave is None else interleave
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    try:
        matrix_dir = Path(out) / f"matrix-{stamp}"
        matrix_dir.mkdir(parents=True, exist_ok=False)
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out {out} / cache {cache_dir}: cannot create folders ({exc})") from exc

    builder = EnvBuilder(installer, python, cache_dir, root)
    record: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "started_at": _now(),
        "finished_at": None,
        "python": python,
        "installer": installer.name,
        "cache_dir": str(cache_dir),
        "grid": grid_arg,
        "rounds": rounds,
        "timing": timing,
        "interleave": interleave,
        "impl": list(impl),
        "harness": builder.fingerprint,
        "environments": [],
    }
    results: list[EnvResult] = []

    def save() -> None:
        record["environments"] = [r.to_dict() for r in results]
        (matrix_dir / "matrix.json").write_text(json.dumps(record, indent=1))

    # 1. environments, one after another
    for spec in specs:
        result = EnvResult(spec=spec)
        results.append(result)
        started = time.perf_counter()
        try:
            version = installer.latest_version(python, "scipy") if spec == "latest" else spec
            result.version = version
            result.label = f"scipy-{version}"
            result.folder = result.label
            if any(r.version == version and r is not result and r.status == "ok" for r in results):
                result.status = "duplicate"
                result.error = f"{spec} resolves to {version}, already in the matrix"
                log(f"matrix: {spec} = {version}, already built; skipped")
                continue
            log(f"matrix: environment for SciPy {version} ({installer.name}) ...")
            env_dir, reused = builder.ensure(version)
            result.env_path, result.reused = str(env_dir), reused
            result.build_s = round(time.perf_counter() - started, 2)
            env_python = installer.env_python(env_dir)
            proc = _run(
                [str(env_python), "-m", "bench.envrunner", "versions"],
                timeout=300,
                cwd=matrix_dir,
                env=_child_env(),
            )
            info = json.loads(proc.stdout.strip().splitlines()[-1])
            result.versions = info["versions"] | {"python": info["python"]}
            if result.versions.get("scipy") != version:
                raise InstallError(
                    f"asked for SciPy {version}, environment has {result.versions.get('scipy')}"
                )
            folder = matrix_dir / result.folder
            (folder / "runs").mkdir(parents=True, exist_ok=True)
            (folder / "env.json").write_text(
                json.dumps(
                    {
                        "label": result.label,
                        "spec": spec,
                        "env_path": str(env_dir),
                        "reused": reused,
                        "build_s": result.build_s,
                        "installer": installer.name,
                        **info,
                    },
                    indent=1,
                )
            )
            result.status = "ok"
            log(
                f"matrix: SciPy {version}: numpy {result.versions.get('numpy')}, "
                f"{'reused' if reused else 'built'} in {result.build_s:.1f} s"
            )
        except (InstallError, subprocess.TimeoutExpired, OSError, ValueError, KeyError) as exc:
            result.status = "install-failed"
            result.error = str(exc)
            result.build_s = round(time.perf_counter() - started, 2)
            log(f"matrix: SciPy {spec}: could not be installed: {exc}")
        save()

    ready = [r for r in results if r.status == "ok"]

    def in_env(result: EnvResult, args: Sequence[str]) -> int:
        env_python = installer.env_python(Path(result.env_path))
        proc = subprocess.run(
            [str(env_python), "-m", "bench.envrunner", *args],
            cwd=matrix_dir / result.folder,
            env=_child_env(),
            timeout=RUN_TIMEOUT_S,
            check=False,
        )
        return proc.returncode

    # 2. verify in each environment
    if run_verify:
        for result in ready:
            log(f"matrix: verify in SciPy {result.version} ...")
            result.verify_exit = in_env(
                result, ["verify", str(matrix_dir / result.folder / "verify.json")]
            )
            save()

    # 3. sweeps. "cases": one untimed sweep per environment, then every case timed in
    # alternating worker processes of the environments (bench.interleave). "sweeps": whole
    # timed sweeps, A B A B ... when interleaved, else A A B B.
    def sweep_args(result: EnvResult, *extra: str) -> list[str]:
        args = ["sweep", "--grid", grid_arg, "--out", str(matrix_dir / result.folder / "runs"),
                "--no-progress", *extra]  # fmt: skip
        for name in impl:
            args += ["--impl", name]
        return args

    if run_sweep and timing == "cases":
        untimed = []
        for result in ready:
            log(f"matrix: untimed sweep (outputs, accuracy) in SciPy {result.version} ...")
            runs_dir = matrix_dir / result.folder / "runs"
            before = set(runs_dir.iterdir())
            code = in_env(result, sweep_args(result, "--no-timing"))
            result.sweep_exits.append(code)
            new = [p for p in runs_dir.iterdir() if p not in before and (p / "run.json").is_file()]
            if code == 0 and len(new) == 1:
                untimed.append(EnvUnderTest(
                    label=result.label, python=installer.env_python(Path(result.env_path)),
                    untimed_run=new[0], runs_dir=runs_dir))  # fmt: skip
            save()
        if untimed:
            log(f"matrix: timing every case in {rounds} alternating rounds of worker processes"
                f" across {len(untimed)} environments ...")  # fmt: skip
            child = _child_env()
            for var in THREAD_ENV_VARS:  # as gfbench sweep does: 1 thread unless the user says
                child.setdefault(var, "1")
            timed = interleaved_timing(untimed, rounds=rounds, child_env=child, log=log)
            record["interleaved_runs"] = {k: str(v) for k, v in timed.items()}
            save()
    elif run_sweep:
        for round_index, result in sweep_order(ready, rounds=rounds, interleave=interleave):
            log(f"matrix: sweep round {round_index + 1}/{rounds} in SciPy {result.version} ...")
            extra = [] if processes is None else ["--processes", str(processes)]
            result.sweep_exits.append(in_env(result, sweep_args(result, *extra)))
            save()

    record["finished_at"] = _now()
    save()
    return matrix_dir


def summary_table(matrix_dir: Path) -> str:
    """One line per requested version: status, numpy, build time, verify/sweep exit codes."""
    from tabulate import tabulate

    record = json.loads((matrix_dir / "matrix.json").read_text())
    rows = []
    for env in record["environments"]:
        rows.append(
            [
                env["spec"],
                env["version"] or "-",
                env["status"],
                env["versions"].get("numpy", "-") if env["versions"] else "-",
                "-" if env["build_s"] is None else f"{env['build_s']:.1f}",
                "reused" if env["reused"] else ("built" if env["status"] == "ok" else "-"),
                env["verify_exit"] if env["verify_exit"] is not None else "-",
                ",".join(map(str, env["sweep_exits"])) or "-",
                (env["error"] or "")[:80],
            ]
        )
    return tabulate(
        rows,
        headers=[
            "asked",
            "scipy",
            "status",
            "numpy",
            "env s",
            "env",
            "verify exit",
            "sweep exits",
            "error",
        ],
    )


# --------------------------------------------------------------------------- CLI
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scipy",
        action="append",
        required=True,
        metavar="VERSION",
        help="a SciPy version (X.Y.Z) or 'latest'; repeat for each environment",
    )
    parser.add_argument("--grid", default="quick", help="sweep grid name or TOML path (quick)")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("results"),
        help="parent folder of matrix-<timestamp>/ (default results)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="worker processes per case and environment (default 3; with --timing sweeps: "
        "timed sweeps); compare needs >= 2 for a performance verdict",
    )
    parser.add_argument(
        "--timing",
        choices=("cases", "sweeps"),
        default="cases",
        help="cases: untimed sweeps, then each case timed in alternating worker processes of "
        "the environments (default); sweeps: whole timed sweeps per round",
    )
    parser.add_argument(
        "--interleave",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="run rounds A B A B (default: on when --rounds > 1)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=None,
        help="with --timing sweeps: worker processes per case, passed to gfbench sweep",
    )
    parser.add_argument(
        "--impl", action="append", default=None, help="implementations to sweep (default scipy)"
    )
    parser.add_argument(
        "--python",
        default=None,
        help="interpreter to build the environments from (default: this one)",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="where environments are cached (default ~/.cache/gfbench/envs)",
    )
    parser.add_argument(
        "--installer",
        default="auto",
        choices=("auto", "uv", "pip"),
        help="auto: uv when on PATH, else venv + pip",
    )
    parser.add_argument("--no-verify", action="store_true", help="skip gfbench verify")
    parser.add_argument("--no-sweep", action="store_true", help="skip gfbench sweep")
    parser.add_argument(
        "--compare",
        action="store_true",
        help="finish with gfbench compare of the environments (its exit code)",
    )
    parser.add_argument("--json", action="store_true", help="print matrix.json at the end")


def main(args: argparse.Namespace) -> int:
    log = (lambda msg: print(msg, file=sys.stderr)) if args.json else print
    matrix_dir = run_matrix(
        scipy=args.scipy,
        grid=args.grid,
        out=args.out,
        rounds=args.rounds,
        interleave=args.interleave,
        timing=args.timing,
        processes=args.processes,
        impl=args.impl or ["scipy"],
        python=args.python,
        cache_dir=args.cache_dir,
        installer=args.installer,
        run_verify=not args.no_verify,
        run_sweep=not args.no_sweep,
        log=log,
    )
    record = json.loads((matrix_dir / "matrix.json").read_text())
    if args.json:
        print(json.dumps(record, indent=1))
    else:
        print(summary_table(matrix_dir))
        print(f"\nmatrix: {matrix_dir}\nnext: gfbench compare {matrix_dir}")
    ok = [e for e in record["environments"] if e["status"] == "ok"]
    if not ok:
        return ExitCode.CHANGED
    if args.compare:
        if len(ok) < 2:
            print("matrix: --compare needs two environments that completed", file=sys.stderr)
            return ExitCode.INCONCLUSIVE
        from bench import compare

        result = compare.compare([matrix_dir])
        print(compare.render_text(result))
        return int(result.exit_code)
    return ExitCode.OK
