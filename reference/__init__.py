"""The reference suite for ``scipy.ndimage.gaussian_filter`` (run it with ``gfbench verify``).

It is a pytest suite that checks whatever SciPy is installed against:

- what is *documented*: the seed document's 7x7 example, docstring examples and facts from
  SciPy's own tests (``test_documented.py``);
- what is *pinned*: golden outputs and API probes recorded per SciPy version in
  ``reference/data/`` (``test_golden.py``, ``test_probes.py``);
- what is *true*: the independent oracle ``bench.oracle`` (``test_oracle.py``);
- metamorphic properties checked with hypothesis (``test_properties.py``);
- behaviour beyond values: memory layout, aliasing, warnings, argument forms
  (``test_behaviour.py``);
- real sizes that span several of SciPy's line buffers, against the oracle (``test_sizes.py``);
- where NaN and infinities go, against the oracle's pattern and the record (``test_nonfinite.py``);
- every settable property of the input array: promises and recorded outcomes (``test_arrays.py``).

Helper modules, one job each:

- ``reference.grid``      the deterministic golden grid (cases, inputs, how to call SciPy)
- ``reference.example``   the seed document's 7x7 example: input, printed lines, record
- ``reference.probes``    the API probes (argument forms accepted, exceptions raised)
- ``reference.forms``     every spelling of every argument, with its canonical call
- ``reference.behaviour`` layouts, aliasing calls and ordinary calls (no warnings) to check
- ``reference.sizes``     SciPy's line-buffer rule and the cases that span several buffers
- ``reference.nonfinite`` the non-finite cases (NaN/inf placements, NaN/inf cval, orders, outputs)
- ``reference.arrays``    the input array's attributes -> variants, and what SciPy promises
- ``reference.supplement`` ``python -m reference.supplement``: record only those two sections
- ``reference.records``   reading, choosing and (re)writing the per-version records
- ``reference.diffing``   "how far did it move": array differences and the oracle bound
- ``reference.patching``  the test-only ``GFBENCH_SCIPY_PATCH`` hook
- ``reference.results``   the pytest plugin that collects structured results for ``gfbench verify``

Run it directly with ``pytest reference`` or ``pytest --pyargs reference``.
"""

from __future__ import annotations

from pathlib import Path

#: Folder holding the per-version records ``scipy-<version>.json`` and ``golden-arrays.npz``.
DATA_DIR = Path(__file__).resolve().parent / "data"

#: Folder of the suite itself, for running it from any working directory.
SUITE_DIR = Path(__file__).resolve().parent

__all__ = ["DATA_DIR", "SUITE_DIR"]
