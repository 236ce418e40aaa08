"""Metamorphic properties of ``gaussian_filter``, checked with hypothesis on small arrays.

Settings are deterministic for CI (``derandomize=True``, no example database) and modest
(``max_examples`` small, tiny arrays), so the whole file runs in seconds.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

from reference.diffing import EPS64
from reference.grid import MODES
from reference.probes import missing_reason

SETTINGS = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=7)
# Integers stored as floats: exact in every dtype, so differences come from the filter only.
floats = st.integers(-1000, 1000).map(float)
sigmas = st.floats(0.3, 3.0, allow_nan=False)
modes = st.sampled_from(MODES)


def float_arrays(shape: Any = shapes) -> Any:
    return hnp.arrays(np.float64, shape, elements=floats)


def _tolerance(x: np.ndarray, ndim: int) -> float:
    # Reordering passes changes rounding only: a few ulp of the magnitude scale per pass.
    return 64 * ndim * EPS64 * max(1.0, float(np.abs(x).max(initial=0.0)))


@SETTINGS
@given(x=float_arrays(), sigma=sigmas, mode=modes)
def test_separable_equals_chained_1d(ndimage: Any, x: np.ndarray, sigma: float, mode: str) -> None:
    """n-D filtering is exactly the chain of 1-D passes along axes 0, 1, ... (documented)."""
    chained = x
    for axis in range(x.ndim):
        chained = ndimage.gaussian_filter1d(chained, sigma, axis=axis, mode=mode, cval=2.0)
    assert_array_equal(ndimage.gaussian_filter(x, sigma, mode=mode, cval=2.0), chained)


@SETTINGS
@given(x=hnp.arrays(np.uint8, shapes, elements=st.integers(0, 255)), sigma=sigmas)
def test_integer_passes_are_stored_in_output_dtype(
    ndimage: Any, x: np.ndarray, sigma: float
) -> None:
    """uint8: each 1-D pass is stored (truncated) in uint8 before the next one reads it."""
    chained = x
    for axis in range(x.ndim):
        chained = ndimage.gaussian_filter1d(chained, sigma, axis=axis)
    assert_array_equal(ndimage.gaussian_filter(x, sigma), chained)


@SETTINGS
@given(
    data=st.data(),
    x=float_arrays(hnp.array_shapes(min_dims=2, max_dims=3, max_side=6)),
    sigma=sigmas,
)
def test_axes_equals_zero_sigma_elsewhere(
    ndimage: Any, caps: dict, data: Any, x: np.ndarray, sigma: float
) -> None:
    """``axes=(a, ...)`` equals sigma 0 on every other axis."""
    if not caps["axes"]:
        pytest.skip(missing_reason("axes"))
    axes = data.draw(st.lists(st.integers(0, x.ndim - 1), min_size=1, unique=True))
    sigmas_full = [sigma if axis in axes else 0.0 for axis in range(x.ndim)]
    # sigma 0 axes are skipped, the others run in increasing order in both calls
    assert_array_equal(
        ndimage.gaussian_filter(x, sigma, axes=tuple(sorted(axes))),
        ndimage.gaussian_filter(x, sigmas_full),
    )


@SETTINGS
@given(re=float_arrays(st.just((5, 6))), im=float_arrays(st.just((5, 6))), sigma=sigmas, mode=modes)
def test_complex_is_real_plus_imag(
    ndimage: Any, re: np.ndarray, im: np.ndarray, sigma: float, mode: str
) -> None:
    """Complex input is filtered as real and imaginary parts (SciPy >= 1.6)."""
    z = re + 1j * im
    out = ndimage.gaussian_filter(z, sigma, mode=mode, cval=1.5)
    assert out.dtype == np.complex128
    assert_array_equal(out.real, ndimage.gaussian_filter(re, sigma, mode=mode, cval=1.5))
    assert_array_equal(out.imag, ndimage.gaussian_filter(im, sigma, mode=mode, cval=0.0))


@SETTINGS
@given(
    x=float_arrays(hnp.array_shapes(min_dims=2, max_dims=2, max_side=7)),
    s0=sigmas,
    s1=sigmas,
    mode=modes,
)
def test_transpose_equivariance(
    ndimage: Any, x: np.ndarray, s0: float, s1: float, mode: str
) -> None:
    """Filtering the transpose with swapped sigmas is the transpose of the result."""
    direct = ndimage.gaussian_filter(x, (s0, s1), mode=mode)
    swapped = ndimage.gaussian_filter(x.T, (s1, s0), mode=mode).T
    assert_allclose(swapped, direct, rtol=0, atol=_tolerance(x, 2))


@SETTINGS
@given(x=float_arrays(), sigma=sigmas)
def test_wrap_conserves_mass(ndimage: Any, x: np.ndarray, sigma: float) -> None:
    """With periodic boundaries a normalised kernel neither adds nor removes mass."""
    out = ndimage.gaussian_filter(x, sigma, mode="wrap")
    tol = 64 * x.ndim * EPS64 * max(1.0, float(np.abs(x).sum()))
    assert abs(out.sum() - x.sum()) <= tol


@SETTINGS
@given(
    shape=shapes,
    value=floats,
    sigma=sigmas,
    mode=st.sampled_from([m for m in MODES if "constant" not in m]),
)
def test_constant_image_preserved(
    ndimage: Any, shape: tuple, value: float, sigma: float, mode: str
) -> None:
    """A constant float image stays constant (to rounding) in every non-constant mode."""
    x = np.full(shape, value)
    out = ndimage.gaussian_filter(x, sigma, mode=mode)
    assert_allclose(out, x, rtol=0, atol=_tolerance(x, x.ndim))


@SETTINGS
@given(shape=shapes, value=floats, sigma=sigmas)
def test_constant_mode_with_matching_cval_preserved(
    ndimage: Any, shape: tuple, value: float, sigma: float
) -> None:
    """In constant mode a constant image stays constant when cval is that constant."""
    x = np.full(shape, value)
    out = ndimage.gaussian_filter(x, sigma, mode="constant", cval=value)
    assert_allclose(out, x, rtol=0, atol=_tolerance(x, x.ndim))


@SETTINGS
@given(
    x=float_arrays(),
    sigma=sigmas,
    mode=modes,
    dtype=st.sampled_from(["float64", "float32", "int16"]),
)
def test_output_is_input_in_place(
    ndimage: Any, x: np.ndarray, sigma: float, mode: str, dtype: str
) -> None:
    """``output=input`` gives the same values as the out-of-place call, written into input."""
    x = x.astype(dtype)
    expected = ndimage.gaussian_filter(x, sigma, mode=mode)
    inplace = x.copy()
    returned = ndimage.gaussian_filter(inplace, sigma, mode=mode, output=inplace)
    assert_array_equal(inplace, expected)
    assert returned is inplace or returned is None
