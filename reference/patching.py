"""The test-only hook that swaps ``scipy.ndimage`` functions for altered variants.

``GFBENCH_SCIPY_PATCH="[TARGET=]module:function"`` (comma-separated) names the replacements;
tests set it to show that ``gfbench verify`` catches a changed SciPy. Only this module reads the
variable (``active_spec``), and only modules on ``ALLOWED_MODULES`` may be named.

Why: docs/development.md.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from typing import Any

ENV_VAR = "GFBENCH_SCIPY_PATCH"
#: The ``scipy.ndimage`` attributes that may be replaced.
TARGETS = ("gaussian_filter", "gaussian_filter1d")
#: The only modules a patch may name: gfbench's test variants (tests/scipy_variants.py).
ALLOWED_MODULES = ("scipy_variants",)


def active_spec(environ: Mapping[str, str] | None = None) -> str | None:
    """The patch ``GFBENCH_SCIPY_PATCH`` names, or None: the one place the variable is read."""
    return (os.environ if environ is None else environ).get(ENV_VAR, "").strip() or None


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


def check_spec(spec: str) -> dict[str, tuple[str, str]]:
    """`parse_spec`, and every module named on ``ALLOWED_MODULES`` (checked before any import).

    Raises
    ------
    ValueError
        If an entry is malformed or names a module outside ``ALLOWED_MODULES``.
    """
    parsed = parse_spec(spec)
    for target, (module, _function) in parsed.items():
        if module not in ALLOWED_MODULES:
            raise ValueError(
                f"{ENV_VAR}: module {module!r} for {target} is not allowed; allowed: "
                f"{', '.join(ALLOWED_MODULES)} (a test-only hook: it imports nothing else)"
            )
    return parsed


def load(spec: str) -> dict[str, Callable[..., Any]]:
    """The replacement functions ``spec`` names, imported: ``{target: function}``.

    Raises
    ------
    ValueError
        As `check_spec`.
    ImportError, AttributeError
        If an allowed module cannot be imported here, or has no such function.
    """
    return {
        target: getattr(importlib.import_module(module_name), function_name)
        for target, (module_name, function_name) in check_spec(spec).items()
    }


def apply_from_environment(environ: Mapping[str, str] | None = None) -> str | None:
    """Install the replacements named by ``GFBENCH_SCIPY_PATCH``; return the spec, or None."""
    spec = active_spec(environ)
    if spec is None:
        return None
    import scipy.ndimage

    # Import first: the variant module captures the *real* SciPy function at import time.
    for target, replacement in load(spec).items():
        setattr(scipy.ndimage, target, replacement)
    return spec
