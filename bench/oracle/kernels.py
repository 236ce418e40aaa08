"""Kernel weights: the ideal ones (mpmath), SciPy's float64 replay, and the split for exact sums.

The ideal weights are computed once at 40 significant digits and cached; the ideal pass uses
them through :func:`kernel` (rounded to float64) and :func:`split_kernel` (an exact fixed-point
head plus a float64 tail). :func:`scipy_kernel` is separate on purpose: the storage model must
round exactly as SciPy does, not as well as possible.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from bench.oracle.boundaries import check_mode
from bench.oracle.validation import check_axes, check_order, check_radius, check_sigma, per_axis

if TYPE_CHECKING:
    import mpmath

_MP_DIGITS = 40
#: SciPy's sigma threshold at or below which an axis is skipped (gaussian_filter source)
SIGMA_SKIP = 1e-15


def radius_for(sigma: float, truncate: float) -> int:
    """Kernel radius SciPy uses: ``int(truncate * sigma + 0.5)`` (round half up, not ceil).

    Parameters
    ----------
    sigma, truncate : float
        Standard deviation and truncation in standard deviations.

    Returns
    -------
    int
        The number of taps on each side of the centre.
    """
    return int(truncate * float(sigma) + 0.5)


def axis_passes(
    ndim: int, axes: Any, sigma: Any, order: Any, mode: Any, radius: Any, truncate: float
) -> list[tuple[int, float, int, str, int]]:
    """One ``(axis, sigma, order, mode, radius)`` per filtered axis, every argument checked.

    A scalar argument repeats over the axes, a sequence gives one value per axis; an axis whose
    sigma is at most `SIGMA_SKIP` is left out, as SciPy skips it.
    """
    axes_t = check_axes(axes, ndim)
    count = len(axes_t)
    sigmas = [check_sigma(s) for s in per_axis(sigma, count, "sigma")]
    orders = [check_order(o) for o in per_axis(order, count, "order")]
    modes = [check_mode(m) for m in per_axis(mode, count, "mode")]
    radii = [check_radius(r) for r in per_axis(radius, count, "radius")]
    return [
        (ax, s, o, md, radius_for(s, truncate) if r is None else r)
        for ax, s, o, md, r in zip(axes_t, sigmas, orders, modes, radii, strict=True)
        if s > SIGMA_SKIP
    ]


@lru_cache(maxsize=256)
def _mp_kernel(sigma: float, order: int, radius: int) -> tuple[mpmath.mpf, ...]:
    """Exact-to-40-digits weights w(k), k = 0..radius, in convolution orientation.

    w(k) = (-1/sigma)^n He_n(k/sigma) exp(-k^2 / 2 sigma^2) / Z, with Z the sum of the
    order-0 samples over [-radius, radius]: the derivative of the normalised sampled
    Gaussian, as SciPy defines it. w(-k) = (-1)^n w(k).
    """
    # imported here: every process that imports bench.sweep.cases imports this module, and
    # most (the CLI's start-up, the counting workers under valgrind) never need a weight
    import mpmath

    with mpmath.workdps(_MP_DIGITS):
        s = mpmath.mpf(sigma)
        phi = [mpmath.exp(-(mpmath.mpf(k) ** 2) / (2 * s * s)) for k in range(radius + 1)]
        z = phi[0] + 2 * mpmath.fsum(phi[1:])
        weights = []
        for k in range(radius + 1):
            t = mpmath.mpf(k) / s
            # probabilists' Hermite polynomial He_n(t) by its three-term recurrence
            he_prev, he = mpmath.mpf(1), t
            if order == 0:
                he = he_prev
            else:
                for m in range(1, order):
                    he_prev, he = he, t * he - m * he_prev
            weights.append((-1 / s) ** order * he * phi[k] / z)
        return tuple(weights)


def kernel(sigma: float, order: int = 0, radius: int | None = None, truncate: float = 4.0):
    """Ideal kernel weights rounded to float64, taps -radius..radius.

    The orientation is that of a convolution: ``y[i] = sum_k w[k] x[i - k]``. For odd
    orders this is the mirror image of the correlation weights SciPy passes to
    ``correlate1d``.

    Parameters
    ----------
    sigma : float
        Standard deviation, > 0.
    order : int
        Derivative order.
    radius : int, optional
        Taps per side; default ``radius_for(sigma, truncate)``.
    truncate : float
        Used only when ``radius`` is None.

    Returns
    -------
    numpy.ndarray
        ``2 * radius + 1`` float64 weights.
    """
    sigma = check_sigma(sigma)
    if sigma == 0:
        raise ValueError("sigma: the kernel needs sigma > 0")
    order = check_order(order)
    radius = radius_for(sigma, truncate) if radius is None else check_radius(radius)
    half = [float(w) for w in _mp_kernel(sigma, order, radius)]
    sign = -1.0 if order % 2 else 1.0
    left = [sign * w for w in reversed(half[1:])]
    return np.array(left + half, dtype=np.float64)


def scipy_kernel(sigma: float, order: int, radius: int) -> np.ndarray:
    """The float64 kernel exactly as SciPy computes it (``_gaussian_kernel1d``).

    This replays SciPy's numpy arithmetic (so that the storage model can be
    bit-exact); it does not import SciPy. Taps -radius..radius, convolution
    orientation.
    """
    exponent_range = np.arange(order + 1)
    sigma2 = sigma * sigma
    x = np.arange(-radius, radius + 1)
    phi_x = np.exp(-0.5 / sigma2 * x**2)
    phi_x = phi_x / phi_x.sum()
    if order == 0:
        return phi_x
    q = np.zeros(order + 1)
    q[0] = 1
    deriv = np.diag(exponent_range[1:], 1)
    times_p = np.diag(np.ones(order) / -sigma2, -1)
    q_deriv = deriv + times_p
    for _ in range(order):
        q = q_deriv.dot(q)
    q = (x[:, None] ** exponent_range).dot(q)
    return q * phi_x


@lru_cache(maxsize=256)
def split_kernel(sigma: float, order: int, radius: int):
    """Folded weights split into an exact fixed-point head and a float64 tail.

    Returns (head, tail, sign, x_bits): head[k] * x is exact for |x| < 2**x_bits
    units, and the sum over all taps of |head| * 2**x_bits stays below 2**53 units,
    so every partial sum of head products is an exact float64 integer multiple.
    """
    import mpmath  # here, not at the top: see _mp_kernel

    weights = _mp_kernel(sigma, order, radius)
    with mpmath.workdps(_MP_DIGITS):
        abs_sum = abs(weights[0]) + 2 * mpmath.fsum(abs(w) for w in weights[1:])
        w_max = max(abs(w) for w in weights)
        if w_max == 0:
            zeros = np.zeros(radius + 1)
            return zeros, zeros, 1.0, 50
        spread_bits = int(mpmath.ceil(mpmath.log(2 * abs_sum / w_max, 2)))
        head_bits = max(8, (53 - spread_bits - 1) // 2)
        w_exp = int(mpmath.floor(mpmath.log(w_max, 2))) + 1  # 2**w_exp > w_max
        unit = mpmath.ldexp(1, w_exp - head_bits)
        head_units = [mpmath.nint(w / unit) for w in weights]
        units_sum = abs(head_units[0]) + 2 * sum(abs(h) for h in head_units[1:])
        x_bits = 53 - int(mpmath.ceil(mpmath.log(max(units_sum, 1), 2)))
        head = np.array([float(h * unit) for h in head_units])
        tail = np.array([float(w - h * unit) for w, h in zip(weights, head_units, strict=True)])
    sign = -1.0 if order % 2 else 1.0
    return head, tail, sign, x_bits
