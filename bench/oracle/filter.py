"""``gaussian_filter``: the oracle's one entry point, from arguments to per-axis passes.

It validates every argument (with SciPy's signature and defaults), turns them into one pass per
filtered axis, and runs those passes through the ideal pass (``output=None``) or the storage
model (``output=<dtype>``); complex input is filtered as its real and imaginary parts.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from bench.oracle.ideal import ideal_filter
from bench.oracle.kernels import axis_passes
from bench.oracle.storage import storage_model
from bench.oracle.validation import check_dtype, resolve_output


def gaussian_filter(
    input: Any,
    sigma: float | Sequence[float],
    order: int | Sequence[int] = 0,
    mode: str | Sequence[str] = "reflect",
    cval: float = 0.0,
    truncate: float = 4.0,
    *,
    radius: int | Sequence[int] | None = None,
    axes: int | Sequence[int] | None = None,
    output: Any = None,
) -> np.ndarray:
    """Multidimensional Gaussian filter: the ideal result or SciPy's storage model.

    Parameters
    ----------
    input : array_like
        Input array; dtypes bool, (u)int8..64, float32, float64, complex64/128.
    sigma : float or sequence of float
        Standard deviation per filtered axis, finite and >= 0. Axes with
        sigma <= 1e-15 are skipped, as in SciPy.
    order : int or sequence of int
        Derivative order per axis (any non-negative integer).
    mode : str or sequence of str
        One of :data:`MODES`, per axis.
    cval : float
        Fill value for the constant modes (complex allowed for complex input).
    truncate : float
        Radius in standard deviations, finite and >= 0: ``int(truncate*sigma + 0.5)``.
    radius : int or sequence of int, optional
        Explicit radius per axis; overrides ``truncate``.
    axes : int or sequence of int, optional
        Axes to filter; default all.
    output : None, dtype, type, str or ndarray
        None: the ideal result (float64, complex128 for complex input).
        Otherwise: SciPy's storage model in that dtype, written into the array
        when one is given.

    Returns
    -------
    numpy.ndarray
        The filtered array.

    Raises
    ------
    TypeError, ValueError
        On a bad argument; the message names it and the allowed values.
    """
    data = np.asarray(input)
    check_dtype(data.dtype, "input")
    out_dtype, out_array = resolve_output(output, data)
    if not isinstance(truncate, numbers.Real) or not math.isfinite(truncate) or truncate < 0:
        raise ValueError(f"truncate: expected a finite real number >= 0, got {truncate!r}")
    if not isinstance(cval, numbers.Number) or not np.isfinite(cval):
        raise ValueError(f"cval: expected a finite number, got {cval!r}")
    if isinstance(cval, complex) and data.dtype.kind != "c" and cval.imag != 0:
        raise ValueError("cval: a complex cval needs complex input")
    is_complex = data.dtype.kind == "c"
    if out_dtype is not None and is_complex and out_dtype.kind != "c":
        raise TypeError(f"output: complex input needs a complex output dtype, got {out_dtype}")

    passes = axis_passes(data.ndim, axes, sigma, order, mode, radius, truncate)
    if data.size == 0:
        empty_dtype = out_dtype or (np.complex128 if is_complex else np.float64)
        result = np.zeros(data.shape, dtype=empty_dtype)
        if out_array is not None:
            return out_array
        return result

    if is_complex:
        cval_c = complex(cval)
        parts = [
            _filter_real(data.real, passes, cval_c.real, _real_of(out_dtype)),
            _filter_real(data.imag, passes, cval_c.imag, _real_of(out_dtype)),
        ]
        result_dtype = np.complex128 if out_dtype is None else out_dtype
        result = np.empty(data.shape, dtype=result_dtype)
        result.real = parts[0]
        result.imag = parts[1]
    else:
        result = _filter_real(data, passes, float(np.real(cval)), out_dtype)
    if out_array is not None:
        out_array[...] = result
        return out_array
    return result


def _real_of(dtype: np.dtype | None) -> np.dtype | None:
    if dtype is None:
        return None
    return np.dtype(np.float32) if dtype == np.complex64 else np.dtype(np.float64)


def _filter_real(data, passes, cval: float, out_dtype: np.dtype | None) -> np.ndarray:
    if out_dtype is None:
        return ideal_filter(data, passes, cval)
    return storage_model(data, passes, cval, out_dtype)
