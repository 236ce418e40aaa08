"""The oracle against SciPy (>= 500 cases) and against 50-digit mpmath."""

from __future__ import annotations

import inspect
import math
import os
import subprocess
import sys
from pathlib import Path

import mpmath
import numpy as np
import pytest
from scipy import ndimage

import bench
from bench import oracle

_SCIPY_PARAMS = inspect.signature(ndimage.gaussian_filter).parameters
HAS_RADIUS = "radius" in _SCIPY_PARAMS
HAS_AXES = "axes" in _SCIPY_PARAMS

DTYPES = ["float64", "float32", "uint8", "uint16", "int16", "int32", "int64", "complex128"]
SHAPES = [(1,), (2,), (7,), (23,), (1, 1), (1, 9), (7, 7), (5, 3), (4, 6, 3), (2, 1, 5)]


def _random_case(rng: np.random.Generator) -> dict:
    shape = SHAPES[rng.integers(len(SHAPES))]
    ndim = len(shape)
    dtype = DTYPES[rng.integers(len(DTYPES))]
    out_choices = [None, "float32", "float64", "uint8", "int16", "int32"]
    if dtype == "complex128":
        out_choices = [None, "complex64"]
    out = out_choices[rng.integers(len(out_choices))]
    kw: dict = {
        "order": int(rng.integers(0, 4)) if rng.random() < 0.35 else 0,
        "mode": oracle.MODES[rng.integers(len(oracle.MODES))],
        "cval": float(rng.choice([0.0, 3.5, -2.0, 255.0])),
        "truncate": float(rng.choice([4.0, 2.0, 0.5, 3.1])),
    }
    if rng.random() < 0.3:
        sigma = [float(rng.choice([0.0, 0.3, 1.0, 1.125, 2.5])) for _ in range(ndim)]
    else:
        sigma = float(rng.choice([0.4, 0.5, 1.0, 1.125, 1.7, 2.5, 3.0, 6.0]))
    if HAS_RADIUS and rng.random() < 0.15:
        kw["radius"] = int(rng.integers(0, 9))
    if HAS_AXES and ndim > 1 and rng.random() < 0.2:
        kw["axes"] = tuple(int(a) for a in rng.permutation(ndim)[: rng.integers(1, ndim + 1)])
        if not isinstance(sigma, float):
            sigma = sigma[: len(kw["axes"])]
    if dtype == "complex128":
        x = rng.integers(0, 256, shape) + 1j * rng.integers(0, 256, shape)
    elif dtype.startswith("float"):
        x = rng.integers(0, 256, shape) + rng.random(shape) * (rng.random() < 0.5)
    else:
        x = rng.integers(0, 256, shape)
    return {"x": np.asarray(x).astype(dtype), "sigma": sigma, "output": out, "kw": kw}


CASES = [_random_case(np.random.default_rng(seed)) for seed in range(600)]


def _case_id(case: dict) -> str:
    return (
        f"{case['x'].dtype}{list(case['x'].shape)}-s{case['sigma']}-{case['kw']}-o{case['output']}"
    )


def _abs_kernel_sum(sigma: float, order: int, radius: int) -> float:
    """sum_k phi(k)/Z * sum_j |q_j| |k|^j: the size of the terms SciPy's kernel is built from.

    SciPy evaluates the derivative polynomial q(k) in monomials, so its weights carry
    rounding relative to these terms, not to |q(k)| (cancellation at large sigma).
    """
    q = np.zeros(order + 1)
    q[0] = 1.0
    for _ in range(order):  # q <- q' + q * (-x / sigma^2), on coefficients
        new = np.zeros(order + 1)
        new[:-1] += q[1:] * np.arange(1, order + 1)
        new[1:] += q[:-1] * (-1.0 / sigma**2)
        q = new
    k = np.arange(-radius, radius + 1, dtype=float)
    terms = np.abs(k[:, None]) ** np.arange(order + 1) @ np.abs(q)
    return float(np.sum(oracle.kernel(sigma, 0, radius) * terms))


def _scale(case: dict) -> float:
    """max|x| * prod over filtered axes of the kernel's term sum: what errors scale with."""
    x = case["x"]
    ndim = x.ndim
    axes = case["kw"].get("axes", tuple(range(ndim)))
    sig = case["sigma"] if isinstance(case["sigma"], list) else [case["sigma"]] * len(axes)
    order = case["kw"]["order"]
    cval = abs(case["kw"]["cval"])
    scale = max(float(np.max(np.abs(x))) if x.size else 0.0, cval, 1e-300)
    for s in sig:
        if s > 1e-15:
            r = case["kw"].get("radius", oracle.radius_for(s, case["kw"]["truncate"]))
            # constant modes re-inject cval at every pass
            scale = max(scale, cval) * _abs_kernel_sum(s, order, r)
    return scale


def _taps(case: dict) -> int:
    x = case["x"]
    axes = case["kw"].get("axes", tuple(range(x.ndim)))
    sig = case["sigma"] if isinstance(case["sigma"], list) else [case["sigma"]] * len(axes)
    return sum(
        2 * case["kw"].get("radius", oracle.radius_for(s, case["kw"]["truncate"])) + 1
        for s in sig
        if s > 1e-15
    )


@pytest.mark.parametrize("case", CASES, ids=[str(i) for i in range(len(CASES))])
def test_storage_model_is_bit_exact(case):
    """SciPy's output, whatever its dtype, equals the oracle's storage model bit for bit."""
    expected = ndimage.gaussian_filter(
        case["x"], case["sigma"], output=case["output"], **case["kw"]
    )
    got = oracle.gaussian_filter(case["x"], case["sigma"], output=expected.dtype, **case["kw"])
    assert got.dtype == expected.dtype, _case_id(case)
    assert got.shape == expected.shape
    assert got.tobytes() == expected.tobytes(), _case_id(case)


# Stated bound for SciPy float64 against the ideal result: each tap rounds one product
# and one sum, the kernel weights carry a few ulps, and each pass re-rounds.
SCIPY_F64_BOUND_EPS_PER_TAP = 2.0


@pytest.mark.parametrize("case", CASES, ids=[str(i) for i in range(len(CASES))])
def test_scipy_float64_within_bound_of_ideal(case):
    x = case["x"]
    if x.dtype.kind == "c":
        x64 = x.astype(np.complex128)
    else:
        x64 = x.astype(np.float64)
    actual = ndimage.gaussian_filter(x64, case["sigma"], **case["kw"])
    ideal = oracle.gaussian_filter(x64, case["sigma"], **case["kw"])
    assert ideal.dtype == (np.complex128 if x.dtype.kind == "c" else np.float64)
    bound = SCIPY_F64_BOUND_EPS_PER_TAP * (_taps(case) + 1) * np.finfo(float).eps * _scale(case)
    err = float(np.max(np.abs(actual - ideal))) if x.size else 0.0
    assert err <= bound, (_case_id(case), err, bound)


# ----------------------------------------------------------------------- mpmath


def _np_pad_mode(mode: str) -> str:
    return {
        "reflect": "symmetric",
        "grid-mirror": "symmetric",
        "mirror": "reflect",
        "nearest": "edge",
        "wrap": "wrap",
        "grid-wrap": "wrap",
        "constant": "constant",
        "grid-constant": "constant",
    }[mode]


def _mp_derivative(s, order: int, k: int):
    """d^n/dt^n exp(-t^2 / 2 s^2) at t = k, through mpmath's physicists' Hermite H_n.

    d^n/dt^n exp(-u^2) = (-1)^n H_n(u) exp(-u^2) with u = t / (s sqrt 2): a closed form
    independent of the oracle's probabilists' recurrence.
    """
    c = 1 / (s * mpmath.sqrt(2))
    u = mpmath.mpf(k) * c
    return (-c) ** order * mpmath.hermite(order, u) * mpmath.exp(-(u**2))


def _mp_filter_1d(line: list, sigma: float, order: int, radius: int, mode: str, cval):
    """Direct 50-digit evaluation; the extension comes from np.pad (independent of the oracle)."""
    n = len(line)
    pad_mode = _np_pad_mode(mode)
    if pad_mode == "reflect" and n == 1:
        pad_mode = "edge"
    idx = np.arange(n)
    if pad_mode == "constant":
        ext = [cval] * radius + list(line) + [cval] * radius
    else:
        ext_idx = np.pad(idx, radius, mode=pad_mode)
        ext = [line[i] for i in ext_idx]
    with mpmath.workdps(50):
        s = mpmath.mpf(sigma)
        ks = range(-radius, radius + 1)
        phi = {k: mpmath.exp(-(mpmath.mpf(k) ** 2) / (2 * s * s)) for k in ks}
        z = mpmath.fsum(phi.values())
        w = {k: _mp_derivative(s, order, k) / z for k in ks}
        return [mpmath.fsum(w[k] * ext[i + radius - k] for k in ks) for i in range(n)]


def _mp_filter(x: np.ndarray, sigma: float, order: int, mode: str, cval: float, truncate: float):
    radius = oracle.radius_for(sigma, truncate)
    data = np.empty(x.shape, dtype=object)
    for index in np.ndindex(x.shape):
        data[index] = mpmath.mpf(float(x[index]))
    for axis in range(x.ndim):
        moved = np.moveaxis(data, axis, -1)
        result = np.empty(moved.shape, dtype=object)
        for index in np.ndindex(moved.shape[:-1]):
            result[index] = _mp_filter_1d(
                list(moved[index]), sigma, order, radius, mode, mpmath.mpf(cval)
            )
        data = np.moveaxis(result, -1, axis)
    return data


def _ulp_errors(values: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """Error in ulps of the exact value, floored at 2**-12 of the array's largest value.

    The floor is the oracle's stated scope: results more than 2**12 times smaller
    than the array maximum are judged in absolute terms.
    """
    floor = max(abs(float(e)) for e in exact.flat) * 2.0**-12
    errs = np.empty(values.shape)
    for index in np.ndindex(values.shape):
        e = exact[index]
        with mpmath.workdps(50):
            diff = abs(mpmath.mpf(float(values[index])) - e)
            errs[index] = float(diff / math.ulp(max(abs(float(e)), floor)))
    return errs


MP_CASES = [
    ((9,), 1.0, 0, "reflect", 0.0),
    ((9,), 2.5, 0, "mirror", 0.0),
    ((5,), 3.0, 0, "wrap", 0.0),  # kernel longer than the line
    ((6,), 1.5, 1, "nearest", 0.0),
    ((6,), 1.2, 2, "constant", 7.25),
    ((4, 5), 1.0, 0, "reflect", 0.0),
    ((4, 5), 0.8, 1, "mirror", 0.0),
    ((5, 4), 1.7, 0, "constant", -3.0),
    ((3, 4), 2.2, 2, "wrap", 0.0),
    ((1, 6), 1.0, 0, "mirror", 0.0),
    ((7,), 0.6, 3, "reflect", 0.0),
]


@pytest.mark.parametrize("shape,sigma,order,mode,cval", MP_CASES)
def test_ideal_beats_scipy_against_mpmath(shape, sigma, order, mode, cval):
    rng = np.random.default_rng(sum(shape) * 31 + order)
    x = rng.standard_normal(shape) * 10.0 ** rng.integers(-2, 3, shape)
    exact = _mp_filter(x, sigma, order, mode, cval, 4.0)
    ideal = oracle.gaussian_filter(x, sigma, order=order, mode=mode, cval=cval)
    scipy_out = ndimage.gaussian_filter(x, sigma, order=order, mode=mode, cval=cval)
    ideal_ulps = _ulp_errors(ideal, exact)
    scipy_ulps = _ulp_errors(scipy_out, exact)
    # the docstring's bound: correctly rounded up to a hair above half an ulp
    assert ideal_ulps.max() <= 0.5 + 1e-3, ideal_ulps.max()
    # and never worse than SciPy's float64, pixel by pixel
    assert np.all(ideal_ulps <= scipy_ulps + 1e-3)
    assert ideal_ulps.max() <= scipy_ulps.max()


def test_kernel_matches_mpmath_to_full_precision():
    for sigma, order in [(1.0, 0), (2.5, 1), (0.7, 2), (3.3, 3)]:
        radius = oracle.radius_for(sigma, 4.0)
        got = oracle.kernel(sigma, order, radius)
        with mpmath.workdps(50):
            s = mpmath.mpf(sigma)
            z = mpmath.fsum(_mp_derivative(s, 0, k) for k in range(-radius, radius + 1))
            for i, k in enumerate(range(-radius, radius + 1)):
                exact = _mp_derivative(s, order, k) / z
                assert got[i] == float(exact), (sigma, order, k)


def test_kernel_closed_forms():
    w = oracle.kernel(2.0, 0, 8)
    assert math.fsum(w) == pytest.approx(1.0, abs=4e-16)
    assert np.array_equal(w, w[::-1])
    w1 = oracle.kernel(2.0, 1, 8)
    assert np.array_equal(w1, -w1[::-1])
    # first-derivative kernel applied to a ramp returns its slope (interior, exact weights)
    ramp = np.arange(40.0)
    slope = oracle.gaussian_filter(ramp, 2.0, order=1)
    # sum_k w1(k) * (i - k) = -sum_k k w1(k) -> 1 for the continuous Gaussian; the
    # sampled, truncated kernel gives -sum k w1(k) exactly:
    expected = -math.fsum(k * wk for k, wk in zip(range(-8, 9), w1, strict=True))
    assert slope[20] == pytest.approx(expected, rel=1e-15)
    assert expected == pytest.approx(1.0, abs=2e-3)


@pytest.mark.parametrize("n", [1, 2, 3, 5])
@pytest.mark.parametrize("mode", oracle.MODES)
def test_extension_matches_numpy_pad(n, mode):
    """The boundary rule equals np.pad's (an independent implementation) for any width."""
    for width in (0, 1, n, 2 * n + 1, 5 * n + 3):
        idx = oracle.extend_indices(n, width, width, mode)
        pad_mode = _np_pad_mode(mode)
        if pad_mode == "reflect" and n == 1:
            pad_mode = "edge"
        if pad_mode == "constant":
            expected = np.pad(np.arange(n), width, mode="constant", constant_values=-1)
        else:
            expected = np.pad(np.arange(n), width, mode=pad_mode)
        assert np.array_equal(idx, expected), (n, mode, width)


def test_no_op_cases_return_the_input():
    x = np.arange(12.0).reshape(3, 4)
    assert np.array_equal(oracle.gaussian_filter(x, 0), x)
    assert np.array_equal(oracle.gaussian_filter(x, 1.0, truncate=0.0), x)
    assert np.array_equal(oracle.gaussian_filter(x, [0, 1e-16]), x)
    u8 = np.full((4, 4), 100, np.uint8)
    assert oracle.gaussian_filter(u8, 0, output=np.uint8).dtype == np.uint8


def test_constant_uint8_image_drifts_like_scipy():
    """Measured on SciPy 1.17.1: a constant 100 comes back as 98 at sigma 2.5."""
    img = np.full((32, 32), 100, np.uint8)
    stored = oracle.gaussian_filter(img, 2.5, output=np.uint8)
    assert np.unique(stored).tolist() == [98]
    assert np.allclose(oracle.gaussian_filter(img, 2.5), 100.0, rtol=0, atol=1e-12)


def test_output_array_is_filled_in_place():
    x = np.arange(20.0)
    out = np.empty(20, np.float32)
    result = oracle.gaussian_filter(x, 1.5, output=out)
    assert result is out
    assert out.tobytes() == ndimage.gaussian_filter(x, 1.5, output=np.float32).tobytes()


@pytest.mark.parametrize(
    "kwargs,exc,words",
    [
        ({"input": np.zeros(4, np.float16)}, TypeError, ["input", "float16", "allowed"]),
        ({"input": np.zeros(4, object)}, TypeError, ["input", "allowed"]),
        ({"sigma": -1.0}, ValueError, ["sigma", ">= 0"]),
        ({"sigma": float("nan")}, ValueError, ["sigma", "finite"]),
        ({"sigma": float("inf")}, ValueError, ["sigma", "finite"]),
        ({"mode": "reflective"}, ValueError, ["mode", "allowed", "grid-wrap"]),
        ({"sigma": [1.0, 2.0, 3.0]}, ValueError, ["sigma", "one entry per filtered axis"]),
        ({"mode": ["reflect"]}, ValueError, ["mode", "one entry per filtered axis"]),
        ({"axes": (0, 0)}, ValueError, ["axes", "unique"]),
        ({"axes": (0, 5)}, ValueError, ["axes", "allowed"]),
        ({"order": -1}, ValueError, ["order", "non-negative"]),
        ({"radius": -2}, ValueError, ["radius", "non-negative"]),
        ({"truncate": float("nan")}, ValueError, ["truncate", "finite"]),
        ({"output": np.float16}, TypeError, ["output", "allowed"]),
        ({"output": np.zeros((2, 2))}, ValueError, ["output", "shape"]),
    ],
)
def test_bad_input_names_the_argument(kwargs, exc, words):
    args = {"input": np.zeros((4, 4)), "sigma": 1.0}
    args.update(kwargs)
    with pytest.raises(exc) as info:
        oracle.gaussian_filter(**args)
    message = str(info.value)
    for word in words:
        assert word in message, message


@pytest.mark.parametrize("out", [None, np.float32, np.uint8, bool])
@pytest.mark.parametrize(
    "x", [np.zeros((0,)), np.zeros((3, 0)), np.array(3.0), np.array([True, False, True])]
)
def test_degenerate_inputs_follow_scipy(x, out):
    expected = ndimage.gaussian_filter(x, 1.0, output=out)
    got = oracle.gaussian_filter(x, 1.0, output=out)
    assert got.shape == expected.shape
    if out is None:
        assert got.dtype == np.float64
        assert np.allclose(got, ndimage.gaussian_filter(x.astype(float), 1.0), rtol=1e-15)
    else:
        assert got.dtype == expected.dtype
        assert got.tobytes() == expected.tobytes()


def test_oracle_never_imports_scipy_ndimage():
    """The invariant that makes it an oracle: it shares no code with what it judges.

    A fresh interpreter imports every module of ``bench.oracle`` and runs both answers (ideal
    and storage model); ``scipy.ndimage`` must not have been imported by any of it.
    """
    script = (
        "import pkgutil, importlib, sys\n"
        "import numpy as np\n"
        "import bench.oracle as oracle\n"
        "for info in pkgutil.iter_modules(oracle.__path__):\n"
        "    importlib.import_module('bench.oracle.' + info.name)\n"
        "x = np.arange(30.0).reshape(5, 6)\n"
        "oracle.gaussian_filter(x, 1.5, order=1, mode='mirror')\n"
        "oracle.gaussian_filter(x, 1.5, output=np.uint8)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[:2] == ['scipy', 'ndimage']))\n"
    )
    root = str(Path(bench.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout
