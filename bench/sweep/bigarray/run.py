"""``check``: filter the chunked array with dask-image per mode and collect each block's verdict."""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from bench.sweep.bigarray.block_check import STATS, check_block
from bench.sweep.bigarray.input_blocks import chunk_of_input
from bench.sweep.bigarray.model import BigArrayResult, BigArraySpec, ModeCheck


def check(
    spec: BigArraySpec | None = None,
    *,
    client: Any = None,
    num_workers: int | None = None,
    on_mode: Callable[[ModeCheck], None] | None = None,
) -> BigArrayResult:
    """Filter the chunked array with dask-image per mode and check it against SciPy and the oracle.

    Parameters
    ----------
    spec : BigArraySpec, optional
        Defaults to 16384^2 float32 in 4096^2 chunks, sigma 2, every mode.
    client : distributed.Client, optional
        Compute on this cluster (its workers must import ``bench``); default: dask's threaded
        scheduler in this process.
    num_workers : int, optional
        Threads of the threaded scheduler (default: one per core).
    on_mode : callable, optional
        Called with each mode's verdict as soon as it is known (progress output).

    Returns
    -------
    BigArrayResult
    """
    import dask.array as da
    from dask_image.ndfilters import gaussian_filter

    from bench.sweep import machine

    spec = spec or BigArraySpec()
    spec_dict = spec.to_dict() | {"radius": spec.radius}
    started = _now()
    x = da.map_blocks(
        chunk_of_input,
        spec_dict,
        chunks=da.core.normalize_chunks(spec.chunks, spec.shape),
        dtype=np.dtype(spec.dtype),
        meta=np.empty((0,) * len(spec.shape), dtype=spec.dtype),
        name=f"gfbench-input-{'x'.join(map(str, spec.shape))}-{spec.dtype}",
    )
    oracle_blocks = _oracle_blocks(x.numblocks, spec.oracle_tiles)
    checks = []
    for mode in spec.modes:
        y = gaussian_filter(
            x, spec.sigma, order=spec.order, mode=mode, cval=spec.cval, truncate=spec.truncate
        )
        stats = y.map_blocks(
            check_block,
            spec_dict,
            mode,
            oracle_blocks,
            chunks=(*((1,) * len(c) for c in y.chunks), (len(STATS),)),
            new_axis=y.ndim,
            dtype=np.float64,
            meta=np.empty((0,) * (y.ndim + 1), dtype=np.float64),
        )
        t0 = time.perf_counter()
        if client is None:
            table = stats.compute(scheduler="threads", num_workers=num_workers)
        else:
            table = client.compute(stats, sync=True)
        seconds = time.perf_counter() - t0
        checks.append(_verdict(mode, np.asarray(table), len(oracle_blocks), seconds))
        if on_mode is not None:
            on_mode(checks[-1])
    env = machine.environment()
    return BigArrayResult(
        spec=spec,
        modes=tuple(checks),
        started_at=started,
        finished_at=_now(),
        environment={k: env[k] for k in ("host", "python", "platform", "versions", "cpu")},
        scheduler="threads" if client is None else f"distributed {client.scheduler.address}",
    )


def _verdict(mode: str, table: np.ndarray, oracle_tiles: int, seconds: float) -> ModeCheck:
    """One mode's verdict from the blocks' summaries (last axis: the columns of ``STATS``)."""
    flat = table.reshape(-1, len(STATS))
    grid_shape = table.shape[:-1]
    n_diff = int(flat[:, 1].sum())
    diff_tiles = tuple(
        tuple(int(i) for i in np.unravel_index(k, grid_shape)) for k in np.flatnonzero(flat[:, 1])
    )
    oracle_errors = flat[:, 3][~np.isnan(flat[:, 3])]
    return ModeCheck(
        mode=mode,
        equals_scipy=n_diff == 0,
        max_abs_diff=float(flat[:, 0].max()),
        n_diff_pixels=n_diff,
        n_diff_interior=int(flat[:, 2].sum()),
        diff_tiles=diff_tiles,
        max_abs_error_vs_oracle=float(oracle_errors.max()) if oracle_errors.size else None,
        oracle_tiles=oracle_tiles,
        seconds=seconds,
    )


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _oracle_blocks(numblocks: Sequence[int], count: int) -> frozenset[tuple[int, ...]]:
    """The first ``count`` chunk locations of: the two array corners, the centre, then the rest."""
    order = [
        tuple(0 for _ in numblocks),
        tuple(n - 1 for n in numblocks),
        tuple(n // 2 for n in numblocks),
    ]
    for loc in np.ndindex(*numblocks):
        order.append(tuple(int(i) for i in loc))
    chosen: list[tuple[int, ...]] = []
    for loc in order:
        if loc not in chosen:
            chosen.append(loc)
    return frozenset(chosen[:count])
