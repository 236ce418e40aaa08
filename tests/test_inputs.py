"""One input recipe: the small inputs of every sweep and the big array's blocks are the same.

``bench.sweep.inputs.input_block`` computes the pattern from coordinates (any block on its own,
as dask workers need); ``base_input`` is its block of every coordinate. A block of the big array
must equal the same region of the small recipe, bit for bit, in every dtype.
"""

from __future__ import annotations

import numpy as np
import pytest

from bench.sweep import inputs
from bench.sweep.bigarray import input_blocks

SHAPES = [(64, 48), (7, 5), (100,), (12, 10, 6), (160, 130), (33, 17, 3), (16, 1), (256, 256)]


@pytest.mark.parametrize("shape", SHAPES)
def test_a_block_of_the_big_array_is_that_region_of_the_small_recipe(shape):
    whole = inputs.base_input(shape)
    rng = np.random.default_rng(sum(shape))
    for _ in range(4):
        starts = [int(rng.integers(0, n)) for n in shape]
        stops = [int(rng.integers(s + 1, n + 1)) for s, n in zip(starts, shape, strict=True)]
        region = tuple(slice(a, b) for a, b in zip(starts, stops, strict=True))
        for dtype in ("uint8", "float32", "int16"):
            block = input_blocks.input_block(shape, list(region), dtype)
            assert block.dtype == np.dtype(dtype)
            assert np.array_equal(block, whole[region].astype(dtype)), (region, dtype)
    # scattered coordinates too (the overlapping tiles of bench.sweep.bigarray)
    index = [np.sort(rng.choice(n, size=min(n, 5), replace=False)) for n in shape]
    assert np.array_equal(input_blocks.input_block(shape, index, "uint8"), whole[np.ix_(*index)])


def test_the_pattern_is_the_documented_one():
    """Independent of the implementation: the bands of the docstring, and integers 0..255."""
    x = inputs.base_input((64, 48))
    q = 64 // 16
    assert np.array_equal(x[0], (np.arange(48) * 255 // 47).astype(np.uint8))  # the ramp
    assert set(np.unique(x[q : 2 * q])) == {0, 255} and (x[q, :24] == 0).all()  # the step edge
    cells = x[2 * q : 3 * q]
    assert cells[0, 0] != cells[0, 4] and cells[0, 0] == cells[0, 8]  # 4-pixel checkerboard
    noise = x[3 * q :]
    assert noise.std() > 60 and len(np.unique(noise)) > 200  # hash noise, not a pattern
    assert not x.flags.writeable
    assert inputs.input_for((64, 48), "float64").dtype == np.float64


def test_the_big_array_module_uses_the_one_recipe():
    assert input_blocks.input_block is inputs.input_block
