"""The ideal pass: one axis of the exact convolution, carried as a double-double (hi + lo).

Finite input is summed with an Ozaki-style error-free split (see :func:`_exact_conv`): the
products and partial sums of the leading part are exact in float64 whatever order BLAS sums
in, and only tiny correction terms round. Non-finite input falls back to plain float64 sums,
where the inf/nan pattern is what is judged, not digits.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from threadpoolctl import ThreadpoolController

from bench.oracle.boundaries import extend
from bench.oracle.kernels import kernel, split_kernel


def ideal_filter(data: np.ndarray, passes, cval: float) -> np.ndarray:
    """Run ``passes`` (axis, sigma, order, mode, radius) on real ``data``; float64 result."""
    hi = data.astype(np.float64)
    lo = None
    # The block products are small; a second BLAS thread only adds contention on
    # busy 2-core machines (measured: 5 ms with 1 thread, 150 ms with 2 under load).
    with _blas_controller().limit(limits=1, user_api="blas"):
        for ax, s, o, md, r in passes:
            hi, lo = _ideal_pass(hi, lo, ax, s, o, r, md, cval)
    return np.require(hi, requirements="C")


@lru_cache(maxsize=1)
def _blas_controller() -> ThreadpoolController:
    # Inspecting the loaded libraries costs milliseconds; do it once per process.
    return ThreadpoolController()


def _ideal_pass(
    hi: np.ndarray,
    lo: np.ndarray | None,
    axis: int,
    sigma: float,
    order: int,
    radius: int,
    mode: str,
    cval: float,
) -> tuple[np.ndarray, np.ndarray]:
    """One axis of the ideal filter on a double-double array (hi + lo)."""
    n = hi.shape[axis]
    hi_t = np.moveaxis(hi, axis, 0)
    rest_shape = hi_t.shape[1:]
    hi_2d = hi_t.reshape(n, -1)
    x = extend(hi_2d, radius, mode, cval)
    if lo is None:
        lo_x = None
    else:
        lo_x = extend(np.moveaxis(lo, axis, 0).reshape(n, -1), radius, mode, 0.0)

    if not np.isfinite(x).all():
        out_hi = _plain_conv(x, lo_x, sigma, order, radius)
        out_lo = np.zeros_like(out_hi)
    else:
        out_hi, out_lo = _exact_conv(x, lo_x, sigma, order, radius)
    shape = (n, *rest_shape)
    return (
        np.moveaxis(out_hi.reshape(shape), 0, axis),
        np.moveaxis(out_lo.reshape(shape), 0, axis),
    )


def _plain_conv(x, lo_x, sigma, order, radius):
    w = kernel(sigma, order, radius)
    n = x.shape[0] - 2 * radius
    acc = np.zeros((n, x.shape[1]))
    with np.errstate(invalid="ignore", over="ignore"):
        for k in range(-radius, radius + 1):
            acc += w[k + radius] * x[radius - k : radius - k + n]
    return acc


def _toeplitz(taps: np.ndarray, block: int) -> np.ndarray:
    """Banded matrix T with (T @ xp[i0 : i0 + block + K - 1])[b] = sum_k w(k) xp[i0 + b + r - k]."""
    size = taps.shape[0]  # K = 2r + 1, taps[c] = w(r - c)
    t = np.zeros((block, block + size - 1))
    for b in range(block):
        t[b, b : b + size] = taps
    return t


@lru_cache(maxsize=64)
def _toeplitz_set(sigma: float, order: int, radius: int, block: int):
    head, tail, sign, x_bits = split_kernel(sigma, order, radius)
    full = head + tail  # float64 rounding of the ideal weight; used on the tiny remainder only

    def taps(half: np.ndarray) -> np.ndarray:
        # taps[c] = w(r - c): c = 0 is w(r), c = r is w(0), c = 2r is w(-r) = sign * w(r)
        return np.concatenate([half[::-1], sign * half[1:]])

    return (
        _toeplitz(taps(head), block),
        _toeplitz(taps(tail), block),
        _toeplitz(taps(full), block),
        x_bits,
    )


def _exact_conv(x, lo_x, sigma, order, radius):
    size = 2 * radius + 1
    block = max(48, size)
    t_head, t_tail, t_full, x_bits = _toeplitz_set(sigma, order, radius, block)
    n = x.shape[0] - 2 * radius
    peak = max(float(x.max()), -float(x.min())) if x.size else 0.0
    x_exp = math.frexp(peak)[1] if peak > 0 else 0  # peak < 2**x_exp
    unit = math.ldexp(1.0, x_exp - x_bits)
    # |x_head| / unit <= 2**x_bits, and the kernel head was sized so that every
    # product and every partial sum of T_head @ x_head is an exact float64 integer
    # multiple of unit * head-unit, whatever order BLAS sums in (FMA included).
    x_head = np.round(x / unit)
    x_head *= unit
    x_rest = x - x_head  # exact
    if lo_x is not None:
        x_rest += lo_x
    has_rest = bool(np.any(x_rest))  # integer-valued data: no remainder at all
    out_hi = np.empty((n, x.shape[1]))
    out_lo = np.empty((n, x.shape[1]))
    for start in range(0, n, block):
        rows = min(block, n - start)
        span = slice(start, start + rows + size - 1)
        th = t_head[:rows, : rows + size - 1]
        exact = th @ x_head[span]
        small = t_tail[:rows, : rows + size - 1] @ x_head[span]
        if has_rest:
            small += t_full[:rows, : rows + size - 1] @ x_rest[span]
        # two-sum: exact + small == s + e exactly
        s = exact + small
        bb = s - exact
        out_lo[start : start + rows] = (exact - (s - bb)) + (small - bb)
        out_hi[start : start + rows] = s
    return out_hi, out_lo
