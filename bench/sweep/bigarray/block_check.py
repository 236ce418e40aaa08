"""The check of one output block, run inside the dask graph against SciPy on its overlapping tile.

Only a 4-number summary per block (``STATS``) leaves the worker, so the peak memory is a few
tiles per thread whatever the array's size.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bench.sweep.bigarray.input_blocks import input_block
from bench.sweep.cases import MODE_CANONICAL

#: Summary numbers per block (the last axis of the in-graph check).
STATS = ("max_abs_diff", "n_diff", "n_diff_interior", "max_abs_error_vs_oracle")


def tile_indices(lo: int, hi: int, n: int, r: int, mode: str) -> tuple[np.ndarray, slice]:
    """Coordinates of the overlapping tile along one axis, and where the block sits in it."""
    pos = np.arange(lo - r, hi + r)
    if MODE_CANONICAL.get(mode, mode) == "wrap":
        # wrap reads the far side of the array: pad with it, the tile's own edges are halo only
        return pos % n, slice(r, r + hi - lo)
    # other modes: stop at the array edge, where SciPy's mode then acts exactly as on the
    # whole array; the inner sides carry one radius of real neighbours
    start = max(lo - r, 0)
    return pos[(pos >= 0) & (pos < n)], slice(lo - start, lo - start + hi - lo)


def check_block(
    block: np.ndarray,
    spec_dict: dict[str, Any],
    mode: str,
    oracle_blocks: frozenset[tuple[int, ...]],
    block_info: dict | None = None,
) -> np.ndarray:
    from scipy import ndimage

    info = block_info[0]
    shape, r = tuple(spec_dict["shape"]), spec_dict["radius"]
    location, chunk = info["array-location"], tuple(info["chunk-location"])
    tiles = [tile_indices(a, b, n, r, mode) for (a, b), n in zip(location, shape, strict=True)]
    region = input_block(shape, [t[0] for t in tiles], spec_dict["dtype"])
    centre = tuple(t[1] for t in tiles)
    kwargs = {
        "order": spec_dict["order"],
        "mode": mode,
        "cval": spec_dict["cval"],
        "truncate": spec_dict["truncate"],
    }
    reference = ndimage.gaussian_filter(region, spec_dict["sigma"], **kwargs)[centre]
    differs = block != reference
    n_diff = int(np.count_nonzero(differs))
    max_diff = 0.0
    n_interior = 0
    if n_diff:
        max_diff = float(np.abs(block.astype(np.float64) - reference.astype(np.float64)).max())
        interior = np.ones(block.shape, dtype=bool)
        for axis, ((a, b), n) in enumerate(zip(location, shape, strict=True)):
            pos = np.arange(a, b)
            view = [1] * block.ndim
            view[axis] = b - a
            interior &= ((pos >= r) & (pos < n - r)).reshape(view)
        n_interior = int(np.count_nonzero(differs & interior))
    oracle_error = np.nan
    if chunk in oracle_blocks:
        from bench import oracle

        ideal = oracle.gaussian_filter(region.astype(np.float64), spec_dict["sigma"], **kwargs)
        oracle_error = float(np.abs(block.astype(np.float64) - ideal[centre]).max())
    stats = np.array([max_diff, n_diff, n_interior, oracle_error], dtype=np.float64)
    return stats.reshape((1,) * block.ndim + (len(STATS),))
