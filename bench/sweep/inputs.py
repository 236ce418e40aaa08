"""Deterministic inputs: the same integer values 0..255 for every dtype.

Every value is an integer in 0..255, so it is exactly representable in every dtype of the grid
(uint8 .. float64). Hence one ideal (oracle) output serves every dtype of a shape.

The pixels are a structured pattern over a hash-noise background:

- background: a splitmix64 hash of the flat index (and the shape), top 8 bits. Pure integer
  arithmetic, so the values are identical on every NumPy version and platform (unlike a
  ``numpy.random`` stream, which NumPy does not promise to keep across versions); matters
  for ``gfbench matrix``, which compares SciPy versions with different NumPy builds.
- a horizontal ramp 0..255 in the first sixteenth of axis 0 (smooth: errors from the kernel),
- a 0/255 step edge in the second sixteenth (ringing, clipping),
- a 0/255 checkerboard of 4-pixel cells in the third sixteenth (high frequency content).

The bands are kept narrow (3/16 of the rows) because they are flat along axis 0, where SciPy's
integer truncation then costs nothing: on the noise SciPy's uint8 bias is -1.00 grey level
(measured on SciPy 1.17.1), on the whole image about -0.9.
"""

from __future__ import annotations

import functools
import math

import numpy as np

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _splitmix_bytes(n: int, salt: int) -> np.ndarray:
    with np.errstate(over="ignore"):  # uint64 wrap-around is the point of the hash
        z = (np.arange(n, dtype=np.uint64) + np.uint64(salt)) * _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(56)).astype(np.uint8)


@functools.lru_cache(maxsize=4)
def base_input(shape: tuple[int, ...]) -> np.ndarray:
    """The uint8 pattern for ``shape`` (read-only, cached).

    Parameters
    ----------
    shape : tuple of int

    Returns
    -------
    numpy.ndarray
        uint8 array of ``shape``, values 0..255, read-only.
    """
    shape = tuple(int(n) for n in shape)
    salt = sum((i + 1) * 1000003 * n for i, n in enumerate(shape)) % (2**32)
    x = _splitmix_bytes(math.prod(shape), salt).reshape(shape)
    # The structure runs along axis 1 (image columns), never the last axis: for an RGB image
    # the last axis holds the 3 channels.
    if len(shape) >= 2 and shape[0] >= 16:
        q = shape[0] // 16
        cols = shape[1]
        bshape = (1, cols) + (1,) * (len(shape) - 2)
        ramp = (np.arange(cols) * 255 // max(cols - 1, 1)).astype(np.uint8)
        x[:q] = ramp.reshape(bshape)
        step = np.where(np.arange(cols) >= cols // 2, 255, 0).astype(np.uint8)
        x[q : 2 * q] = step.reshape(bshape)
        ii = np.arange(q).reshape((q,) + (1,) * (len(shape) - 1)) // 4
        jj = np.arange(cols).reshape(bshape) // 4
        x[2 * q : 3 * q] = (((ii + jj) % 2) * 255).astype(np.uint8)
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
