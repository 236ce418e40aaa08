"""The ``Case`` model: one implementation on one input with one parameter set, and its stable id.

A ``Case`` is frozen and validates itself; its ``case_id`` is a hash of its parameters, so runs
of the same grid line up across machines. The dtype labels (``DTYPES``), the boundary modes
(``MODES``) and SciPy's kernel radius rule (``radius_for``) live here with it, and so does the
memory a case needs (``case_bytes``, ``check_memory``): both are properties of a case, not of
the grid file it came from.

Public API: ``Case``, ``radius_for``, ``case_bytes``, ``check_memory``, ``DTYPES``, ``MODES``,
``MODE_CANONICAL``.

Why: docs/sweep.md.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Iterable
from typing import Any

from bench import oracle
from bench.exitcodes import UsageError
from bench.store.validate import MAX_RADIUS, MIN_SIGMA

#: dtype label -> (input dtype, output dtype). "uint8->float32" means uint8 input filtered
#: into a float32 output (SciPy: ``output=np.float32``), the usual way to dodge truncation.
DTYPES: dict[str, tuple[str, str]] = {
    "float64": ("float64", "float64"),
    "float32": ("float32", "float32"),
    "uint8": ("uint8", "uint8"),
    "uint16": ("uint16", "uint16"),
    "int16": ("int16", "int16"),
    "int32": ("int32", "int32"),
    "uint8->float32": ("uint8", "float32"),
    "uint8->float64": ("uint8", "float64"),
}

#: SciPy's eight boundary modes for filters (the oracle's list). The grid-* names are aliases
#: for filters: grid-mirror = reflect, grid-wrap = wrap, grid-constant = constant.
MODES: tuple[str, ...] = oracle.MODES

#: Mode -> the canonical mode with the same filter output (used to share oracle results).
MODE_CANONICAL: dict[str, str] = {
    "grid-mirror": "reflect",
    "grid-wrap": "wrap",
    "grid-constant": "constant",
}


def radius_for(sigma: float, truncate: float) -> int:
    """SciPy's kernel radius: ``int(truncate * sigma + 0.5)`` (round half up, not ``ceil``).

    Kept here, independent of ``bench.oracle.radius_for``, so that cases can be built without
    the oracle; ``tests/test_cases.py`` checks that the two agree.
    """
    reach = float(truncate) * float(sigma)
    if not math.isfinite(reach) or reach > MAX_RADIUS:
        raise ValueError(
            f"truncate * sigma = {reach:g} is beyond the largest kernel radius {MAX_RADIUS}"
        )
    return int(reach + 0.5)


@dataclasses.dataclass(frozen=True)
class Case:
    """One benchmark case: one implementation on one input with one parameter set.

    Parameters
    ----------
    impl : str
        Implementation name (``bench.sweep.impls.names()``).
    dtype : str
        dtype label, a key of ``DTYPES``.
    shape : tuple of int
        Array shape (channels included for a channel image).
    sigma : float or tuple of float
        Scalar, or one value per filtered axis.
    mode, truncate, order, cval
        As in ``scipy.ndimage.gaussian_filter``.
    channel_axis : int or None
        Axis holding colour channels; it is not filtered.
    group : str
        Name of the grid group that produced the case (not part of the case id).
    """

    impl: str
    dtype: str
    shape: tuple[int, ...]
    sigma: float | tuple[float, ...]
    mode: str = "reflect"
    truncate: float = 4.0
    order: int = 0
    cval: float = 0.0
    channel_axis: int | None = None
    group: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.impl, str) or not self.impl:
            raise ValueError(f"Case.impl must be a non-empty str, got {self.impl!r}")
        if self.dtype not in DTYPES:
            raise ValueError(f"Case.dtype {self.dtype!r} not one of {', '.join(DTYPES)}")
        shape = tuple(int(n) for n in self.shape)
        if not shape or any(n < 1 for n in shape):
            raise ValueError(f"Case.shape must be positive ints, got {self.shape!r}")
        object.__setattr__(self, "shape", shape)
        if self.channel_axis is not None:
            if not -len(shape) <= self.channel_axis < len(shape):
                raise ValueError(f"Case.channel_axis {self.channel_axis} out of range")
            object.__setattr__(self, "channel_axis", self.channel_axis % len(shape))
        n_axes = len(self.filtered_axes)
        if isinstance(self.sigma, (list, tuple)):
            sig = tuple(float(s) for s in self.sigma)
            if len(sig) != n_axes:
                raise ValueError(
                    f"Case.sigma {self.sigma!r} has {len(sig)} values "
                    f"but {n_axes} axes are filtered"
                )
        else:
            sig = float(self.sigma)
        object.__setattr__(self, "sigma", sig)
        if any(not math.isfinite(s) or s < MIN_SIGMA for s in self.sigmas):
            raise ValueError(f"Case.sigma must be finite and >= {MIN_SIGMA:g}, got {self.sigma!r}")
        if self.mode not in MODES:
            raise ValueError(f"Case.mode {self.mode!r} not one of {', '.join(MODES)}")
        if not math.isfinite(self.truncate) or self.truncate <= 0:
            raise ValueError(f"Case.truncate must be > 0, got {self.truncate!r}")
        object.__setattr__(self, "truncate", float(self.truncate))
        for s in self.sigmas:  # identity and radius must be computable for every case
            radius_for(s, self.truncate)
        if isinstance(self.order, bool) or int(self.order) != self.order or self.order < 0:
            raise ValueError(f"Case.order must be an int >= 0, got {self.order!r}")
        object.__setattr__(self, "order", int(self.order))
        if not math.isfinite(self.cval):
            raise ValueError(f"Case.cval must be finite, got {self.cval!r}")
        object.__setattr__(self, "cval", float(self.cval))

    # -- derived, all deterministic functions of the fields --------------------------------
    @property
    def dtype_in(self) -> str:
        return DTYPES[self.dtype][0]

    @property
    def dtype_out(self) -> str:
        return DTYPES[self.dtype][1]

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def npix(self) -> int:
        return math.prod(self.shape)

    @property
    def filtered_axes(self) -> tuple[int, ...]:
        return tuple(a for a in range(len(self.shape)) if a != self.channel_axis)

    @property
    def axes(self) -> tuple[int, ...] | None:
        """The ``axes=`` argument for SciPy: None when every axis is filtered."""
        return None if self.channel_axis is None else self.filtered_axes

    @property
    def channels(self) -> int | None:
        return None if self.channel_axis is None else self.shape[self.channel_axis]

    @property
    def sigmas(self) -> tuple[float, ...]:
        """One sigma per filtered axis."""
        if isinstance(self.sigma, tuple):
            return self.sigma
        return (self.sigma,) * len(self.filtered_axes)

    @property
    def radii(self) -> tuple[int, ...]:
        """One kernel radius per filtered axis (SciPy's rule)."""
        return tuple(radius_for(s, self.truncate) for s in self.sigmas)

    @property
    def family(self) -> str:
        """Short geometric family: ``"2d"``, ``"3d"``, ``"rgb"`` (3 channels last) ..."""
        if self.channel_axis is not None:
            return "rgb" if self.channels == 3 else f"{len(self.filtered_axes)}d+channels"
        return f"{self.ndim}d"

    def params(self) -> dict[str, Any]:
        """Canonical, JSON-ready parameters; the case id is a hash of exactly these."""
        return {
            "impl": self.impl,
            "dtype": self.dtype,
            "shape": list(self.shape),
            "sigma": list(self.sigma) if isinstance(self.sigma, tuple) else self.sigma,
            "mode": self.mode,
            "truncate": self.truncate,
            "order": self.order,
            "cval": self.cval,
            "axes": None if self.axes is None else list(self.axes),
        }

    @property
    def case_id(self) -> str:
        """Stable 12-hex-digit id: sha256 of the canonical JSON of ``params()``."""
        blob = json.dumps(self.params(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:12]

    @property
    def oracle_key(self) -> tuple:
        """Everything the ideal output depends on (not impl, not dtype: inputs share values)."""
        return (
            self.shape,
            self.axes,
            self.sigmas,
            self.order,
            MODE_CANONICAL.get(self.mode, self.mode),
            self.truncate,
            self.cval,
        )

    def label(self) -> str:
        """Short human-readable label for progress lines."""
        sig = (
            "x".join(f"{s:g}" for s in self.sigmas)
            if isinstance(self.sigma, tuple)
            else (f"{self.sigma:g}")
        )
        shape = "x".join(map(str, self.shape))
        extra = f" order={self.order}" if self.order else ""
        extra += f" cval={self.cval:g}" if self.cval else ""
        extra += f" truncate={self.truncate:g}" if self.truncate != 4.0 else ""
        return f"{self.impl} {self.dtype} {shape} s={sig} {self.mode}{extra}"

    def to_dict(self) -> dict[str, Any]:
        """The fields (for worker processes); ``Case(**d)`` rebuilds it."""
        d = dataclasses.asdict(self)
        d["shape"] = list(self.shape)
        if isinstance(self.sigma, tuple):
            d["sigma"] = list(self.sigma)
        return d


# ---------------------------------------------------------------------------------------------
# memory limits

#: Bytes per element beyond input and output: the oracle's float64 input copy, its float64
#: ideal output and SciPy's float64 line buffers / a peer's float64 scratch (measured peaks of
#: the quick grid stay under this).
_SCRATCH_BYTES_PER_ELEMENT = 3 * 8


def case_bytes(case: Case) -> int:
    """Memory one case needs while measured: input, output and float64 scratch, in bytes."""
    import numpy as np

    per_element = (
        np.dtype(case.dtype_in).itemsize
        + np.dtype(case.dtype_out).itemsize
        + _SCRATCH_BYTES_PER_ELEMENT
    )
    return case.npix * per_element


def default_max_bytes() -> int:
    """Half the memory available now: the margin leaves room for the interpreter, the peers'
    own buffers and whatever else the machine runs."""
    import psutil

    return int(psutil.virtual_memory().available // 2)


def check_memory(cases: Iterable[Case], max_bytes: int | None = None) -> int:
    """Refuse (UsageError, naming the case) a case that needs more than ``max_bytes``.

    ``max_bytes`` None: ``default_max_bytes()``. Returns the limit used.
    """
    limit = default_max_bytes() if max_bytes is None else int(max_bytes)
    for case in cases:
        need = case_bytes(case)
        if need > limit:
            raise UsageError(
                f"case {case.case_id} ({case.group}: {case.label()}) needs about "
                f"{need / 2**30:.3g} GiB, over the limit of {limit / 2**30:.3g} GiB "
                "(half the memory available now); use smaller shapes, or --max-bytes N to "
                "raise the limit"
            )
    return limit
