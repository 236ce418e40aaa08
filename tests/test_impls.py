"""Every implementation adapter on small arrays, against the oracle's ideal output."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from bench import oracle
from bench.sweep import impls
from bench.sweep.cases import Case
from bench.sweep.impls.base import pad_for, scipy_kernel1d
from bench.sweep.inputs import ideal_input, input_for
from bench.sweep.measure import CaseSettings, run_case

EXACT_FLOAT = ("scipy", "opencv-1t", "opencv", "opencv-sep-1t", "skimage", "fft", "dask-image")
BASE_MODES = ("reflect", "mirror", "nearest", "constant", "wrap")


def run(case: Case) -> np.ndarray:
    adapter = impls.get(case.impl)
    assert adapter.available() is None, adapter.available()
    assert adapter.supports(case) is None, adapter.supports(case)
    return np.asarray(adapter.prepare(case, input_for(case.shape, case.dtype_in))())


def ideal(case: Case) -> np.ndarray:
    sigma = list(case.sigmas) if isinstance(case.sigma, tuple) else case.sigma
    return oracle.gaussian_filter(
        ideal_input(case.shape),
        sigma,
        order=case.order,
        mode=case.mode,
        cval=case.cval,
        truncate=case.truncate,
        axes=case.axes,
    )


def interior(case: Case, a: np.ndarray) -> np.ndarray:
    r0, r1 = case.radii[:2]
    return a[r0:-r0, r1:-r1]


def test_registry_lists_every_peer():
    assert impls.names() == (
        "scipy",
        "opencv-1t",
        "opencv",
        "opencv-sep-1t",
        "skimage",
        "pillow",
        "fft",
        "dask-image",
        "pyvips",
        "pyvips-exact",
        "sitk-discrete",
        "sitk-recursive",
        "diplib",
        "mahotas",
    )
    for name in impls.names():
        assert impls.get(name).name == name


@pytest.mark.parametrize("impl", EXACT_FLOAT)
@pytest.mark.parametrize("mode", BASE_MODES)
def test_float64_peers_match_the_ideal_in_every_mode(impl, mode):
    case = Case(
        impl=impl,
        dtype="float64",
        shape=(23, 17),
        sigma=(1.5, 2.0),
        mode=mode,
        cval=3.0 if mode == "constant" else 0.0,
    )
    out = run(case)
    assert out.dtype == np.float64 and out.shape == case.shape
    want = ideal(case)
    if impl == "dask-image" and mode == "wrap":
        # dask-image's chunk overlap does not wrap around the array: only the interior holds
        assert np.allclose(interior(case, out), interior(case, want), atol=1e-10)
        return
    assert np.max(np.abs(out - want)) < 1e-10


def test_pad_for_extends_like_scipy_modes():
    case = Case(impl="fft", dtype="float64", shape=(4, 3), sigma=0.3, mode="reflect")
    x = np.arange(12.0).reshape(4, 3)
    assert case.radii == (1, 1)
    assert pad_for(case, x)[0, 1:-1].tolist() == [0.0, 1.0, 2.0]  # reflect repeats the edge
    mirror = Case(impl="fft", dtype="float64", shape=(4, 3), sigma=0.3, mode="mirror")
    assert pad_for(mirror, x)[0, 1:-1].tolist() == [3.0, 4.0, 5.0]
    wrap = Case(impl="fft", dtype="float64", shape=(4, 3), sigma=0.3, mode="grid-wrap")
    assert pad_for(wrap, x)[0, 1:-1].tolist() == [9.0, 10.0, 11.0]
    const = Case(impl="fft", dtype="float64", shape=(4, 3), sigma=0.3, mode="constant", cval=7)
    assert pad_for(const, x)[0].tolist() == [7.0] * 5


@pytest.mark.parametrize("order", [0, 1, 2])
def test_scipy_kernel_formula_matches_the_oracle_kernel(order):
    for sigma in (0.7, 2.0, 5.3):
        r = int(4 * sigma + 0.5)
        mine = scipy_kernel1d(sigma, order, r)
        ref = oracle.kernel(sigma, order, radius=r)
        assert np.max(np.abs(mine - ref)) < 1e-15


def test_uint8_peers_round_or_truncate_as_documented():
    shape, sigma = (40, 30), 2.0
    results = {}
    for impl in ("scipy", "opencv-1t", "fft", "pillow"):
        case = Case(impl=impl, dtype="uint8", shape=shape, sigma=sigma, mode="nearest")
        out = run(case)
        assert out.dtype == np.uint8
        results[impl] = (out.astype(float) - ideal(case), case)
    err_scipy = results["scipy"][0]
    assert -1.1 < err_scipy.mean() < -0.85  # truncation toward zero after each pass
    assert np.max(np.abs(err_scipy)) < 2.0
    assert np.max(np.abs(results["fft"][0])) <= 0.5 + 1e-9  # rounded to nearest
    assert np.max(np.abs(results["opencv-1t"][0])) < 2.0  # OpenCV's 8-bit fixed point
    pil_err, case = results["pillow"]
    assert 0 < np.max(np.abs(interior(case, pil_err))) < 10  # box approximation, not exact


@pytest.mark.parametrize("impl", EXACT_FLOAT)
def test_float32_outputs_are_within_float32_rounding(impl):
    case = Case(impl=impl, dtype="uint8->float32", shape=(32, 24), sigma=1.2, mode="nearest")
    out = run(case)
    assert out.dtype == np.float32
    err = np.max(np.abs(out - ideal(case)))
    assert 1e-7 < err < 3e-4  # 0..255 data: float32 spacing at 255 is 1.5e-5


def test_skimage_returns_float64_for_integer_input():
    out = run(Case(impl="skimage", dtype="uint16", shape=(16, 16), sigma=1.0, mode="nearest"))
    assert out.dtype == np.float64


@pytest.mark.parametrize("impl", [*EXACT_FLOAT, "pillow"])
def test_rgb_channels_are_filtered_separately(impl):
    case = Case(
        impl=impl, dtype="uint8", shape=(20, 18, 3), sigma=1.5, mode="nearest", channel_axis=-1
    )
    out = run(case)
    assert out.shape == (20, 18, 3)
    want = ideal(case)
    tol = 10 if impl == "pillow" else 2
    assert np.max(np.abs(interior(case, out.astype(float) - want))) < tol


@pytest.mark.parametrize(
    "impl, kwargs, reason",
    [
        ("pillow", {"dtype": "float32"}, "8-bit"),
        ("pillow", {"mode": "reflect"}, "no 'reflect' border"),
        ("opencv-1t", {"dtype": "int32"}, "32-bit integer"),
        ("opencv", {"shape": (8, 8, 8)}, "3-D volume"),
        ("opencv-1t", {"order": 1}, "derivative"),
        ("skimage", {"order": 2}, "derivative"),
    ],
)
def test_unsupported_cases_say_why(impl, kwargs, reason):
    base = {"impl": impl, "dtype": "uint8", "shape": (16, 16), "sigma": 1.0, "mode": "nearest"}
    case = Case(**{**base, **kwargs})
    assert reason in impls.get(impl).supports(case)
    row = run_case(case, CaseSettings(timing=None))
    assert row.status == "unsupported" and reason in row.reason and row.min_ns is None


def test_missing_package_gives_unavailable_rows(monkeypatch):
    monkeypatch.setitem(sys.modules, "cv2", None)  # makes `import cv2` raise ImportError
    case = Case(impl="opencv-1t", dtype="uint8", shape=(16, 16), sigma=1.0)
    assert "cv2" in impls.get("opencv-1t").available()
    row = run_case(case, CaseSettings(timing=None))
    assert row.status == "unavailable" and "cv2" in row.reason
    assert row.output_sha256 is None


def test_a_raising_adapter_gives_an_error_row(monkeypatch):
    adapter = impls.get("fft")

    def broken(case, x):
        def call():
            raise MemoryError("simulated")

        return call

    monkeypatch.setattr(adapter, "prepare", broken)
    row = run_case(
        Case(impl="fft", dtype="float64", shape=(8, 8), sigma=1.0), CaseSettings(timing=None)
    )
    assert row.status == "error" and "MemoryError: simulated" in row.reason


def test_opencv_thread_settings_are_two_implementations():
    case = Case(impl="opencv-1t", dtype="float32", shape=(16, 16), sigma=1.0, mode="nearest")
    one = impls.get("opencv-1t")
    one.prepare(case, input_for(case.shape, "float32"))
    assert one.threads() == 1
    default = impls.get("opencv")
    default.prepare(case, input_for(case.shape, "float32"))
    assert default.threads() >= 1


def test_opencv_with_scipys_kernel_rounds_8_bit_correctly_and_takes_orders():
    case = Case(impl="opencv-sep-1t", dtype="uint8", shape=(40, 30), sigma=2.0, mode="reflect")
    out = run(case)
    want = np.clip(np.rint(ideal(case)), 0, 255)
    assert np.array_equal(out, want)  # float kernel: correctly rounded, unlike GaussianBlur
    deriv = Case(impl="opencv-sep-1t", dtype="float64", shape=(40, 30), sigma=2.0, order=1)
    assert np.max(np.abs(run(deriv) - ideal(deriv))) < 1e-10


@pytest.mark.parametrize("impl", ["opencv-sep-1t", "fft"])
def test_derivative_with_a_nonzero_constant_border_differs_from_scipy_at_the_border(impl):
    # SciPy pads every axis pass's intermediate with cval, so the derivative of the padding is
    # cval, not 0; padding the input once (what these peers do) differs near the border only.
    case = Case(
        impl=impl, dtype="float64", shape=(40, 30), sigma=1.5, order=1, mode="constant", cval=2.0
    )
    err = np.abs(run(case) - ideal(case))
    assert err.max() > 0.1
    assert interior(case, err).max() < 1e-10
