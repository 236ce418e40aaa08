"""SciPy's storage model: the arithmetic SciPy's C code performs, replayed in numpy.

The kernel is built the way ``scipy.ndimage._filters._gaussian_kernel1d`` builds it
(:func:`bench.oracle.kernels.scipy_kernel`), the (anti)symmetry test uses the same
``DBL_EPSILON`` rule, the taps are summed in the same order in double, and each axis pass is
stored in the output dtype before the next pass reads it: integers truncated toward zero (and
wrapped, as the C cast does on x86-64), float32 rounded to nearest. This reproduces SciPy bit
for bit on platforms whose compiler does not contract ``a*b + c`` into an FMA (x86-64 builds
do not).
"""

from __future__ import annotations

import numpy as np

from bench.oracle.boundaries import extend_indices
from bench.oracle.kernels import scipy_kernel


def storage_model(data: np.ndarray, passes, cval: float, dtype: np.dtype) -> np.ndarray:
    """Run ``passes`` (axis, sigma, order, mode, radius) on real ``data``, stored in ``dtype``."""
    current = data
    if not passes:
        return _store_copy(data, dtype)
    for ax, s, o, md, r in passes:
        current = _store(_scipy_pass(current, ax, s, o, r, md, cval), dtype)
    return np.require(current, requirements="C")


def _store(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Store float64 values in ``dtype`` the way SciPy's C cast does."""
    if dtype.kind == "f":
        return values.astype(dtype)
    if dtype.kind == "b":
        return np.trunc(values) != 0  # measured: SciPy stores 0.7 as False, -1.6 as True
    # C cast double -> integer truncates toward zero. x86-64 builds convert with cvttsd2si
    # through a 32-bit register for (u)int8, (u)int16 and int32, through a 64-bit one for
    # uint32 and int64; the result then wraps modulo 2**bits. NaN, inf and values outside the
    # register's range give the "integer indefinite" value, the register's minimum (measured:
    # NaN -> 0 in uint8/int16/uint32, INT32_MIN in int32, INT64_MIN in int64; 3e9 -> 0 in
    # int16, INT32_MIN in int32). The C standard leaves these conversions undefined.
    with np.errstate(invalid="ignore"):
        truncated = np.trunc(values)
        if dtype.kind == "u" and dtype.itemsize == 8:
            return truncated.astype(np.uint64)
        bits = 32 if dtype.itemsize < 4 or (dtype.itemsize == 4 and dtype.kind == "i") else 64
        low, high = -(2.0 ** (bits - 1)), 2.0 ** (bits - 1)
        inside = (truncated >= low) & (truncated < high)  # False for NaN
        register = np.where(inside, truncated, 0.0).astype(np.int64)
        register[~inside] = int(low)
        return register.astype(dtype)


def _scipy_pass(
    x: np.ndarray, axis: int, sigma: float, order: int, radius: int, mode: str, cval: float
) -> np.ndarray:
    """One axis pass in SciPy's double arithmetic; returns float64 before storage."""
    weights = scipy_kernel(sigma, order, radius)[::-1]  # correlate1d orientation
    size = weights.shape[0]
    size1 = size // 2
    size2 = size - size1 - 1
    fw = weights  # fw[size1 + j] is SciPy's fw[j]
    eps = np.finfo(np.float64).eps
    symmetric = 0
    if size & 1:
        symmetric = 1
        for ii in range(1, size1 + 1):
            if abs(fw[ii + size1] - fw[size1 - ii]) > eps:
                symmetric = 0
                break
        if symmetric == 0:
            symmetric = -1
            for ii in range(1, size1 + 1):
                if abs(fw[size1 + ii] + fw[size1 - ii]) > eps:
                    symmetric = 0
                    break
    n = x.shape[axis]
    line = np.moveaxis(x, axis, 0)
    rest_shape = line.shape[1:]
    idx = extend_indices(n, size1, size2, mode)
    outside = idx < 0
    ext = np.take(line.reshape(n, -1), np.where(outside, 0, idx), axis=0).astype(np.float64)
    if outside.any():
        ext[outside] = cval

    def tap(j: int) -> np.ndarray:  # iline[j] for every output position
        return ext[size1 + j : size1 + j + n]

    if symmetric > 0:
        acc = tap(0) * fw[size1]
        for jj in range(-size1, 0):
            acc += (tap(jj) + tap(-jj)) * fw[size1 + jj]
    elif symmetric < 0:
        acc = tap(0) * fw[size1]
        for jj in range(-size1, 0):
            acc += (tap(jj) - tap(-jj)) * fw[size1 + jj]
    else:
        acc = tap(size2) * fw[size1 + size2]
        for jj in range(-size1, size2):
            acc += tap(jj) * fw[size1 + jj]
    return np.moveaxis(acc.reshape((n, *rest_shape)), 0, axis)


def _store_copy(data: np.ndarray, dtype: np.dtype) -> np.ndarray:
    # SciPy's no-op path is `output[...] = input[...]`: a numpy cast, not the C cast.
    result = np.empty(data.shape, dtype=dtype)
    with np.errstate(invalid="ignore"):
        result[...] = data
    return result
