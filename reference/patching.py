"""The test-only hook that swaps ``scipy.ndimage`` functions for altered variants.

``gfbench``'s own tests must show that the suite catches changes in SciPy. They do it honestly:
they run the real ``gfbench verify`` in a subprocess with the environment variable
``GFBENCH_SCIPY_PATCH`` naming a replacement function, and check that it exits 1 and names the
case. The suite's ``conftest.py`` applies the patch before any test runs, and ``gfbench verify``
prints a loud warning (and records ``"patch"`` in ``--json``) whenever one is active, so a patched
run can never pass for a description of the installed SciPy.

Syntax (comma-separated entries)::

    GFBENCH_SCIPY_PATCH="scipy_variants:function"                      # replaces gaussian_filter
    GFBENCH_SCIPY_PATCH="gaussian_filter1d=scipy_variants:function"    # names the target

This module is the only place that reads the variable (``active_spec``); gfbench's own modules
ask it. The module an entry names must be on ``ALLOWED_MODULES`` (the test variants of
``tests/scipy_variants.py``, importable when ``tests/`` is on ``PYTHONPATH``): anything else is
refused before it is imported, so the variable cannot make gfbench import arbitrary code.
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
