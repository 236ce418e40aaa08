"""Accuracy metrics against the oracle, and the sharing of one oracle result across dtypes."""

from __future__ import annotations

import numpy as np
import pytest

from bench import oracle
from bench.sweep import accuracy, impls
from bench.sweep.cases import Case
from bench.sweep.inputs import base_input, input_for


def scipy_metrics(dtype: str, **kwargs):
    case = Case(impl="scipy", dtype=dtype, shape=kwargs.pop("shape", (64, 48)), **kwargs)
    out = impls.get("scipy").prepare(case, input_for(case.shape, case.dtype_in))()
    return accuracy.metrics(case, out, check_storage_model=True)


def test_inputs_are_integers_0_255_identical_in_every_dtype():
    x = base_input((40, 30))
    assert x.dtype == np.uint8 and x.min() == 0 and x.max() == 255
    for dtype in ("float64", "float32", "uint16", "int16", "int32"):
        assert np.array_equal(input_for((40, 30), dtype).astype(np.int64), x.astype(np.int64))
    assert not x.flags.writeable
    # structure: a 0..255 ramp, a 0/255 step and a checkerboard, then hash noise
    assert x[0, 0] == 0 and x[0, -1] == 255
    assert set(np.unique(x[2:6])) == {0, 255}  # bands of 40 // 16 = 2 rows


def test_scipy_uint8_is_biased_about_minus_one_grey_level():
    m = scipy_metrics("uint8", sigma=2.0, mode="reflect")
    assert -1.1 < m["bias"] < -0.85  # truncation toward zero after each axis pass
    assert 1.0 < m["max_grey_levels"] < 2.0
    assert m["frac_correctly_rounded"] < 0.9
    assert m["matches_storage_model"] is True
    assert m["max_ulp_error"] is None


def test_scipy_float32_error_is_about_1e_5_on_0_255_data():
    m = scipy_metrics("float32", sigma=2.0, mode="reflect")
    assert 1e-6 < m["max_abs_error"] < 1e-4
    assert m["max_ulp_error"] < 4
    assert m["matches_storage_model"] is True
    assert m["max_grey_levels"] is None and m["frac_correctly_rounded"] is None


def test_scipy_float64_is_near_exact():
    m = scipy_metrics("float64", sigma=1.3, mode="mirror")
    assert m["max_abs_error"] < 1e-11 and m["max_ulp_error"] < 16
    assert m["matches_storage_model"] is True


def test_integer_metrics_on_a_known_output():
    case = Case(impl="fft", dtype="uint8", shape=(32, 32), sigma=1.5)
    ideal = accuracy.ideal_for(case)
    rounded = np.clip(np.rint(ideal), 0, 255).astype(np.uint8)
    m = accuracy.metrics(case, rounded)
    assert m["frac_correctly_rounded"] == 1.0 and m["max_grey_levels"] <= 0.5
    shifted = np.clip(rounded.astype(int) - 3, 0, 255).astype(np.uint8)
    m = accuracy.metrics(case, shifted)
    lost = np.mean(rounded < 3)  # clipped at 0 there
    assert m["max_grey_levels"] <= 3.5 and m["frac_correctly_rounded"] <= lost
    assert m["bias"] < -2.0


def test_ulps_are_counted_in_the_output_dtype():
    case = Case(impl="fft", dtype="float32", shape=(16, 16), sigma=1.0)
    ideal = accuracy.ideal_for(case)
    out = ideal.astype(np.float32)
    bumped = np.nextafter(out, np.float32(np.inf))  # every value one float32 ulp up
    m_exact = accuracy.metrics(case, out)
    m_bumped = accuracy.metrics(case, bumped)
    assert m_exact["max_ulp_error"] <= 0.5 + 1e-9
    assert 1.0 <= m_bumped["max_ulp_error"] <= 1.5 + 1e-9


def test_border_and_interior_are_split_by_the_kernel_radius():
    case = Case(impl="scipy", dtype="float64", shape=(30, 20), sigma=1.0)  # radius 4
    mask = accuracy.border_mask(case)
    assert mask[:4].all() and mask[-4:].all() and mask[:, :4].all() and mask[:, -4:].all()
    assert not mask[4:-4, 4:-4].any()
    out = accuracy.ideal_for(case).copy()
    out[0, 0] += 5.0
    m = accuracy.metrics(case, out)
    assert m["border_max_abs_error"] == pytest.approx(5.0)
    assert m["interior_max_abs_error"] < 1e-12


def test_one_oracle_call_serves_every_dtype_and_impl(monkeypatch):
    accuracy.clear_cache()
    calls = []
    real = oracle.gaussian_filter

    def counting(*args, **kwargs):
        calls.append(kwargs.get("output"))
        return real(*args, **kwargs)

    monkeypatch.setattr(oracle, "gaussian_filter", counting)
    for dtype in ("float64", "float32", "uint8", "int16", "uint8->float32"):
        for impl in ("fft", "skimage"):
            case = Case(impl=impl, dtype=dtype, shape=(24, 24), sigma=1.7, mode="grid-mirror")
            out = impls.get(impl).prepare(case, input_for(case.shape, case.dtype_in))()
            accuracy.metrics(case, out)
    # grid-mirror is reflect for filters: the same ideal serves that mode too
    case = Case(impl="fft", dtype="float64", shape=(24, 24), sigma=1.7, mode="reflect")
    accuracy.metrics(case, accuracy.ideal_for(case))
    assert calls == [None]


def test_shape_mismatch_is_an_error():
    case = Case(impl="fft", dtype="float64", shape=(8, 8), sigma=1.0)
    with pytest.raises(ValueError, match="shape"):
        accuracy.metrics(case, np.zeros((8, 9)))
