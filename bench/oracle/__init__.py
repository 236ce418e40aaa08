"""The independent oracle for ``scipy.ndimage.gaussian_filter``.

Two answers are available from one function, :func:`gaussian_filter`:

``output=None`` -- the *ideal* result
    The exact convolution of the input with the sampled, normalised Gaussian
    kernel (or its derivative), rounded once to float64. The kernel weights come
    from mpmath at 40 significant digits; the sums are carried out with an
    Ozaki-style error-free split, so the products and partial sums of the
    leading part are exact in float64 and only tiny correction terms round.
    Nothing here calls ``scipy.ndimage``.

    **Error bound.** For finite input, each axis pass returns a double-double
    value whose absolute error is below ``K * 2**-(52 + b) * S * M``: ``K`` taps,
    ``S = sum(|w|)``, ``M`` the largest magnitude on the extended lines of that
    pass, and ``b`` the bits of the exact split (``b >= 24`` up to ~30 taps,
    ``b >= 20`` up to ~1000 taps). The final value is that double-double rounded
    once to float64. So wherever a result is within a factor 2**12 of the
    array's largest value (images, 0..255 data, random floats), the result is
    correctly rounded but for a hair (< 2**-12 ulp) around rounding ties: a
    smaller error than any float64 implementation that rounds its products and
    sums, SciPy's included. ``tests/test_oracle.py`` checks this against
    50-digit mpmath, pixel by pixel against SciPy's own error. Non-finite input
    falls back to plain float64 sums (there the inf/nan pattern is what is
    judged, not digits).

``output=<dtype | type | str | array>`` -- SciPy's storage model
    The arithmetic SciPy's C code performs, replayed in numpy: the kernel is
    built the way ``scipy.ndimage._filters._gaussian_kernel1d`` builds it, the
    (anti)symmetry test uses the same ``DBL_EPSILON`` rule, the taps are summed
    in the same order in double, and each axis pass is stored in the output
    dtype before the next pass reads it: integers truncated toward zero (and
    wrapped, as the C cast does on x86-64), float32 rounded to nearest. This
    reproduces SciPy bit for bit on platforms whose compiler does not contract
    ``a*b + c`` into an FMA (x86-64 builds do not).

Boundary modes follow SciPy's ``NI_ExtendLine`` exactly, including kernels
longer than the line (repeated reflection / wrap) and lines of length 1
(``mirror`` degrades to ``nearest``).

Modules, one job each (lower ones never import higher ones):

- ``validation``: argument checks that name the argument and the allowed values;
- ``kernels``: the radius rule, ideal mpmath weights, SciPy's float64 kernel replay;
- ``boundaries``: the modes and ``NI_ExtendLine``'s line extension;
- ``ideal``: one axis pass of the ideal result (error-free summation);
- ``storage``: one axis pass of SciPy's arithmetic, stored in the output dtype;
- ``filter``: :func:`gaussian_filter`, which checks the arguments and runs the passes.
- ``nonfinite``: where NaN and infinities go -- the non-finite pattern predicted symbolically
  (kernel support per axis, the mode's extension, ``0 * inf`` and ``inf - inf``).

May import: numpy, mpmath and threadpoolctl; no other stage of ``bench``. Never ``scipy.ndimage``
(nor anything that imports it): the oracle is the truth SciPy is judged against, so it must not
share SciPy's code (``tests/test_oracle.py`` checks this).
"""

from __future__ import annotations

from bench.oracle.boundaries import MODES, extend_indices
from bench.oracle.filter import gaussian_filter
from bench.oracle.kernels import kernel, radius_for, scipy_kernel

__all__ = [
    "MODES",
    "extend_indices",
    "gaussian_filter",
    "kernel",
    "radius_for",
    "scipy_kernel",
]
