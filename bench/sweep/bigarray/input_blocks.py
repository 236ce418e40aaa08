"""The big array's input, built block by block from coordinates alone.

Nothing of the full array ever exists in memory, and any dask worker can build any block (or
any overlapping tile) on its own; two calls for overlapping coordinates agree.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

# splitmix64 constants (as in bench.sweep.inputs): input_block hashes flat indices from coordinates.
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def input_block(
    shape: Sequence[int], index: Sequence[np.ndarray | range | slice], dtype: str
) -> np.ndarray:
    """The big subject's input at the given coordinates, without building the whole array.

    The recipe of ``bench.sweep.inputs`` (integers 0..255, exact in every dtype), computed from
    coordinates alone: a splitmix64 hash of the flat index (salted with the shape), and in the
    first three sixteenths of axis 0 a ramp, a 0/255 step edge and a 0/255 checkerboard along
    axis 1. Any block of the array can be produced on its own, by any worker, and two calls
    for overlapping coordinates agree (``tests/test_dask_bigarray.py``).

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
    flat = np.zeros([ix.size for ix in idx], dtype=np.uint64)
    for axis, ix in enumerate(idx):
        flat += along(axis, (ix * strides[axis]).astype(np.uint64))
    salt = sum((i + 1) * 1000003 * n for i, n in enumerate(shape)) % (2**32)
    with np.errstate(over="ignore"):  # uint64 wrap-around is the point of the hash
        z = (flat + np.uint64(salt)) * _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        z = z ^ (z >> np.uint64(31))
    x = (z >> np.uint64(56)).astype(np.uint8)
    if ndim >= 2 and shape[0] >= 16:
        band, cols = shape[0] // 16, shape[1]
        rows, col = along(0, idx[0]), along(1, idx[1])
        ramp = (col * 255 // max(cols - 1, 1)).astype(np.uint8)
        step = np.where(col >= cols // 2, 255, 0).astype(np.uint8)
        checker = ((((rows - 2 * band) // 4 + col // 4) % 2) * 255).astype(np.uint8)
        structured = np.where(rows < band, ramp, np.where(rows < 2 * band, step, checker))
        x = np.where(rows < 3 * band, structured, x)
    return np.ascontiguousarray(x, dtype=np.dtype(dtype))


def chunk_of_input(spec_dict: dict[str, Any], block_info: dict | None = None) -> np.ndarray:
    """One input chunk for ``dask.array.map_blocks`` (dask passes ``block_info``)."""
    location = block_info[None]["array-location"]
    return input_block(spec_dict["shape"], [range(a, b) for a, b in location], spec_dict["dtype"])
