"""Deterministic inputs: the same integer values 0..255 for every dtype.

Every value is an integer in 0..255, so it is exactly representable in every dtype of the grid
(uint8 .. float64). Hence one ideal (oracle) output serves every dtype of a shape.

The pixels: a splitmix64 hash noise of the flat index (the same on every NumPy and platform),
with a ramp, a 0/255 step edge and a 0/255 checkerboard in the first three sixteenths of axis 0.

Why: docs/sweep.md.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _splitmix_bytes(flat: np.ndarray, salt: int) -> np.ndarray:
    """The top 8 bits of splitmix64 of each flat index (uint64) plus ``salt``."""
    with np.errstate(over="ignore"):  # uint64 wrap-around is the point of the hash
        z = (flat + np.uint64(salt)) * _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(56)).astype(np.uint8)


def input_block(
    shape: Sequence[int], index: Sequence[np.ndarray | range | slice], dtype: str
) -> np.ndarray:
    """The big subject's input at the given coordinates, without building the whole array.

    The one recipe of this module, computed from coordinates alone: any block of an array can
    be produced on its own (by any dask worker, for ``bench.sweep.bigarray``), two calls for
    overlapping coordinates agree, and ``base_input`` is the block of every coordinate
    (``tests/test_dask_bigarray.py`` ties them).

    Parameters
    ----------
    shape : sequence of int
        Shape of the whole (virtual) array.
    index : sequence
        One 1-D integer array (or range/slice) of coordinates per axis; the result is
        ``whole[numpy.ix_(*index)]``.
    dtype : str
        Output dtype; the values 0..255 are exact in all of them.
    """
    shape = tuple(int(n) for n in shape)
    idx = []
    for axis, (n, ix) in enumerate(zip(shape, index, strict=True)):
        if isinstance(ix, slice):
            ix = range(*ix.indices(n))
        arr = np.asarray(ix, dtype=np.int64)
        if arr.ndim != 1 or (arr.size and (arr.min() < 0 or arr.max() >= n)):
            raise ValueError(f"index for axis {axis} must be 1-D within 0..{n - 1}")
        idx.append(arr)
    ndim = len(shape)

    def along(axis: int, values: np.ndarray) -> np.ndarray:
        view = [1] * ndim
        view[axis] = values.size
        return values.reshape(view)

    strides = [math.prod(shape[a + 1 :]) for a in range(ndim)]
    sizes = [ix.size for ix in idx]
    if all(np.array_equal(ix, np.arange(n)) for ix, n in zip(idx[1:], shape[1:], strict=True)) and (
        idx[0].size == 0 or np.array_equal(idx[0], np.arange(idx[0][0], idx[0][0] + idx[0].size))
    ):
        # whole rows, consecutive (every base_input, most chunks): the flat indices are a range
        first = int(idx[0][0]) * strides[0] if idx[0].size else 0
        flat = np.arange(first, first + math.prod(sizes), dtype=np.uint64).reshape(sizes)
    else:
        flat = np.zeros(sizes, dtype=np.uint64)
        for axis, ix in enumerate(idx):
            flat += along(axis, (ix * strides[axis]).astype(np.uint64))
    salt = sum((i + 1) * 1000003 * n for i, n in enumerate(shape)) % (2**32)
    x = _splitmix_bytes(flat, salt)
    # The structure runs along axis 1 (image columns), never the last axis: for an RGB image
    # the last axis holds the 3 channels.
    if ndim >= 2 and shape[0] >= 16:
        band, cols = shape[0] // 16, shape[1]
        in_bands = idx[0] < 3 * band  # only these rows are structured: compute only them
        if in_bands.any():
            rows, col = along(0, idx[0][in_bands]), along(1, idx[1])
            ramp = (col * 255 // max(cols - 1, 1)).astype(np.uint8)
            step = np.where(col >= cols // 2, 255, 0).astype(np.uint8)
            checker = ((((rows - 2 * band) // 4 + col // 4) % 2) * 255).astype(np.uint8)
            structured = np.where(rows < band, ramp, np.where(rows < 2 * band, step, checker))
            x[in_bands] = np.broadcast_to(structured, x[in_bands].shape)
    return np.ascontiguousarray(x, dtype=np.dtype(dtype))


@functools.lru_cache(maxsize=4)
def base_input(shape: tuple[int, ...]) -> np.ndarray:
    """The uint8 pattern for ``shape`` (read-only, cached): `input_block` of every coordinate.

    Parameters
    ----------
    shape : tuple of int

    Returns
    -------
    numpy.ndarray
        uint8 array of ``shape``, values 0..255, read-only.
    """
    shape = tuple(int(n) for n in shape)
    x = input_block(shape, [range(n) for n in shape], "uint8")
    x.flags.writeable = False
    return x


@functools.lru_cache(maxsize=4)
def input_for(shape: tuple[int, ...], dtype: str) -> np.ndarray:
    """The pattern of ``shape`` converted to ``dtype`` (read-only, cached; values exact).

    Parameters
    ----------
    shape : tuple of int
    dtype : str
        NumPy dtype name, e.g. ``"float32"``.
    """
    x = base_input(tuple(shape)).astype(np.dtype(dtype))
    x.flags.writeable = False
    return x


def ideal_input(shape: tuple[int, ...]) -> np.ndarray:
    """The pattern as float64: what the oracle filters."""
    return input_for(tuple(shape), "float64")
