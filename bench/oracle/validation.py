"""Argument checks for the oracle: each names the argument and the allowed values.

The mode argument is checked in :mod:`bench.oracle.boundaries`, next to the modes it allows.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

_ALLOWED_DTYPES = (
    "bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64, "
    "float32, float64, complex64, complex128"
)


def check_dtype(dtype: np.dtype, name: str) -> None:
    """Raise TypeError unless ``dtype`` is one the oracle models (float16 is not)."""
    if dtype.kind not in "biufc" or dtype.itemsize > 16 or dtype == np.float16:
        raise TypeError(
            f"{name}: dtype {dtype} is not supported; allowed dtypes: {_ALLOWED_DTYPES}"
        )
    if dtype.kind == "f" and dtype.itemsize not in (4, 8):
        raise TypeError(
            f"{name}: dtype {dtype} is not supported; allowed dtypes: {_ALLOWED_DTYPES}"
        )
    if dtype.kind == "c" and dtype.itemsize not in (8, 16):
        raise TypeError(
            f"{name}: dtype {dtype} is not supported; allowed dtypes: {_ALLOWED_DTYPES}"
        )


def resolve_output(output: Any, data: np.ndarray) -> tuple[np.dtype | None, np.ndarray | None]:
    """``(dtype, array)`` for the ``output`` argument; ``(None, None)`` asks for the ideal."""
    if output is None:
        return None, None
    if isinstance(output, np.ndarray):
        if output.shape != data.shape:
            raise ValueError(
                f"output: array shape {output.shape} must equal the input shape {data.shape}"
            )
        check_dtype(output.dtype, "output")
        return output.dtype, output
    try:
        dtype = np.dtype(output)
    except TypeError as exc:
        raise TypeError(
            f"output: expected None, a dtype, a type, a dtype name or an array; got {output!r}"
        ) from exc
    check_dtype(dtype, "output")
    return dtype, None


def per_axis(value: Any, count: int, name: str) -> list[Any]:
    """One value per filtered axis: a scalar (or a string) repeats, a sequence must fit."""
    if isinstance(value, str) or not np.iterable(value):
        return [value] * count
    values = list(value)
    if len(values) != count:
        raise ValueError(
            f"{name}: a sequence must have one entry per filtered axis ({count}), got {len(values)}"
        )
    return values


def check_sigma(value: Any) -> float:
    """A finite real sigma >= 0, as float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"sigma: expected a finite real number >= 0, got {value!r}")
    sigma = float(value)
    if not math.isfinite(sigma) or sigma < 0:
        raise ValueError(f"sigma: expected a finite real number >= 0, got {value!r}")
    return sigma


def check_order(value: Any) -> int:
    """A non-negative integer derivative order."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"order: expected a non-negative integer (0, 1, 2, ...), got {value!r}")
    return int(value)


def check_radius(value: Any) -> int | None:
    """None (use ``truncate``) or a non-negative integer radius."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"radius: expected None or a non-negative integer, got {value!r}")
    return int(value)


def check_axes(axes: Any, ndim: int) -> tuple[int, ...]:
    """The axes to filter, normalised to unique non-negative ints; None means all."""
    if axes is None:
        return tuple(range(ndim))
    raw = [axes] if isinstance(axes, numbers.Integral) else list(axes)
    result = []
    for axis in raw:
        if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
            raise TypeError(f"axes: expected integers in [{-ndim}, {ndim - 1}], got {axis!r}")
        if not -ndim <= axis < ndim:
            raise ValueError(f"axes: axis {axis} is out of range; allowed: [{-ndim}, {ndim - 1}]")
        result.append(int(axis) % ndim)
    if len(set(result)) != len(result):
        raise ValueError(f"axes: axes must be unique, got {tuple(raw)}")
    return tuple(result)
