"""The big array's input, built block by block from coordinates alone.

Nothing of the full array ever exists in memory, and any dask worker can build any block (or
any overlapping tile) on its own; two calls for overlapping coordinates agree. The recipe is
``bench.sweep.inputs.input_block``, the same one every sweep's small inputs come from.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bench.sweep.inputs import input_block

__all__ = ["chunk_of_input", "input_block"]


def chunk_of_input(spec_dict: dict[str, Any], block_info: dict | None = None) -> np.ndarray:
    """One input chunk for ``dask.array.map_blocks`` (dask passes ``block_info``)."""
    location = block_info[None]["array-location"]
    return input_block(spec_dict["shape"], [range(a, b) for a, b in location], spec_dict["dtype"])
