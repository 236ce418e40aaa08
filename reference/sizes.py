"""Real sizes: cases that span several of SciPy's internal line buffers.

Each case here is checked to span at least ``MIN_BUFFERS`` buffers on every axis it filters (or
to hold a line longer than a whole buffer), and is judged bit for bit against the oracle's
storage model, so no stored array is needed.

Why: docs/verify.md.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

#: ``BUFFER_SIZE`` of ``scipy/ndimage/src/ni_filters.c``: the line buffer's size in bytes.
BUFFER_BYTES = 256_000
MIN_BUFFERS = 3


def radius_of(sigma: float, truncate: float = 4.0) -> int:
    """SciPy's kernel radius: ``int(truncate * sigma + 0.5)``."""
    return int(truncate * float(sigma) + 0.5)


def lines_per_buffer(length: int, radius: int) -> int:
    """How many lines of ``length`` elements SciPy's line buffer holds (``ni_support.c``)."""
    return max(1, BUFFER_BYTES // (8 * (length + 2 * radius)))


def buffers_spanned(shape: tuple[int, ...], axis: int, radius: int) -> int:
    """How many buffer fills SciPy needs to filter ``shape`` along ``axis``."""
    lines = math.prod(shape) // shape[axis] if shape[axis] else 0
    return math.ceil(lines / lines_per_buffer(shape[axis], radius))


@dataclasses.dataclass(frozen=True)
class SizeCase:
    """One large call: input shape, dtype and layout, the function and its arguments.

    Parameters
    ----------
    name : str
        Stable id.
    shape : tuple of int
    dtype : str
        Input dtype.
    mode : str
    sigma : float or tuple of float
    axis : int or None
        None: ``gaussian_filter`` over all axes; else ``gaussian_filter1d`` along ``axis``.
    order : int
    output : str or None
        ``output=`` dtype, if any.
    layout : str
        ``c-order``, or ``transposed`` (the same values, Fortran-ordered: the filtered axes
        swap between contiguous and strided), or ``strided`` (every other element of a
        larger array).
    """

    name: str
    shape: tuple[int, ...]
    dtype: str
    mode: str
    sigma: float | tuple[float, ...]
    axis: int | None = None
    order: int = 0
    output: str | None = None
    layout: str = "c-order"

    def __post_init__(self) -> None:
        if self.layout not in ("c-order", "transposed", "strided"):
            raise ValueError(f"layout must be c-order, transposed or strided, got {self.layout!r}")
        for axis, sigma in self.filtered_axes():
            radius = radius_of(sigma)
            spanned = buffers_spanned(self.shape, axis, radius)
            long_line = 8 * (self.shape[axis] + 2 * radius) > BUFFER_BYTES
            if spanned < MIN_BUFFERS and not long_line:
                raise ValueError(
                    f"{self.name}: axis {axis} spans only {spanned} line buffers; "
                    f"a size case needs {MIN_BUFFERS} or a line longer than a buffer"
                )

    def filtered_axes(self) -> list[tuple[int, float]]:
        if self.axis is not None:
            return [(self.axis % len(self.shape), float(np.max(self.sigma)))]
        sigmas = self.sigma if isinstance(self.sigma, tuple) else (self.sigma,) * len(self.shape)
        return [(axis, s) for axis, s in enumerate(sigmas) if s > 1e-15]

    def make_input(self) -> np.ndarray:
        """Seeded 0..255 values (fractional for floats), laid out as ``layout`` says."""
        seed = int.from_bytes(self.name.encode()[:8].ljust(8, b"\0"), "little")
        rng = np.random.default_rng(seed)
        values = rng.integers(0, 256, self.shape).astype(np.float64)
        if np.dtype(self.dtype).kind in "fc":
            values += rng.random(self.shape)
        if np.dtype(self.dtype).kind == "b":  # half the pixels set, not 255 of 256
            values %= 2
        x = values.astype(self.dtype)
        if self.layout == "transposed":
            return np.asfortranarray(x)
        if self.layout == "strided":
            big = np.zeros(tuple(2 * n for n in self.shape), self.dtype)
            view = big[tuple(slice(None, None, 2) for _ in self.shape)]
            view[...] = x
            return view
        return x

    def kwargs(self) -> dict[str, Any]:
        cval = 7.5 if self.mode == "constant" else 0.0
        return {"order": self.order, "mode": self.mode, "cval": cval}

    def run(self, ndimage: Any, x: np.ndarray) -> np.ndarray:
        """SciPy's result."""
        output = None if self.output is None else np.dtype(self.output)
        if self.axis is None:
            return ndimage.gaussian_filter(x, self.sigma, output=output, **self.kwargs())
        return ndimage.gaussian_filter1d(
            x, float(self.sigma), axis=self.axis, output=output, **self.kwargs()
        )

    def model(self, oracle: Any, x: np.ndarray, dtype: np.dtype) -> np.ndarray:
        """The oracle's storage model of the same call, stored in ``dtype``."""
        if self.axis is None:
            return oracle.gaussian_filter(x, self.sigma, output=dtype, **self.kwargs())
        sigmas = [0.0] * x.ndim
        sigmas[self.axis % x.ndim] = float(self.sigma)
        orders = [0] * x.ndim
        orders[self.axis % x.ndim] = self.order
        kwargs = {**self.kwargs(), "order": orders}
        return oracle.gaussian_filter(x, sigmas, output=dtype, **kwargs)


_MODES = ("reflect", "constant", "nearest", "mirror", "wrap")
_BIG = (720, 360)  # 9 line buffers along each axis at sigma 2 (radius 8)


def _cases() -> tuple[SizeCase, ...]:
    cases = []
    # every mode x the dtypes whose storage differs (float64, float32 rounding, integer
    # truncation), the whole filter: both axes, so a contiguous and a strided one
    for mode in _MODES:
        for dtype in ("float32", "uint8", "float64"):
            cases.append(SizeCase(f"gf/{mode}/{dtype}", _BIG, dtype, mode, 2.0))
    # one axis at a time: contiguous (last) and strided (first), each mode
    for mode in _MODES:
        for axis, kind in ((-1, "contiguous"), (0, "strided")):
            cases.append(SizeCase(f"gf1d/{kind}/{mode}/int16", _BIG, "int16", mode, 3.0, axis=axis))
    cases += [
        # the same values in Fortran order: the contiguous and strided axes swap
        SizeCase("gf/transposed/reflect/float32", _BIG, "float32", "reflect", 2.0,
                 layout="transposed"),
        SizeCase("gf/strided-input/wrap/uint16", _BIG, "uint16", "wrap", 2.0, layout="strided"),
        SizeCase("gf/output-float32/uint8", _BIG, "uint8", "mirror", 2.0, output="float32"),
        SizeCase("gf/output-uint8/float64", _BIG, "float64", "nearest", 1.5, output="uint8"),
        SizeCase("gf/sigma-per-axis/float32", _BIG, "float32", "reflect", (0.8, 6.0)),
        SizeCase("gf/order1/float32", _BIG, "float32", "reflect", 2.0, order=1),
        SizeCase("gf1d/order2/strided/float64", _BIG, "float64", "mirror", 2.5, axis=0, order=2),
        SizeCase("gf/large-sigma/float32", _BIG, "float32", "constant", 12.0),
        SizeCase("gf/3d/float32", (24, 90, 120), "float32", "reflect", 1.5),
        SizeCase("gf1d/3d-middle-axis/uint8", (24, 90, 120), "uint8", "wrap", 2.0, axis=1),
        SizeCase("gf/complex64", _BIG, "complex64", "reflect", 2.0),
        # the other integer widths and signs, each in another mode
        SizeCase("gf/int8/nearest", _BIG, "int8", "nearest", 2.0),
        SizeCase("gf/int32/constant", _BIG, "int32", "constant", 2.0),
        SizeCase("gf/uint32/mirror", _BIG, "uint32", "mirror", 2.0),
        SizeCase("gf/int64/wrap", _BIG, "int64", "wrap", 2.0),
        SizeCase("gf/output-float64/float32", _BIG, "float32", "reflect", 2.0,
                 output="float64"),
        SizeCase("gf/complex128/wrap", _BIG, "complex128", "wrap", 2.0),
        SizeCase("gf/bool/reflect", _BIG, "bool", "reflect", 2.0),
        SizeCase("gf1d/contiguous/nearest/float32", _BIG, "float32", "nearest", 2.5, axis=1),
        # a single line longer than a whole buffer (50000 doubles > 256000 bytes)
        SizeCase("gf1d/long-line/float32", (50_000,), "float32", "wrap", 3.0, axis=0),
        SizeCase("gf1d/long-line/uint8", (50_000,), "uint8", "reflect", 3.0, axis=0),
    ]  # fmt: skip
    return tuple(cases)


SIZE_CASES = _cases()
