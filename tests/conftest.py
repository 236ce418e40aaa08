"""Shared test helpers: the repository root and running ``gfbench`` as a user does.

Helper modules of this folder (``synthetic_runs``, ``scipy_wheels``, ...) are importable because
pytest puts ``tests/`` on ``sys.path`` (rootdir-relative, no package).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TESTS_DIR = Path(__file__).resolve().parent
DATA_DIR = TESTS_DIR / "data"
PATCH_VAR = "GFBENCH_SCIPY_PATCH"


def gfbench_env(patch: str | None = None, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A ``gfbench`` subprocess's environment: tests/ importable, the SciPy patch only if asked."""
    env = {k: v for k, v in os.environ.items() if k != PATCH_VAR}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS_DIR), env.get("PYTHONPATH")]))
    if patch is not None:
        env[PATCH_VAR] = patch
    env.update(extra or {})
    return env


def run_gfbench(
    *args: str,
    cwd: Path | None = None,
    patch: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess:
    """Run ``python -m bench ARGS`` as a user would; never raises on a non-zero exit."""
    return subprocess.run(
        [sys.executable, "-m", "bench", *args],
        cwd=cwd or REPO,
        env=gfbench_env(patch, env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
