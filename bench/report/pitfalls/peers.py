"""The optional peers the pitfalls compare SciPy with (OpenCV, scikit-image, Pillow).

A missing peer is reported as unavailable in the pitfall's text and tables, never a crash.
Pitfall modules call ``peers.optional(...)`` through this module, so a test can make a peer
look missing by patching one attribute.
"""

from __future__ import annotations

import importlib


def optional(module: str):
    """Import an optional peer, or None when it is missing (reported as unavailable)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def version(module: str) -> str:
    """``module.__version__``, "unknown" when it has none, "unavailable" when it is missing."""
    found = optional(module)
    return getattr(found, "__version__", "unknown") if found is not None else "unavailable"
