"""The test-only hook that swaps ``scipy.ndimage`` functions for altered variants.

``gfbench``'s own tests must show that the suite catches changes in SciPy. They do it honestly:
they run the real ``gfbench verify`` in a subprocess with the environment variable
``GFBENCH_SCIPY_PATCH`` naming a replacement function, and check that it exits 1 and names the
case. The suite's ``conftest.py`` applies the patch before any test runs, and ``gfbench verify``
prints a loud warning (and records ``"patch"`` in ``--json``) whenever one is active, so a patched
run can never pass for a description of the installed SciPy.

Syntax (comma-separated entries)::

    GFBENCH_SCIPY_PATCH="package.module:function"                      # replaces gaussian_filter
    GFBENCH_SCIPY_PATCH="gaussian_filter1d=package.module:function"    # names the target
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping

ENV_VAR = "GFBENCH_SCIPY_PATCH"
#: The ``scipy.ndimage`` attributes that may be replaced.
TARGETS = ("gaussian_filter", "gaussian_filter1d")


def parse_spec(spec: str) -> dict[str, tuple[str, str]]:
    """Parse a patch specification into ``{target: (module, function)}``.

    Raises
    ------
    ValueError
        If an entry is malformed or names a target outside ``TARGETS``.
    """
    parsed: dict[str, tuple[str, str]] = {}
    for entry in (part.strip() for part in spec.split(",")):
        if not entry:
            continue
        target, _, ref = entry.rpartition("=")
        target = target or "gaussian_filter"
        module, sep, function = ref.partition(":")
        if target not in TARGETS or not sep or not module or not function:
            raise ValueError(
                f"{ENV_VAR}: bad entry {entry!r}; expected '[TARGET=]module:function' "
                f"with TARGET one of {', '.join(TARGETS)}"
            )
        parsed[target] = (module, function)
    return parsed


def apply_from_environment(environ: Mapping[str, str] | None = None) -> str | None:
    """Install the replacements named by ``GFBENCH_SCIPY_PATCH``; return the spec, or None."""
    spec = (os.environ if environ is None else environ).get(ENV_VAR, "").strip()
    if not spec:
        return None
    import scipy.ndimage

    for target, (module_name, function_name) in parse_spec(spec).items():
        # Import first: the variant module captures the *real* SciPy function at import time.
        replacement = getattr(importlib.import_module(module_name), function_name)
        setattr(scipy.ndimage, target, replacement)
    return spec
