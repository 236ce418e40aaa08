"""Big arrays: dask-image on a chunked array, checked per mode against SciPy on overlapping tiles.

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

Only a 4-number summary per block comes back, so the peak memory is a few tiles per thread.

Measured on this project's machines (see ``DASK_NUMBERS`` in the README): every mode equals
SciPy bit for bit except ``wrap`` and ``grid-wrap``, which differ near the array edges when an
axis has more than one chunk: dask-image pads the outer blocks with nothing (``boundary="none"``)
and SciPy then wraps each outer block onto itself instead of onto the far side of the array.

Python API: ``BigArraySpec``, ``ModeCheck``, ``BigArrayResult``, ``check``, ``input_block``,
``write``, ``load``. CLI: ``gfbench bigarray`` (this module's ``add_arguments`` / ``main``).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.exitcodes import ExitCode, UsageError
from bench.sweep.cases import MODE_CANONICAL, MODES

SCHEMA_VERSION = 1
#: Input dtypes the subject accepts (dask-image has no ``output=``: output dtype = input dtype).
DTYPES: tuple[str, ...] = ("float32", "float64", "uint8", "uint16", "int16", "int32")
#: Summary numbers per block (the last axis of the in-graph check).
_STATS = ("max_abs_diff", "n_diff", "n_diff_interior", "max_abs_error_vs_oracle")

# splitmix64 constants (as in bench.sweep.inputs): input_block hashes flat indices from coordinates.
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@dataclasses.dataclass(frozen=True)
class BigArraySpec:
    """What to filter and how to chunk it.

    Parameters
    ----------
    shape : tuple of int
        Array shape; 16384^2 float32 (1 GiB in, 1 GiB out) by default.
    chunks : tuple of int
        Chunk shape (the last chunk along an axis may be shorter).
    dtype : str
        Input and output dtype, one of ``DTYPES``.
    sigma, truncate, order, cval
        As in ``scipy.ndimage.gaussian_filter`` (one sigma for every axis).
    modes : tuple of str
        Boundary modes to check, each one of ``bench.sweep.cases.MODES``.
    oracle_tiles : int
        How many tiles per mode are also compared with the oracle's ideal result
        (the two array corners first, then the centre tile).
    """

    shape: tuple[int, ...] = (16384, 16384)
    chunks: tuple[int, ...] = (4096, 4096)
    dtype: str = "float32"
    sigma: float = 2.0
    truncate: float = 4.0
    order: int = 0
    cval: float = 0.0
    modes: tuple[str, ...] = MODES
    oracle_tiles: int = 2

    def __post_init__(self) -> None:
        shape = tuple(int(n) for n in self.shape)
        if not shape or any(n < 1 for n in shape):
            raise UsageError(f"--shape: expected positive ints, got {list(self.shape)}")
        chunks = tuple(int(n) for n in self.chunks)
        if len(chunks) == 1 and len(shape) > 1:
            chunks = chunks * len(shape)
        if len(chunks) != len(shape) or any(c < 1 for c in chunks):
            raise UsageError(
                f"--chunks: expected one positive int or {len(shape)} of them, "
                f"got {list(self.chunks)}"
            )
        chunks = tuple(min(c, n) for c, n in zip(chunks, shape, strict=True))
        object.__setattr__(self, "shape", shape)
        object.__setattr__(self, "chunks", chunks)
        if self.dtype not in DTYPES:
            raise UsageError(f"--dtype: {self.dtype!r} is not one of {', '.join(DTYPES)}")
        for name in ("sigma", "truncate"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise UsageError(f"--{name}: expected a finite number > 0, got {value!r}")
            object.__setattr__(self, name, float(value))
        if isinstance(self.order, bool) or int(self.order) != self.order or self.order < 0:
            raise UsageError(f"--order: expected an int >= 0, got {self.order!r}")
        object.__setattr__(self, "order", int(self.order))
        if not math.isfinite(self.cval):
            raise UsageError(f"--cval: expected a finite number, got {self.cval!r}")
        object.__setattr__(self, "cval", float(self.cval))
        modes = (self.modes,) if isinstance(self.modes, str) else tuple(self.modes)
        bad = [m for m in modes if m not in MODES]
        if bad or not modes:
            raise UsageError(f"--mode: {bad or modes!r} not in the allowed {', '.join(MODES)}")
        object.__setattr__(self, "modes", modes)
        if int(self.oracle_tiles) != self.oracle_tiles or self.oracle_tiles < 0:
            raise UsageError(f"--oracle-tiles: expected an int >= 0, got {self.oracle_tiles!r}")
        # dask's map_overlap needs every chunk of a split axis at least as deep as the overlap
        for axis, (c, n) in enumerate(zip(chunks, shape, strict=True)):
            smallest = min(c, n % c or c)
            if c < n and smallest < self.depth:
                raise UsageError(
                    f"--chunks: axis {axis} has a chunk of {smallest}, below dask-image's overlap "
                    f"depth ceil(truncate*sigma) = {self.depth}; use larger chunks or a smaller "
                    "sigma"
                )

    @property
    def radius(self) -> int:
        """SciPy's kernel radius, ``int(truncate * sigma + 0.5)``."""
        return int(self.truncate * self.sigma + 0.5)

    @property
    def depth(self) -> int:
        """dask-image's overlap depth, ``ceil(truncate * sigma)`` (never below the radius)."""
        return math.ceil(self.truncate * self.sigma)

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * np.dtype(self.dtype).itemsize

    def to_dict(self) -> dict[str, Any]:
        fields = dataclasses.asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in fields.items()}


@dataclasses.dataclass(frozen=True)
class ModeCheck:
    """The verdict for one mode.

    Attributes
    ----------
    equals_scipy : bool
        Every output pixel is bit for bit SciPy's.
    max_abs_diff : float
        Largest ``|dask-image - SciPy|`` over the whole array.
    n_diff_pixels, n_diff_interior : int
        Pixels that differ; of those, how many lie farther than one kernel radius from every
        array edge (0 means the difference is a boundary-handling one).
    diff_tiles : tuple of tuple of int
        Chunk locations of the blocks holding a difference.
    max_abs_error_vs_oracle : float or None
        Largest ``|dask-image - ideal|`` over the ``oracle_tiles`` checked tiles.
    seconds : float
        Wall time of the filter plus the check for this mode.
    """

    mode: str
    equals_scipy: bool
    max_abs_diff: float
    n_diff_pixels: int
    n_diff_interior: int
    diff_tiles: tuple[tuple[int, ...], ...]
    max_abs_error_vs_oracle: float | None
    oracle_tiles: int
    seconds: float

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"ModeCheck.mode {self.mode!r} not one of {', '.join(MODES)}")
        if self.n_diff_pixels < 0 or not 0 <= self.n_diff_interior <= self.n_diff_pixels:
            raise ValueError("ModeCheck: 0 <= n_diff_interior <= n_diff_pixels is required")
        if self.equals_scipy != (self.n_diff_pixels == 0):
            raise ValueError("ModeCheck.equals_scipy must mean n_diff_pixels == 0")

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["diff_tiles"] = [list(t) for t in self.diff_tiles]
        return d


@dataclasses.dataclass(frozen=True)
class BigArrayResult:
    """Every mode's verdict plus what was run, where and when."""

    spec: BigArraySpec
    modes: tuple[ModeCheck, ...]
    started_at: str
    finished_at: str
    environment: dict[str, Any]
    scheduler: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "kind": "bigarray",
            "spec": self.spec.to_dict(),
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "scheduler": self.scheduler,
            "environment": self.environment,
            "modes": [m.to_dict() for m in self.modes],
        }


# ---------------------------------------------------------------------------------------------
# the input, from coordinates


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


def _chunk_of_input(spec_dict: dict[str, Any], block_info: dict | None = None) -> np.ndarray:
    location = block_info[None]["array-location"]
    return input_block(spec_dict["shape"], [range(a, b) for a, b in location], spec_dict["dtype"])


# ---------------------------------------------------------------------------------------------
# the check of one output block (runs inside the dask graph)


def _tile_indices(lo: int, hi: int, n: int, r: int, mode: str) -> tuple[np.ndarray, slice]:
    """Coordinates of the overlapping tile along one axis, and where the block sits in it."""
    pos = np.arange(lo - r, hi + r)
    if MODE_CANONICAL.get(mode, mode) == "wrap":
        # wrap reads the far side of the array: pad with it, the tile's own edges are halo only
        return pos % n, slice(r, r + hi - lo)
    # other modes: stop at the array edge, where SciPy's mode then acts exactly as on the
    # whole array; the inner sides carry one radius of real neighbours
    start = max(lo - r, 0)
    return pos[(pos >= 0) & (pos < n)], slice(lo - start, lo - start + hi - lo)


def _check_block(
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
    tiles = [_tile_indices(a, b, n, r, mode) for (a, b), n in zip(location, shape, strict=True)]
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
    return stats.reshape((1,) * block.ndim + (len(_STATS),))


def _oracle_blocks(numblocks: Sequence[int], count: int) -> frozenset[tuple[int, ...]]:
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


# ---------------------------------------------------------------------------------------------
# the public entry point


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
        _chunk_of_input,
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
            _check_block,
            spec_dict,
            mode,
            oracle_blocks,
            chunks=(*((1,) * len(c) for c in y.chunks), (len(_STATS),)),
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
    flat = table.reshape(-1, len(_STATS))
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


# ---------------------------------------------------------------------------------------------
# results file


def result_path(out: str | Path) -> Path:
    """``out`` itself when it ends in ``.json``, else ``out/bigarray.json`` (e.g. a run folder)."""
    out = Path(out)
    return out if out.suffix == ".json" else out / "bigarray.json"


def write(result: BigArrayResult, out: str | Path) -> Path:
    """Write ``result`` as JSON (whole or not at all: temporary file, then rename)."""
    path = result_path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(result.to_dict(), indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def load(path: str | Path):
    """A written result as a pandas DataFrame, one row per mode; ``attrs["bigarray"]`` = the rest.

    ``path`` may be the JSON file or the folder holding ``bigarray.json``.
    """
    import pandas as pd

    from bench.store.validate import read_json_object, validate_bigarray

    file = result_path(path)
    data = read_json_object(file, what="bigarray result")
    if data.get("kind") != "bigarray" or data.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(f"{path}: not a gfbench bigarray result (schema {SCHEMA_VERSION})")
    validate_bigarray(data, file=file)  # a FileError is a ValueError too
    frame = pd.DataFrame(data["modes"])
    frame.attrs["bigarray"] = {k: v for k, v in data.items() if k != "modes"}
    return frame


def table(result: BigArrayResult) -> str:
    """The per-mode verdicts as a text table."""
    from tabulate import tabulate

    rows = [
        [
            m.mode,
            "yes" if m.equals_scipy else "NO",
            f"{m.max_abs_diff:.3g}",
            m.n_diff_pixels,
            m.n_diff_interior,
            len(m.diff_tiles),
            "-" if m.max_abs_error_vs_oracle is None else f"{m.max_abs_error_vs_oracle:.3g}",
            f"{m.seconds:.1f}",
        ]
        for m in result.modes
    ]
    headers = [
        "mode",
        "equals SciPy",
        "max |diff|",
        "pixels differing",
        "of them interior",
        "tiles differing",
        f"max err vs oracle ({result.spec.oracle_tiles} tiles)",
        "seconds",
    ]
    return tabulate(rows, headers=headers, tablefmt="github")


# ---------------------------------------------------------------------------------------------
# CLI: gfbench bigarray


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``gfbench bigarray``."""
    parser.epilog = (
        "examples:\n"
        "  gfbench bigarray                                 # 16384^2 float32, every mode\n"
        "  gfbench bigarray --shape 4096 4096 --chunks 1024 --mode wrap --mode reflect\n"
        "  gfbench bigarray --out runs/<run_id>             # writes runs/<run_id>/bigarray.json\n"
        "  gfbench bigarray --scheduler tcp://127.0.0.1:8786 --json\n"
    )
    d = BigArraySpec()
    parser.add_argument(
        "--shape",
        type=int,
        nargs="+",
        default=list(d.shape),
        metavar="N",
        help="array shape (default: %(default)s)",
    )
    parser.add_argument(
        "--chunks",
        type=int,
        nargs="+",
        default=list(d.chunks),
        metavar="N",
        help="chunk shape, one int for every axis or one per axis (default: %(default)s)",
    )
    parser.add_argument(
        "--dtype", default=d.dtype, help=f"one of {', '.join(DTYPES)} (default: %(default)s)"
    )
    parser.add_argument("--sigma", type=float, default=d.sigma, help="(default: %(default)s)")
    parser.add_argument("--truncate", type=float, default=d.truncate, help="(default: %(default)s)")
    parser.add_argument("--order", type=int, default=d.order, help="(default: %(default)s)")
    parser.add_argument("--cval", type=float, default=d.cval, help="(default: %(default)s)")
    parser.add_argument(
        "--mode",
        action="append",
        dest="modes",
        metavar="MODE",
        help=f"repeatable; one of {', '.join(MODES)} (default: all)",
    )
    parser.add_argument(
        "--oracle-tiles",
        type=int,
        default=d.oracle_tiles,
        metavar="K",
        help="tiles per mode also checked against the oracle (default: %(default)s)",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="compute on this dask.distributed scheduler (default: threads in this process)",
    )
    parser.add_argument(
        "--out",
        metavar="PATH",
        help="write the result: PATH.json, or PATH/bigarray.json for a folder such as a run folder",
    )
    parser.add_argument(
        "--force", action="store_true", help="overwrite the result file if it exists"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def main(args: argparse.Namespace) -> int:
    """Run ``gfbench bigarray``; 0 when it ran (a mode that differs is a finding, not a failure)."""
    spec = BigArraySpec(
        shape=tuple(args.shape),
        chunks=tuple(args.chunks),
        dtype=args.dtype,
        sigma=args.sigma,
        truncate=args.truncate,
        order=args.order,
        cval=args.cval,
        modes=tuple(args.modes) if args.modes else MODES,
        oracle_tiles=args.oracle_tiles,
    )
    if args.out is not None:
        _check_writable(result_path(args.out), force=args.force)
    client = None
    if args.scheduler:
        from bench.sweep.executors.dask_cluster import connect

        client = connect(args.scheduler)

    def progress(m: ModeCheck) -> None:
        if not args.json:
            verdict = "equals SciPy" if m.equals_scipy else f"DIFFERS ({m.n_diff_pixels} px)"
            print(f"  {m.mode:<14} {verdict}  [{m.seconds:.1f} s]", file=sys.stderr, flush=True)

    if not args.json:
        print(
            f"gfbench bigarray: {'x'.join(map(str, spec.shape))} {spec.dtype} "
            f"({spec.nbytes / 2**30:.2f} GiB) in {'x'.join(map(str, spec.chunks))} chunks, "
            f"sigma={spec.sigma:g}, radius={spec.radius}",
            file=sys.stderr,
        )
    try:
        result = check(spec, client=client, on_mode=progress)
    finally:
        if client is not None:
            client.close()
    if args.out is not None:
        try:
            path = write(result, args.out)
        except OSError as exc:  # checked up front; the disk may still fill up meanwhile
            raise UsageError(f"--out: cannot write {str(args.out)!r}: {exc.strerror}") from None
        if not args.json:
            print(f"wrote {path}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(table(result))
    return ExitCode.OK


def _check_writable(path: Path, *, force: bool = False) -> None:
    # before minutes of computing: fail now on an unwritable --out. A real write probe, not
    # os.access, which says yes to root everywhere (issue 10)
    from bench.outputs import check_out_file

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"--out: cannot create the folder {str(path.parent)!r}: {exc.strerror or exc}"
        ) from None
    check_out_file(path, force=force)
