"""Where NaN and infinities go: the non-finite pattern of ``gaussian_filter``, predicted.

IEEE rules decide it, so the prediction is symbolic: each pixel is one of four classes, and each
axis pass combines the classes under the kernel's support on the extended line:

- a NaN tap, or a non-finite tap under a weight that is exactly 0 (``0 * inf``), gives NaN;
- an infinite tap under a weight ``w != 0`` contributes ``sign(w) * inf``;
- ``+inf`` and ``-inf`` meeting in one sum give NaN (``inf - inf``); otherwise the infinity stays.

Why: docs/oracle.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from bench.oracle.boundaries import extend_indices
from bench.oracle.kernels import axis_passes, scipy_kernel

FINITE, NAN, POSINF, NEGINF = 0, 1, 2, 3
#: One character per class, for patterns a person can read: ``.`` finite, ``n``, ``+``, ``-``.
SYMBOLS = ".n+-"


def classes_of(values: Any) -> np.ndarray:
    """The class (``FINITE``, ``NAN``, ``POSINF``, ``NEGINF``) of every element of a real array."""
    values = np.asarray(values)
    if values.dtype.kind == "c":
        raise TypeError("classes_of: complex input; classify .real and .imag separately")
    classes = np.zeros(values.shape, dtype=np.int8)
    if values.dtype.kind != "f":
        return classes  # integers and bools are always finite
    classes[np.isnan(values)] = NAN
    classes[np.isposinf(values)] = POSINF
    classes[np.isneginf(values)] = NEGINF
    return classes


def class_of_scalar(value: float) -> int:
    """The class of one real number."""
    return int(classes_of(np.float64(value)))


def render(classes: np.ndarray) -> str:
    """A pattern as text: one symbol per element, rows (last axis) separated by ``/``."""
    classes = np.asarray(classes)
    if classes.ndim == 0:
        return SYMBOLS[int(classes)]
    lines = classes.reshape(-1, classes.shape[-1]) if classes.size else classes.reshape(0, 0)
    return "/".join("".join(SYMBOLS[c] for c in line) for line in lines)


def _pass(classes: np.ndarray, axis: int, weights: np.ndarray, mode: str, cval_class: int):
    """One axis pass on classes; ``weights`` in convolution orientation, taps -r..r."""
    radius = weights.shape[0] // 2
    line = np.moveaxis(classes, axis, 0)
    n = line.shape[0]
    idx = extend_indices(n, radius, radius, mode)
    outside = idx < 0
    ext = np.take(line, np.where(outside, 0, idx), axis=0)
    if outside.any():
        ext[outside] = cval_class
    has_nan = np.zeros(line.shape, dtype=bool)
    has_pos = np.zeros(line.shape, dtype=bool)
    has_neg = np.zeros(line.shape, dtype=bool)
    for k in range(-radius, radius + 1):  # y[i] = sum_k w[k] x[i - k]
        src = ext[radius - k : radius - k + n]
        w = weights[k + radius]
        if w == 0:
            has_nan |= src != FINITE  # 0 * nan and 0 * inf are nan
            continue
        has_nan |= src == NAN
        up, down = (POSINF, NEGINF) if w > 0 else (NEGINF, POSINF)
        has_pos |= src == up
        has_neg |= src == down
    out = np.full(line.shape, FINITE, dtype=np.int8)
    out[has_neg] = NEGINF
    out[has_pos] = POSINF
    out[has_nan | (has_pos & has_neg)] = NAN
    return np.moveaxis(out, 0, axis)


def nonfinite_pattern(
    classes: Any,
    sigma: float | Sequence[float],
    order: int | Sequence[int] = 0,
    mode: str | Sequence[str] = "reflect",
    cval: float = 0.0,
    truncate: float = 4.0,
    *,
    radius: int | Sequence[int] | None = None,
    axes: int | Sequence[int] | None = None,
) -> np.ndarray:
    """The classes of ``gaussian_filter``'s float output, from the classes of a real input.

    Parameters
    ----------
    classes : array_like of int
        The input's classes (see :func:`classes_of`).
    sigma, order, mode, truncate, radius, axes
        As for :func:`bench.oracle.gaussian_filter`.
    cval : float
        The fill value of the constant modes; it may be NaN or infinite here.

    Returns
    -------
    numpy.ndarray
        int8 classes of the output, same shape.
    """
    current = np.asarray(classes, dtype=np.int8)
    if not isinstance(truncate, (int, float)) or not math.isfinite(truncate) or truncate < 0:
        raise ValueError(f"truncate: expected a finite real number >= 0, got {truncate!r}")
    passes = axis_passes(current.ndim, axes, sigma, order, mode, radius, truncate)
    cval_class = class_of_scalar(cval)
    if current.size == 0:
        return current.copy()
    for ax, s, o, md, r in passes:
        current = _pass(current, ax, scipy_kernel(s, o, r), md, cval_class)
    return np.ascontiguousarray(current)


__all__ = [
    "FINITE",
    "NAN",
    "NEGINF",
    "POSINF",
    "SYMBOLS",
    "class_of_scalar",
    "classes_of",
    "nonfinite_pattern",
    "render",
]
