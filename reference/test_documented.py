"""What SciPy documents, and facts taken from SciPy's own docstrings and tests.

The numbers come from SciPy's documentation and ``scipy/ndimage/tests/test_filters.py``; the
tests are written here. None of these depends on a stored record.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from reference.diffing import radius_rule
from reference.example import (
    EXAMPLE_NAME,
    EXAMPLE_PRINTED,
    EXAMPLE_RECORD,
    example_image,
    example_printed_lines,
    example_record_bits,
)
from reference.probes import missing_reason


def _impulse(shape: tuple[int, ...], dtype: Any = np.float64) -> np.ndarray:
    a = np.zeros(shape, dtype=dtype)
    a[tuple(n // 2 for n in shape)] = 1
    return a


def _closed_form(sigma: float, order: int, radius: int) -> np.ndarray:
    """The convolution kernel of order ``order``: d^n/dx^n of the normalised sampled Gaussian.

    ``phi(x) = exp(-x^2 / (2 sigma^2)) / sum(...)`` and ``d^n phi / dx^n = (-1)^n He_n(x/sigma)
    phi(x) / sigma^n`` with the probabilists' Hermite polynomials He_n.
    """
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    phi = np.exp(-0.5 * x * x / sigma**2)
    phi /= phi.sum()
    t = x / sigma
    hermite = [np.ones_like(t), t, t * t - 1, t**3 - 3 * t][order]
    return (-1) ** order * hermite * phi / sigma**order


def test_docstring_gaussian_filter1d_sigma1(ndimage: Any) -> None:
    out = ndimage.gaussian_filter1d([1.0, 2.0, 3.0, 4.0, 5.0], 1)
    assert_allclose(out, [1.42704095, 2.06782203, 3.0, 3.93217797, 4.57295905], atol=5e-9)


def test_docstring_gaussian_filter1d_sigma4(ndimage: Any) -> None:
    out = ndimage.gaussian_filter1d([1.0, 2.0, 3.0, 4.0, 5.0], 4)
    assert_allclose(out, [2.91948343, 2.95023502, 3.0, 3.04976498, 3.08051657], atol=5e-9)


def test_docstring_gaussian_filter_int_5x5(ndimage: Any) -> None:
    a = np.arange(50, step=2).reshape((5, 5))
    out = ndimage.gaussian_filter(a, sigma=1)
    assert out.dtype == a.dtype  # integer in, same integer dtype out
    expected = [
        [4, 6, 8, 9, 11],
        [10, 12, 14, 15, 17],
        [20, 22, 24, 25, 27],
        [29, 31, 33, 34, 36],
        [35, 37, 39, 40, 42],
    ]
    assert_array_equal(out, expected)


def test_support_counts_truncate(ndimage: Any) -> None:
    """SciPy's test_gaussian_truncate: the support of an impulse response."""
    arr = np.zeros((100, 100))
    arr[50, 50] = 1
    assert (ndimage.gaussian_filter(arr, 5, truncate=2) > 0).sum() == 21**2
    assert (ndimage.gaussian_filter(arr, 5, truncate=5) > 0).sum() == 51**2
    f = ndimage.gaussian_filter(arr, [0.5, 2.5], truncate=3.5) > 0
    assert f.any(axis=0).sum() == 2 * int(2.5 * 3.5 + 0.5) + 1 == 19
    assert f.any(axis=1).sum() == 2 * int(0.5 * 3.5 + 0.5) + 1 == 5
    x = np.zeros(51)
    x[25] = 1
    assert (ndimage.gaussian_filter1d(x, sigma=2, truncate=3.5) > 0).sum() == 15


@pytest.mark.parametrize(
    ("sigma", "truncate", "expected_radius"),
    [
        (0.6, 4.0, 2),  # 2.4: round-half-up 2, ceil would give 3
        (0.55, 4.0, 2),  # 2.2: ceil would give 3
        (0.625, 4.0, 3),  # 2.5 exactly: half *up* gives 3, Python's round() gives 2
        (1.125, 4.0, 5),  # 4.5 exactly: 5, round() gives 4
        (1.1, 4.0, 4),  # 4.4: ceil would give 5
        (2.0, 3.5, 7),  # SciPy's own example: 15 non-zero taps
        (1.0, 0.49, 0),  # below one half: radius 0, the axis is copied
    ],
)
def test_radius_rule_round_half_up(
    ndimage: Any, sigma: float, truncate: float, expected_radius: int
) -> None:
    """The support of a 1-D impulse response is ``2 * int(truncate*sigma + 0.5) + 1``."""
    assert radius_rule(sigma, truncate) == expected_radius
    x = _impulse((41,))
    out = ndimage.gaussian_filter1d(x, sigma, truncate=truncate, mode="constant")
    nonzero = np.flatnonzero(out)
    assert nonzero.size == 2 * expected_radius + 1
    assert nonzero[0] == 20 - expected_radius and nonzero[-1] == 20 + expected_radius


def test_radius_equals_truncate(ndimage: Any, caps: dict) -> None:
    """SciPy's test_gaussian_radius: radius=r gives the same bits as the truncate it implies."""
    if not caps["radius"]:
        pytest.skip(missing_reason("radius"))
    x = _impulse((7,))
    assert_array_equal(
        ndimage.gaussian_filter1d(x, sigma=2, truncate=1.5),
        ndimage.gaussian_filter1d(x, sigma=2, radius=3),
    )
    a = _impulse((9, 9))
    assert_array_equal(
        ndimage.gaussian_filter(a, sigma=0.5, truncate=3.5),
        ndimage.gaussian_filter(a, sigma=0.5, radius=2),
    )
    a = _impulse((50, 50))
    assert_array_equal(
        ndimage.gaussian_filter(a, sigma=[0.5, 2.5], truncate=3.5),
        ndimage.gaussian_filter(a, sigma=[0.5, 2.5], radius=[2, 9]),
    )


@pytest.mark.parametrize("order", [0, 1, 2, 3])
def test_kernel_closed_form(ndimage: Any, order: int) -> None:
    """The impulse response is the derivative-of-Gaussian kernel (Hermite polynomial x Gaussian).

    The impulse picks out one weight per output pixel (times 1, plus zeros), so the response
    holds SciPy's float64 weights exactly; they must match the closed form to a few ulp of the
    largest weight.
    """
    sigma, radius = 2.0, 10  # truncate 5: int(2*5 + 0.5) = 10
    out = ndimage.gaussian_filter1d(
        _impulse((41,)), sigma, order=order, truncate=5.0, mode="constant"
    )
    response = out[20 - radius : 20 + radius + 1]
    expected = _closed_form(sigma, order, radius)
    assert_allclose(response, expected, rtol=0, atol=1e-14 * np.abs(expected).max())
    assert np.count_nonzero(out[: 20 - radius]) == 0 and np.count_nonzero(out[21 + radius :]) == 0


def test_kernel_symmetries(ndimage: Any) -> None:
    """Even orders give symmetric kernels, odd orders antisymmetric ones; order 0 sums to 1."""
    x = _impulse((41,))
    for order in range(4):
        k = ndimage.gaussian_filter1d(x, 1.7, order=order, mode="constant")
        sign = 1 if order % 2 == 0 else -1
        assert_array_equal(k, sign * k[::-1])
    k0 = ndimage.gaussian_filter1d(x, 1.7, mode="constant")
    assert abs(k0.sum() - 1.0) <= 8 * np.finfo(np.float64).eps
    assert k0[20] == k0.max() > 0


def test_orders_on_single_pixel(ndimage: Any) -> None:
    """SciPy's test_orders_gauss: a length-1 zero input gives 0 for order 0 and 3."""
    arr = np.zeros((1,))
    assert ndimage.gaussian_filter(arr, 1, order=0) == 0
    assert ndimage.gaussian_filter(arr, 1, order=3) == 0


def test_float16_raises_runtime_error(ndimage: Any) -> None:
    """SciPy's test_gaussian_filter (gh-8207): float16 input raises RuntimeError."""
    with pytest.raises(RuntimeError):
        ndimage.gaussian_filter(np.array([1], dtype=np.float16), 1.0)


def test_multiple_modes_sequentially(ndimage: Any) -> None:
    """SciPy's test_multiple_modes_sequentially: a mode per axis equals chained 1-D passes."""
    arr = np.array([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    expected = ndimage.gaussian_filter1d(arr, 1, axis=0, mode="reflect")
    expected = ndimage.gaussian_filter1d(expected, 1, axis=1, mode="wrap")
    assert_array_equal(ndimage.gaussian_filter(arr, 1, mode=["reflect", "wrap"]), expected)


@pytest.mark.parametrize(
    ("grid_mode", "classic"),
    [("grid-mirror", "reflect"), ("grid-wrap", "wrap"), ("grid-constant", "constant")],
)
def test_grid_modes_alias_classic_ones(ndimage: Any, grid_mode: str, classic: str) -> None:
    """For filters, SciPy maps grid-mirror/-wrap/-constant onto reflect/wrap/constant."""
    x = np.arange(35.0).reshape(5, 7) % 6
    assert_array_equal(
        ndimage.gaussian_filter(x, 2.0, mode=grid_mode, cval=3.0),
        ndimage.gaussian_filter(x, 2.0, mode=classic, cval=3.0),
    )


def test_sigma_zero_and_negative_return_input(ndimage: Any) -> None:
    """Axes with sigma <= 1e-15 are skipped: sigma 0 or < 0 return a copy of the input."""
    x = np.arange(12.0).reshape(3, 4)
    for sigma in (0.0, -1.0, 1e-16):
        out = ndimage.gaussian_filter(x, sigma)
        assert_array_equal(out, x)
        assert out is not x


def test_integer_truncation_toward_zero(ndimage: Any) -> None:
    """Integer outputs truncate each pass (measured: constant uint8 100 -> 98 at sigma 2.5)."""
    out = ndimage.gaussian_filter(np.full((32, 32), 100, np.uint8), 2.5)
    assert out.dtype == np.uint8
    assert np.unique(out).tolist() == [98]


# --- the seed document's 7x7 example (gaussian_filter_image.py), pinned as its own case --------
# (input, quoted output and record: reference.example). `gfbench verify` lists these checks as
# the "example" group, first.
def _first_bit_difference(got: np.ndarray, want: np.ndarray) -> str:
    differ = got.view(np.uint32) != want.view(np.uint32)
    where = tuple(int(i) for i in np.argwhere(differ)[0])
    return (
        f"{int(differ.sum())} of 49 float32 values differ; first at {where}: "
        f"{float(want[where])!r} expected, {float(got[where])!r} got"
    )


def _claim_printed_lines(nd: Any, oracle: Any) -> str:
    image = example_image()
    printed = example_printed_lines(image, nd.gaussian_filter(image, sigma=1.0, mode="reflect"))
    wrong = [(want, got) for want, got in zip(EXAMPLE_PRINTED, printed, strict=True) if want != got]
    assert not wrong, "printed lines differ from the document: " + "; ".join(
        f"{got!r} instead of {want!r}" for want, got in wrong
    )
    return "the seven printed lines equal the document's, character for character"


def _claim_bits_vs_record(nd: Any, oracle: Any) -> str:
    filtered = nd.gaussian_filter(example_image(), sigma=1.0, mode="reflect")
    got = (filtered.dtype, filtered.shape)
    assert got == (np.float32, (7, 7)), got
    want = example_record_bits().view(np.float32)
    assert np.array_equal(filtered.view(np.uint32), want.view(np.uint32)), (
        f"vs {EXAMPLE_RECORD}: " + _first_bit_difference(filtered, want)
    )
    return f"all 49 float32 values equal {EXAMPLE_RECORD} bit for bit"


def _claim_bits_vs_oracle(nd: Any, oracle: Any) -> str:
    image = example_image()
    filtered = nd.gaussian_filter(image, sigma=1.0, mode="reflect")
    model = oracle.gaussian_filter(image, 1.0, mode="reflect", output=np.float32)
    assert np.array_equal(filtered.view(np.uint32), model.view(np.uint32)), (
        "vs the oracle's float32 storage model: " + _first_bit_difference(filtered, model)
    )
    return "all 49 float32 values equal the oracle's float32 storage model bit for bit"


def _claim_shape_unchanged(nd: Any, oracle: Any) -> str:
    image = example_image()
    for sigma in (1.0, (1.0, 2.0), 3.0):
        assert nd.gaussian_filter(image, sigma=sigma, mode="reflect").shape == image.shape
    wide = np.zeros((5, 9, 3), np.float32)
    assert nd.gaussian_filter(wide, 1.0).shape == wide.shape
    return "the output has the input's shape (7x7, tuple sigma, 5x9x3)"


def _claim_dtype_follows(nd: Any, oracle: Any) -> str:
    image = example_image()
    assert nd.gaussian_filter(image, 1.0).dtype == np.float32
    assert nd.gaussian_filter(image.astype(np.float64), 1.0).dtype == np.float64
    grey = (image * 255).astype(np.uint8)
    assert nd.gaussian_filter(grey, 1.0).dtype == np.uint8  # the document's integer warning
    for output in (np.float64, np.dtype("float32"), np.uint8):
        assert nd.gaussian_filter(image, 1.0, output=output).dtype == np.dtype(output)
    out = np.empty((7, 7), np.float64)
    assert nd.gaussian_filter(grey, 1.0, output=out).dtype == np.float64
    return "the dtype follows the input, or output= when given (dtype or array)"


def _claim_centre_spreads(nd: Any, oracle: Any) -> str:
    image = example_image()
    filtered = nd.gaussian_filter(image, sigma=1.0, mode="reflect")
    assert filtered[3, 3] < image[3, 3], (float(filtered[3, 3]), float(image[3, 3]))
    outside = image == 0  # every pixel that was zero, the corners included, becomes non-zero
    assert np.all(filtered[outside] > 0), "a pixel outside the block stayed zero"
    assert filtered[3, 3] == filtered.max()  # the centre stays the brightest
    return "the centre drops (1.000 -> 0.476) and every zero pixel becomes non-zero"


def _claim_tuple_sigma(nd: Any, oracle: Any) -> str:
    image = example_image()
    rows_cols = nd.gaussian_filter(image, sigma=(1.0, 2.0), mode="reflect")
    # wider along axis 1: the centre row is flatter than the centre column
    row, column = rows_cols[3], rows_cols[:, 3]
    assert row[0] > column[0] and row.max() - row.min() < column.max() - column.min()
    assert not np.array_equal(rows_cols, rows_cols.T)
    same = nd.gaussian_filter(image, sigma=(1.0, 1.0), mode="reflect")
    assert np.array_equal(same, nd.gaussian_filter(image, sigma=1.0, mode="reflect"))
    # the symmetric image stays symmetric (to float32 rounding: the passes run axis 0 first)
    assert_allclose(same, same.T, rtol=2e-7, atol=0)
    return "sigma=(1.0, 2.0) blurs columns wider than rows; a scalar blurs both alike"


def _claim_colour_axis(nd: Any, caps: dict) -> str:
    rgb = np.zeros((7, 7, 3), np.float32)
    rgb[..., 0] = example_image()  # only the red channel is lit
    mixed = nd.gaussian_filter(rgb, sigma=1.0, mode="reflect")
    assert np.any(mixed[..., 1] > 0) and np.any(mixed[..., 2] > 0), "channels did not mix"
    spatial = nd.gaussian_filter(rgb, sigma=(1.0, 1.0, 0.0), mode="reflect")
    assert not np.any(spatial[..., 1:]), "sigma 0 on the channel axis still mixed channels"
    red = nd.gaussian_filter(example_image(), sigma=1.0, mode="reflect")
    assert np.array_equal(spatial[..., 0], red)
    text = "sigma 1 on a colour axis mixes channels; per-axis sigma 0 keeps them apart"
    if caps["axes"]:
        by_axes = nd.gaussian_filter(rgb, sigma=1.0, mode="reflect", axes=(0, 1))
        assert np.array_equal(by_axes, spatial), "axes=(0, 1) differs from sigma (1, 1, 0)"
        text += ", and so does axes=(0, 1)"
    return text


EXAMPLE_CLAIMS = {
    "printed-lines": _claim_printed_lines,
    "bits-vs-record": _claim_bits_vs_record,
    "bits-vs-oracle": _claim_bits_vs_oracle,
    "shape-unchanged": _claim_shape_unchanged,
    "dtype-follows-input-or-output": _claim_dtype_follows,
    "centre-drops-neighbours-rise": _claim_centre_spreads,
    "tuple-sigma-per-axis": _claim_tuple_sigma,
    "colour-axis": _claim_colour_axis,
}


@pytest.mark.parametrize("claim", list(EXAMPLE_CLAIMS), ids=lambda c: f"{EXAMPLE_NAME}/{c}")
def test_documented_example(claim: str, ndimage: Any, caps: dict, request: Any,
                            observe: Any) -> None:  # fmt: skip
    """The seed document's 7x7 example: printed lines, bits, and each claim of its prose."""
    observe({"example": EXAMPLE_NAME, "claim": claim})
    check = EXAMPLE_CLAIMS[claim]
    try:
        if claim == "colour-axis":
            summary = check(ndimage, caps)
        else:
            oracle = request.getfixturevalue("oracle") if claim == "bits-vs-oracle" else None
            summary = check(ndimage, oracle)
    except AssertionError as exc:
        observe({"changed": "example", "summary": f"{claim}: {str(exc).splitlines()[0]}"})
        raise
    observe({"changed": "none", "summary": summary})
