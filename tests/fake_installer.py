"""A fake `Installer` for the matrix tests: real venvs, "installed" by linking this checkout.

``python -m venv --without-pip`` makes a real environment; its "installation" is a ``.pth`` file
onto this checkout and the dev environment's site-packages, so everything after installing runs
the same code as a real build. Shared by ``test_matrix`` and ``test_matrix_candidates``.
"""

from __future__ import annotations

import subprocess
import sysconfig
from pathlib import Path

import scipy
from conftest import REPO

from bench.guard.matrix import environments as envbuild

INSTALLED = scipy.__version__


class FakeInstaller(envbuild.Installer):
    """Builds real venvs; "installs" by linking this checkout and the dev site-packages."""

    def __init__(self, log: Path) -> None:
        object.__setattr__(self, "name", "fake")
        object.__setattr__(self, "log", log)

    def _note(self, *words: str) -> None:
        with open(self.log, "a") as fh:
            fh.write(" ".join(words) + "\n")

    def create(self, python: str, env_dir: Path) -> None:
        self._note("create", env_dir.name)
        envbuild._run([python, "-m", "venv", "--without-pip", str(env_dir)])

    def install(self, env_dir, requirements, *, no_deps=False, reinstall=False) -> None:
        self._note(
            "install",
            env_dir.name,
            *(Path(r).name for r in requirements),
            *(["--no-deps"] if no_deps else []),
            *(["--reinstall"] if reinstall else []),
        )
        for req in requirements:
            if req.startswith("scipy==") and req != f"scipy=={INSTALLED}":
                # what pip says for a version without a wheel for this Python
                raise envbuild.InstallError(f"No matching distribution found for {req}")
        purelib = subprocess.run(
            [
                str(self.env_python(env_dir)),
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['purelib'])",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        Path(purelib, "gfbench-fake.pth").write_text(
            f"{REPO}\n{sysconfig.get_paths()['purelib']}\n"
        )

    def build_wheel(self, root: Path, out_dir: Path) -> Path:
        self._note("wheel")
        wheel = out_dir / "gfbench-0.1.0-py3-none-any.whl"
        wheel.write_bytes(b"fake")
        return wheel
