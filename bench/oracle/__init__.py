"""The independent oracle for ``scipy.ndimage.gaussian_filter``.

One function, :func:`gaussian_filter`, two answers: ``output=None``, the *ideal* result (the
exact convolution with the sampled, normalised Gaussian, rounded once to float64), and
``output=<dtype>``, *SciPy's storage model* (SciPy's C arithmetic replayed in numpy, each axis
pass stored in that dtype). Boundary modes follow SciPy's ``NI_ExtendLine`` exactly.

May import: numpy, mpmath and threadpoolctl; no other stage of ``bench``. Never ``scipy.ndimage``
(nor anything that imports it): the oracle is the truth SciPy is judged against, so it must not
share SciPy's code (``tests/test_oracle.py`` checks this).

The error bound, the modules and why: docs/oracle.md.
"""

from __future__ import annotations

from bench.oracle.boundaries import CLASSIC_MODES, MODE_ALIASES, MODES, extend_indices
from bench.oracle.filter import gaussian_filter
from bench.oracle.kernels import kernel, radius_for, scipy_kernel

__all__ = [
    "CLASSIC_MODES",
    "MODES",
    "MODE_ALIASES",
    "extend_indices",
    "gaussian_filter",
    "kernel",
    "radius_for",
    "scipy_kernel",
]
