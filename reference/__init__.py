"""The reference suite for ``scipy.ndimage.gaussian_filter`` (run it with ``gfbench verify``).

A pytest suite (``pytest reference``) that checks whatever SciPy is installed against what is
documented, what is pinned per SciPy version (the records in ``reference/data/``), invariants
that need no record, and the independent oracle (``bench.oracle``).

What each module checks, and why: docs/verify.md.
"""

from __future__ import annotations

from pathlib import Path

#: Folder holding the per-version records ``scipy-<version>.json`` and ``golden-arrays.npz``.
DATA_DIR = Path(__file__).resolve().parent / "data"

#: Folder of the suite itself, for running it from any working directory.
SUITE_DIR = Path(__file__).resolve().parent

__all__ = ["DATA_DIR", "SUITE_DIR"]
