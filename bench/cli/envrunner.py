"""The part of ``gfbench matrix`` that runs *inside* one SciPy environment.

Kept tiny on purpose (asv's ``asv_runner`` lesson, STYLE.md): it imports nothing heavy at
module level and only drives the installed harness through its stable CLI, so that the
orchestrator (``bench.guard.matrix.command``) and the environment under test stay decoupled.

Usage (by the orchestrator, with the environment's own interpreter)::

    python -m bench.cli.envrunner versions            # JSON of the resolved package versions
    python -m bench.cli.envrunner verify OUT.json     # gfbench verify --json, saved to OUT.json
    python -m bench.cli.envrunner verify OUT.json GROUP...   # only these verify groups
    python -m bench.cli.envrunner sweep ARGS...       # gfbench sweep ARGS...
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import platform
import sys
from importlib import metadata

#: the packages whose versions matter for a comparison, reported first
KEY_PACKAGES = ("scipy", "numpy", "gfbench", "pandas", "pytest", "hypothesis", "mpmath")


def versions() -> dict:
    """Python, platform, SCIPY_* variables and the version of every installed distribution."""
    packages = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            packages[name.lower()] = dist.version
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "executable": sys.executable,
        "versions": {name: packages.get(name) for name in KEY_PACKAGES},
        # SciPy's own switches (SCIPY_ARRAY_API, ...) as this process sees them
        "environ": {k: v for k, v in sorted(os.environ.items()) if k.startswith("SCIPY_")},
        "packages": dict(sorted(packages.items())),
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in ("versions", "verify", "sweep"):
        print(
            "usage: python -m bench.cli.envrunner versions | verify OUT.json [GROUP...] | "
            "sweep ARGS...",
            file=sys.stderr,
        )
        return 2
    if argv[0] == "versions":
        print(json.dumps(versions()))
        return 0
    from bench import cli

    if argv[0] == "verify":
        if len(argv) < 2:
            print(
                "usage: python -m bench.cli.envrunner verify OUT.json [GROUP...]", file=sys.stderr
            )
            return 2
        groups = [arg for group in argv[2:] for arg in ("--group", group)]
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            code = cli.main(["verify", "--json", *groups])
        with open(argv[1], "w", encoding="utf-8") as fh:
            fh.write(buffer.getvalue())
        return code
    return cli.main(["sweep", *argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
