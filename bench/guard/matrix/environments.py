"""Build, cache and refresh the isolated environment of one SciPy candidate.

One job: given a `bench.guard.matrix.candidates.Candidate`, make (or reuse) a virtual environment
holding that SciPy, a numpy the resolver picks as compatible, and the harness itself (a
wheel of this checkout, with its own dependencies). uv does it in seconds (the ``uv``
package is a dependency and ships the binary); venv + pip is the fallback. Environments
are cached under ~/.cache/gfbench/envs (or $GFBENCH_CACHE_DIR), keyed by the Python and
the SciPy version or wheel sha256; a harness change only reinstalls the harness.
"""

from __future__ import annotations

import contextlib
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

from bench.exitcodes import UsageError
from bench.guard.matrix.candidates import Candidate
from bench.store.locks import wait_lock

ENV_META = "gfbench-env.json"
SCHEMA_VERSION = 2
INSTALL_TIMEOUT_S = 1800


def default_cache_dir() -> Path:
    """$GFBENCH_CACHE_DIR, else $XDG_CACHE_HOME/gfbench/envs, else ~/.cache/gfbench/envs."""
    if os.environ.get("GFBENCH_CACHE_DIR"):
        return Path(os.environ["GFBENCH_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gfbench" / "envs"


def project_root() -> Path:
    """The source checkout the harness wheel is built from."""
    root = Path(__file__).resolve().parents[3]
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
    """The uv binary: the ``uv`` package's (a dependency), else uv on PATH."""
    try:
        import uv

        found = uv.find_uv_bin()
        if found and os.access(found, os.X_OK):
            return str(found)
    except (ImportError, FileNotFoundError):
        pass
    return shutil.which("uv")


def choose_installer(name: str = "auto") -> Installer:
    """``auto``: uv when present, else pip; ``uv`` or ``pip`` force one."""
    if name not in ("auto", "uv", "pip"):
        raise UsageError(f"--installer must be one of auto, uv, pip; got {name!r}")
    uv = find_uv()
    if name == "uv" and uv is None:
        raise UsageError(
            "--installer uv: uv is not installed (pip install uv, or use --installer pip)"
        )
    if name in ("auto", "uv") and uv is not None:
        return UvInstaller(uv=uv)
    return Installer()


def python_version(python: str) -> tuple[int, int]:
    """(major, minor) of an interpreter."""
    if Path(python).resolve() == Path(sys.executable).resolve():
        return sys.version_info[:2]
    proc = _run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], timeout=60)
    major, minor = proc.stdout.strip().split(".")
    return int(major), int(minor)


#: what gfbench's own processes import in an environment (the CLI's verbs, the counting and
#: timing workers, verify's pytest run and the reference suite's helpers): imported once, with
#: bytecode written, when the harness goes in
WARM_IMPORTS = (
    "bench.cli", "bench.cli.envrunner", "bench.sweep.callcount", "bench.sweep.bytecodes",
    "bench.sweep.instructions", "bench.sweep.impls", "bench.sweep.timing.paired",
    "bench.guard.verify", "mpmath",
    "scipy.ndimage", "numpy.testing", "pytest", "hypothesis", "hypothesis.extra.numpy",
)  # fmt: skip
#: run by the environment's interpreter: import the modules named (and pytest's default plugins
#: and the reference suite's non-test modules), each as far as it goes; best effort, exit 0
_WARM = """\
import importlib, pkgutil, sys
def load(name):
    try:
        return importlib.import_module(name)
    except Exception:
        return None
for name in sys.argv[1:]:
    load(name)
config = load("_pytest.config")
for name in getattr(config, "default_plugins", ()):
    load("_pytest." + name)
reference = load("reference")
for info in pkgutil.iter_modules(getattr(reference, "__path__", [])):
    if not info.name.startswith(("test_", "conftest")):
        load("reference." + info.name)
"""


def compile_bytecode(env_python: Path, modules: Sequence[str] = WARM_IMPORTS) -> None:
    """Write the bytecode of what gfbench's processes import in the environment of
    ``env_python``: one start that imports ``modules`` with bytecode writing on.

    pip compiles what it installs; uv does not, and with ``PYTHONDONTWRITEBYTECODE`` set (CI
    containers, and verify's own pytest run) every process in the environment compiled every
    module it imported, again and again: about 0.4 s of CPU per process importing SciPy, 3 s in
    a counting worker under valgrind (docs/ci.md). Importing writes only what is imported (about
    650 files, 3.7 s of CPU; compiling the whole of those packages took 9.7 s) and skips what is
    already compiled, so a harness update rewrites the harness's files only.
    """
    env = {k: v for k, v in child_env().items() if k != "PYTHONDONTWRITEBYTECODE"}
    with contextlib.suppress(subprocess.TimeoutExpired, OSError):
        subprocess.run([str(env_python), "-c", _WARM, *modules], capture_output=True, env=env,
                       timeout=INSTALL_TIMEOUT_S, check=False)  # fmt: skip


class EnvBuilder:
    """Builds, caches and refreshes the environment of one SciPy version."""

    def __init__(self, installer: Installer, python: str, cache_dir: Path, root: Path) -> None:
        self.installer = installer
        self.python = python
        self.cache_dir = cache_dir
        self.root = root
        self.python_version = python_version(python)
        self.python_tag = "py{}.{}".format(*self.python_version)
        self.fingerprint = harness_fingerprint(root)
        self._wheel: Path | None = None

    def wheel(self) -> Path:
        """The harness wheel of this checkout, built once per fingerprint and cached."""
        if self._wheel is None:
            wheel_dir = self.cache_dir / "wheels" / self.fingerprint
            with wait_lock(wheel_dir.with_name(wheel_dir.name + ".lock")):
                self._build_wheel_once(wheel_dir)
            self._wheel = _single_wheel(wheel_dir)
        return self._wheel

    def _build_wheel_once(self, wheel_dir: Path) -> None:
        """Build the wheel into ``wheel_dir`` unless there (called under the wheel's lock, so
        a second builder finds the first one's wheel instead of deleting its half-built one)."""
        if list(wheel_dir.glob("gfbench-*.whl")):
            return
        tmp = wheel_dir.with_name(wheel_dir.name + ".partial")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        self.installer.build_wheel(self.root, tmp)
        shutil.rmtree(wheel_dir, ignore_errors=True)
        tmp.rename(wheel_dir)

    def env_dir(self, candidate: Candidate) -> Path:
        return self.cache_dir / f"{self.python_tag}-scipy-{candidate.env_key}"

    def is_cached(self, candidate: Candidate) -> bool:
        env_dir = self.env_dir(candidate)
        return (env_dir / ENV_META).is_file() and self.installer.env_python(env_dir).exists()

    def ensure(self, candidate: Candidate) -> tuple[Path, bool, float]:
        """Return (env_dir, reused, seconds). Builds it when missing or broken.

        A reused environment whose harness changed gets the new harness reinstalled. The
        environment is locked (``<env>.lock`` beside it) for the whole check-and-build: a
        second gfbench building the same one waits, then reuses what the first built.
        """
        started = time.perf_counter()
        env_dir = self.env_dir(candidate)
        env_dir.parent.mkdir(parents=True, exist_ok=True)

        def say_waiting() -> None:
            print(
                f"matrix: waiting for another gfbench building {env_dir.name} ...",
                file=sys.stderr,
            )

        with wait_lock(env_dir.with_name(env_dir.name + ".lock"), on_wait=say_waiting):
            return self._ensure_locked(candidate, env_dir, started)

    def _ensure_locked(
        self, candidate: Candidate, env_dir: Path, started: float
    ) -> tuple[Path, bool, float]:
        meta_path = env_dir / ENV_META
        # a release is pinned on the default index; a wheel is installed from its file
        requirement = [str(candidate.wheel) if candidate.wheel else f"scipy=={candidate.version}"]
        if candidate.numpy is not None:
            # numpy as a factor (matrix --numpy): pinned in the same resolver call, so a pair
            # that cannot be co-installed fails here with the resolver's reason
            requirement.append(f"numpy=={candidate.numpy}")
        meta = None
        if meta_path.is_file():
            try:
                meta = json.loads(meta_path.read_text())
            except (OSError, ValueError):
                meta = None
            if not isinstance(meta, dict):
                meta = None
        env_python = self.installer.env_python(env_dir)
        if meta is not None and env_python.exists():
            if meta.get("harness") != self.fingerprint:
                # same gfbench version number, new code: force the harness in, then let the
                # resolver add any dependency the new pyproject asks for (scipy stays pinned)
                self.installer.install(env_dir, [str(self.wheel())], no_deps=True, reinstall=True)
                self.installer.install(env_dir, [*requirement, str(self.wheel())])
                compile_bytecode(env_python)
                meta["harness"] = self.fingerprint
                meta_path.write_text(json.dumps(meta, indent=1))
            return env_dir, True, time.perf_counter() - started
        # build from scratch into a fresh folder; the meta file is written last, so a
        # half-built environment is never taken for a good one.
        shutil.rmtree(env_dir, ignore_errors=True)
        env_dir.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.installer.create(self.python, env_dir)
            # one resolver call: SciPy pinned, numpy and the harness' dependencies resolved
            # compatibly with it (e.g. SciPy 1.10.1 -> numpy < 1.27)
            self.installer.install(env_dir, [*requirement, str(self.wheel())])
            compile_bytecode(env_python)
        except (InstallError, subprocess.TimeoutExpired):
            shutil.rmtree(env_dir, ignore_errors=True)
            raise
        seconds = time.perf_counter() - started
        meta = {
            "schema_version": SCHEMA_VERSION,
            "scipy": candidate.version,
            "provenance": candidate.provenance(),
            "python": self.python,
            "installer": self.installer.name,
            "harness": self.fingerprint,
            "build_s": round(seconds, 2),
            "created_at": _now(),
        }
        meta_path.write_text(json.dumps(meta, indent=1))
        return env_dir, False, seconds


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


# --------------------------------------------------------------------------- using one
def child_env(env_vars: Sequence[tuple[str, str]] = (), *, isolated: bool = True) -> dict[str, str]:
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


def same_version(resolved: str, requested: str | None) -> bool:
    """1.18.0.dev0+git20261201.abc satisfies 1.18.0.dev0, as ``scipy==1.18.0.dev0`` does."""
    from packaging.version import InvalidVersion, Version

    try:
        got, want = Version(resolved), Version(str(requested))
    except InvalidVersion:
        return False
    return got == want or (not want.local and Version(got.public) == want)


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
