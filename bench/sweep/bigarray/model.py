"""What ``gfbench bigarray`` runs and what it finds: the spec, one verdict per mode, the result.

All three are frozen and check themselves when built; a bad spec raises ``UsageError`` naming
the CLI option, so the CLI and the Python API reject the same input the same way.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from bench.exitcodes import UsageError
from bench.store.validate import MAX_ABS_CVAL, MAX_RADIUS
from bench.sweep.cases import MODES

SCHEMA_VERSION = 1
#: Input dtypes the subject accepts (dask-image has no ``output=``: output dtype = input dtype).
DTYPES: tuple[str, ...] = ("float32", "float64", "uint8", "uint16", "int16", "int32")


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
        if self.truncate * self.sigma > MAX_RADIUS:  # also keeps int(radius) from overflowing
            raise UsageError(
                f"--truncate/--sigma: the kernel radius truncate * sigma = "
                f"{self.truncate * self.sigma:.3g} is over the limit of {MAX_RADIUS}"
            )
        if isinstance(self.order, bool) or int(self.order) != self.order or self.order < 0:
            raise UsageError(f"--order: expected an int >= 0, got {self.order!r}")
        object.__setattr__(self, "order", int(self.order))
        if not (math.isfinite(self.cval) and abs(self.cval) <= MAX_ABS_CVAL):
            raise UsageError(
                f"--cval: expected a finite number in [-{MAX_ABS_CVAL:g}, {MAX_ABS_CVAL:g}], "
                f"got {self.cval!r}"
            )
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
