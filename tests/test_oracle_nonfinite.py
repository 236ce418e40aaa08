"""The oracle's non-finite pattern (``bench.oracle.nonfinite``) and its integer cast of NaN/inf.

Expectations are written down independently: a NaN spreads over ``2r + 1`` pixels per axis
(``r = int(4 sigma + 0.5)``), so ``(2r + 1)**2`` in 2-D; boundary modes bring a border value
back by their own rule; ``+inf`` and ``-inf`` meeting give NaN; an odd derivative's zero centre
weight turns an inf into NaN at the pixel itself. Then the prediction is compared with SciPy on
random cases.
"""

from __future__ import annotations

import math
import platform

import numpy as np
import pytest
from scipy import ndimage

from bench import oracle
from bench.oracle.nonfinite import (
    FINITE,
    NAN,
    NEGINF,
    POSINF,
    classes_of,
    nonfinite_pattern,
    render,
)


def _line(n: int, where: dict[int, float]) -> np.ndarray:
    x = np.zeros(n)
    for i, v in where.items():
        x[i] = v
    return x


def _pattern(x: np.ndarray, sigma: float, **kw) -> str:
    return render(nonfinite_pattern(classes_of(x), sigma, **kw))


@pytest.mark.parametrize("sigma", [0.5, 1.0, 2.0, 3.3])
def test_one_nan_spreads_over_the_support(sigma: float) -> None:
    r = int(4 * sigma + 0.5)
    n = 2 * r + 21
    got = nonfinite_pattern(classes_of(_line(n, {n // 2: math.nan})), sigma)
    assert np.count_nonzero(got == NAN) == 2 * r + 1
    assert np.flatnonzero(got).tolist() == list(range(n // 2 - r, n // 2 + r + 1))
    image = np.zeros((n, n))
    image[n // 2, n // 2] = math.nan
    assert np.count_nonzero(nonfinite_pattern(classes_of(image), sigma) == NAN) == (2 * r + 1) ** 2


def test_border_value_comes_back_by_mode() -> None:
    # sigma 1 -> r = 4; +inf at index 0 of 15
    x = _line(15, {0: math.inf})
    assert _pattern(x, 1.0, mode="reflect") == "+++++" + "." * 10
    assert _pattern(x, 1.0, mode="constant") == "+++++" + "." * 10
    assert _pattern(x, 1.0, mode="wrap") == "+++++" + "." * 6 + "++++"
    assert _pattern(x, 1.0, mode="grid-wrap") == _pattern(x, 1.0, mode="wrap")
    # nearest repeats the border value: it reaches as far as the support from index 0
    assert _pattern(x, 1.0, mode="nearest") == "+++++" + "." * 10


def test_nan_or_inf_cval_enters_every_border_pixel_within_the_radius() -> None:
    x = np.ones(15)
    assert _pattern(x, 1.0, mode="constant", cval=math.nan) == "nnnn" + "." * 7 + "nnnn"
    assert _pattern(x, 1.0, mode="grid-constant", cval=-math.inf) == "----" + "." * 7 + "----"
    assert _pattern(x, 1.0, mode="nearest", cval=math.nan) == "." * 15
    # order 1: the weights' signs differ on the two sides, so +inf comes in as -inf on the left
    assert _pattern(x, 1.0, order=1, mode="constant", cval=math.inf) == "----" + "." * 7 + "++++"


def test_opposite_infinities_meet_as_nan() -> None:
    x = _line(15, {5: math.inf, 8: -math.inf})
    # supports [1, 9] and [4, 12] overlap in [4, 9]
    assert _pattern(x, 1.0) == ".+++" + "n" * 6 + "---" + ".."


def test_derivative_zero_weights_make_nan() -> None:
    x = _line(15, {7: math.inf})
    # order 1: weights -x phi(x): 0 at the centre (0 * inf = NaN), signs opposite on each side
    assert _pattern(x, 1.0, order=1) == "...++++n----..."
    # order 2 at sigma 1: (x^2 - 1) phi(x) is 0 at x = +-1 as well
    assert _pattern(x, 1.0, order=2) == "...+++n-n+++..."
    # order 2 at sigma 5: SciPy's weight at x = 5 rounds to 5e-20, not 0: no NaN there
    wide = _line(61, {30: math.inf})
    assert "n" not in _pattern(wide, 5.0, order=2)


def test_underflowed_tail_weights_make_nan() -> None:
    # order 0, truncate 40: exp(-x^2/2) underflows to 0 for |x| >= 39, so inf * 0 = NaN there
    x = _line(81, {40: math.inf})
    got = _pattern(x, 1.0, truncate=40.0, mode="constant")
    assert got == "nn" + "+" * 77 + "nn"


def test_sigma_zero_axis_is_left_alone_and_complex_is_rejected() -> None:
    image = np.zeros((9, 9))
    image[4, 4] = math.nan
    got = nonfinite_pattern(classes_of(image), (0.0, 1.0))
    assert (got[4] == NAN).sum() == 9 and (got == NAN).sum() == 9
    with pytest.raises(TypeError, match="complex"):
        classes_of(np.zeros(3, complex))
    assert classes_of(np.array([1.0, np.nan, np.inf, -np.inf])).tolist() == [
        FINITE, NAN, POSINF, NEGINF,
    ]  # fmt: skip


def test_prediction_equals_scipy_on_random_cases() -> None:
    rng = np.random.default_rng(21)
    for _ in range(80):
        shape = tuple(int(n) for n in rng.integers(1, 12, rng.integers(1, 3)))
        x = rng.normal(size=shape) * 50
        for _ in range(int(rng.integers(1, 4))):
            x[tuple(int(rng.integers(0, n)) for n in shape)] = rng.choice([np.nan, np.inf, -np.inf])
        kw = {
            "mode": str(rng.choice(["reflect", "constant", "nearest", "mirror", "wrap"])),
            "order": int(rng.integers(0, 4)),
            "cval": float(rng.choice([0.0, np.nan, np.inf, -np.inf])),
            "truncate": float(rng.choice([4.0, 2.0, 40.0])),
        }
        sigma = float(rng.choice([0.5, 1.0, 1.5, 2.0, 3.0, 5.0]))
        with np.errstate(all="ignore"):
            got = ndimage.gaussian_filter(x, sigma, **kw)
        want = nonfinite_pattern(classes_of(x), sigma, **kw)
        assert np.array_equal(classes_of(got), want), (shape, sigma, kw)


@pytest.mark.skipif(
    platform.machine().lower() not in ("x86_64", "amd64"),
    reason="the conversion of NaN/inf to an integer is undefined in C; modelled for x86-64",
)
def test_storage_model_casts_nan_and_out_of_range_like_x86_64() -> None:
    nan = _line(9, {4: math.nan})
    # cvttsd2si through a 32-bit register: NaN -> 0x80000000, truncated to the type's bits
    assert oracle.gaussian_filter(nan, 1.0, output=np.int32)[4] == -(2**31)
    assert oracle.gaussian_filter(nan, 1.0, output=np.int16)[4] == 0
    assert oracle.gaussian_filter(nan, 1.0, output=np.uint8)[4] == 0
    # through a 64-bit register for int64 and uint32
    assert oracle.gaussian_filter(nan, 1.0, output=np.int64)[4] == -(2**63)
    assert oracle.gaussian_filter(nan, 1.0, output=np.uint32)[4] == 0
    big = np.full(5, 3e9)
    assert oracle.gaussian_filter(big, 1.0, output=np.int16)[2] == 0  # outside int32: indefinite
    assert oracle.gaussian_filter(big, 1.0, output=np.int32)[2] == -(2**31)
    assert oracle.gaussian_filter(big, 1.0, output=np.uint32)[2] == 3_000_000_000
    assert oracle.gaussian_filter(np.full(5, 40000.0), 1.0, output=np.int16)[2] == -25536  # wraps
    rng = np.random.default_rng(5)
    for dtype in (np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64):
        x = rng.normal(size=(7, 8)) * 1e10
        x[3, 3], x[0, 5] = np.nan, -np.inf
        with np.errstate(all="ignore"):
            want = ndimage.gaussian_filter(x, 1.3, output=dtype)
        assert np.array_equal(oracle.gaussian_filter(x, 1.3, output=dtype), want), dtype
