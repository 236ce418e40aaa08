"""Big arrays: dask-image on a chunked array, checked per mode against SciPy on tiles.

The verb ``gfbench bigarray`` (``--help``: `HELP`; why: docs/dask.md). One module per stage of
the check, each importing only the ones listed before it:

- ``model``: ``BigArraySpec``, ``ModeCheck``, ``BigArrayResult``: what is run and what returns;
- ``input_blocks``: the input, built block by block from coordinates;
- ``block_check``: one output block against SciPy on its overlapping tile;
- ``run``: ``check()``, dask-image per mode, the in-graph checks, the verdicts;
- ``results``: ``bigarray.json`` (write, load) and the text table;
- ``command``: ``gfbench bigarray`` (``add_arguments``, ``main``).
"""

from __future__ import annotations

from bench.sweep.bigarray.command import add_arguments, main
from bench.sweep.bigarray.input_blocks import input_block
from bench.sweep.bigarray.model import (
    DTYPES,
    SCHEMA_VERSION,
    BigArrayResult,
    BigArraySpec,
    ModeCheck,
)
from bench.sweep.bigarray.results import load, result_path, table, write
from bench.sweep.bigarray.run import check

#: the description ``gfbench bigarray --help`` shows (bench.cli reads it)
HELP = """\
Big arrays: dask-image on a chunked array, checked per mode against SciPy on overlapping tiles.

A user with an image too big for one ``scipy.ndimage.gaussian_filter`` call reaches for
``dask_image.ndfilters.gaussian_filter`` on a chunked dask array. Does that give SciPy's answer?
This module answers it per boundary mode, without ever holding the whole input or output:

1. The input is built chunk by chunk from coordinates only (``input_block``: the recipe of
   ``bench.sweep.inputs``, hash noise plus a ramp, a step edge and a checkerboard), so nothing of
   the full array exists in memory and any worker can build any block.
2. dask-image filters it (``map_overlap`` with depth ``ceil(truncate * sigma)``; SciPy on each
   block).
3. Each output block is checked inside the graph against SciPy run on the *overlapping tile*:
   the block grown by the kernel radius on every side. Where the tile meets the array edge it is
   cut there, so SciPy's own mode acts at the true edge; for ``wrap`` the tile is instead padded
   with the array's opposite side (wrap needs it). A pixel depends only on the input within one
   radius, and SciPy's arithmetic per pixel does not depend on its position, so the tile's
   centre is bit for bit the full-array SciPy result (``tests/test_dask_bigarray.py`` checks
   this on arrays small enough to filter whole).
4. A few tiles are also checked against the oracle's ideal float64 result (accuracy).

Only a 4-number summary per block comes back, so the result never holds the array; the
process's peak memory still grows with the array, about 3x its size (measured peak RSS 0.76 GiB
for a 0.25 GiB array: ``scripts/measure_bigarray_rss.py``, docs/measurements.md).

Measured on this project's machines (docs/measurements.md): every mode equals
SciPy bit for bit except ``wrap`` and ``grid-wrap``, which differ near the array edges when an
axis has more than one chunk: dask-image pads the outer blocks with nothing (``boundary="none"``)
and SciPy then wraps each outer block onto itself instead of onto the far side of the array.

Python API: ``BigArraySpec``, ``ModeCheck``, ``BigArrayResult``, ``check``, ``input_block``,
``write``, ``load``. CLI: ``gfbench bigarray`` (this module's ``add_arguments`` / ``main``).
"""

__all__ = [
    "DTYPES",
    "SCHEMA_VERSION",
    "BigArrayResult",
    "BigArraySpec",
    "ModeCheck",
    "add_arguments",
    "check",
    "input_block",
    "load",
    "main",
    "result_path",
    "table",
    "write",
]
