"""How far did an output move? Element-wise differences, and the float64 oracle bound.

The oracle bound is a worst-case bound on SciPy's float64 error for a case (recursive
summation per axis pass, Higham eq. 3.5, plus the error of SciPy's weights); a failure message
says how far an output moved as a fraction of it.

Why: docs/verify.md.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

EPS64 = float(np.finfo(np.float64).eps)


def _per_axis(value: Any, ndim: int) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value] * ndim


def radius_rule(sigma: float, truncate: float) -> int:
    """SciPy's default radius: ``int(truncate * sigma + 0.5)`` (round half up, not ceil)."""
    return int(truncate * sigma + 0.5)


def kernel_abs_sum(sigma: float, order: int, radius: int) -> float:
    """``sum |w|`` of the sampled, normalised Gaussian derivative kernel (its closed form)."""
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    phi = np.exp(-0.5 * x * x / (sigma * sigma))
    phi /= phi.sum()
    # Probabilists' Hermite polynomials: d^n/dx^n exp(-x^2/2) = (-1)^n He_n(x) exp(-x^2/2).
    t = x / sigma
    he_prev, he = np.ones_like(t), t
    if order == 0:
        poly = he_prev
    else:
        for n in range(1, order):
            he_prev, he = he, t * he - n * he_prev
        poly = he
    weights = poly * phi / sigma**order
    return float(np.abs(weights).sum())


def float64_bound(
    shape: tuple[int, ...],
    sigma: Any,
    order: Any = 0,
    truncate: float = 4.0,
    radius: Any = None,
    axes: Any = None,
    input_max: float = 1.0,
    cval: float = 0.0,
) -> float:
    """The worst-case ``|scipy - oracle|`` for a float64 result (see the module docstring)."""
    ndim = len(shape)
    axis_list = list(range(ndim)) if axes is None else [a % ndim for a in axes]
    n = len(axis_list)
    sigmas, orders = _per_axis(sigma, n), _per_axis(order, n)
    radii = _per_axis(radius, n)
    scale, factor = 1.0, 0.0
    for s, o, r in zip(sigmas, orders, radii, strict=True):
        if not s > 1e-15:  # SciPy skips these axes
            continue
        r = radius_rule(s, truncate) if r is None else int(r)
        a_max = (r / s) ** 2 / 2
        scale *= kernel_abs_sum(s, int(o), r)
        factor += 2 * (2 * r + 1) + 3 * a_max + 4 * (int(o) + 1) + 2
    m0 = max(float(input_max), abs(float(cval)))
    return EPS64 * scale * m0 * factor


def _ulps(observed: np.ndarray, golden: np.ndarray) -> float:
    # ulp of the larger magnitude of the two: a value moving away from 0.0 is counted in
    # the ulp of where it went, not in subnormal steps.
    wide = np.float64
    magnitude = np.maximum(np.abs(golden), np.abs(observed)).astype(observed.dtype)
    spacing = np.spacing(magnitude).astype(wide)
    diff = np.abs(observed.astype(wide) - golden.astype(wide))
    return float(np.max(diff / spacing)) if diff.size else 0.0


def array_change(observed: np.ndarray, golden: np.ndarray) -> dict[str, Any]:
    """Describe how ``observed`` differs from ``golden`` (both arrays), as plain data.

    Returns ``{"changed": kind, "summary": text, ...}`` where kind is ``"none"``, ``"dtype"``,
    ``"shape"`` or ``"bits"``; for ``"bits"`` also the count of differing elements, the largest
    absolute difference, the largest difference in units in the last place (floats) and the
    first differing index.
    """
    if observed.dtype != golden.dtype:
        return {
            "changed": "dtype",
            "summary": f"dtype {golden.dtype} -> {observed.dtype}",
        }
    if observed.shape != golden.shape:
        return {
            "changed": "shape",
            "summary": f"shape {golden.shape} -> {observed.shape}",
        }
    equal = (
        (observed == golden) | (np.isnan(observed) & np.isnan(golden))
        if (observed.dtype.kind in "fc")
        else observed == golden
    )
    if bool(np.all(equal)):
        return {"changed": "none", "summary": "identical"}
    differing = int(np.count_nonzero(~equal))
    first = tuple(int(i) for i in np.argwhere(~equal)[0])
    wide = observed.astype(np.complex128 if observed.dtype.kind == "c" else np.float64)
    wide_golden = golden.astype(wide.dtype)
    max_abs = float(np.max(np.abs(wide - wide_golden)))
    info: dict[str, Any] = {
        "changed": "bits",
        "elements_differing": differing,
        "elements": int(golden.size),
        "max_abs_diff": max_abs,
        "first_index": list(first),
    }
    text = f"{differing} of {golden.size} elements differ, max |diff| {max_abs:.3g}"
    if observed.dtype.kind == "f":
        ulps = _ulps(observed[~equal], golden[~equal])
        info["max_ulp_diff"] = ulps
        text += f" ({ulps:.3g} ulp)"
    elif observed.dtype.kind == "c":
        ulps = max(
            _ulps(observed.real[~equal], golden.real[~equal]),
            _ulps(observed.imag[~equal], golden.imag[~equal]),
        )
        info["max_ulp_diff"] = ulps
        text += f" ({ulps:.3g} ulp)"
    else:
        text += " (integer levels)"
    text += f", first at {first}: {golden[first]!r} -> {observed[first]!r}"
    info["summary"] = text
    return info


def oracle_distance(observed: np.ndarray, ideal: np.ndarray, bound: float) -> dict[str, Any]:
    """``max |observed - ideal|`` and its fraction of ``bound`` (finite values only)."""
    wide = observed.astype(np.complex128 if observed.dtype.kind == "c" else np.float64)
    if wide.size == 0:
        return {"max_abs_error": 0.0, "bound": bound, "fraction_of_bound": 0.0, "within": True}
    diff = np.abs(wide - ideal)
    if wide.dtype.kind == "c":
        diff = np.maximum(np.abs(wide.real - ideal.real), np.abs(wide.imag - ideal.imag))
    max_err = float(np.nanmax(diff)) if np.isfinite(diff).any() else math.inf
    fraction = max_err / bound if bound > 0 else (0.0 if max_err == 0 else math.inf)
    return {
        "max_abs_error": max_err,
        "bound": bound,
        "fraction_of_bound": fraction,
        "within": bool(max_err <= bound),
    }
