"""Behaviour beyond values: memory layout, aliasing and warnings of gaussian_filter(1d).

Each check is judged against an invariant, so no record is needed: the result's bits do not
depend on the memory layout of the input or ``output=``; the result never shares memory with the
input, the input is never modified, ``output=`` is written and nothing around it; ordinary
calls emit no warning.

Why: docs/verify.md.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

#: Input dtypes of the layout checks: both float storage models, an unsigned and a signed int.
LAYOUT_DTYPES = ("float64", "float32", "uint8", "int16")


def make_input(shape: tuple[int, ...], dtype: str, seed: int = 9) -> np.ndarray:
    """Seeded 0..255 values (fractional for float dtypes), C-contiguous."""
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 256, shape).astype(np.float64)
    if np.dtype(dtype).kind == "f":
        values += rng.random(shape)
    if np.dtype(dtype).kind == "i":
        values -= 128
    return values.astype(dtype)


def _strided(a: np.ndarray) -> np.ndarray:
    big = np.zeros(tuple(2 * n + 1 for n in a.shape), a.dtype)
    view = big[tuple(slice(1, None, 2) for _ in a.shape)]
    view[...] = a
    return view


def _negative(a: np.ndarray) -> np.ndarray:
    flipped = a[tuple(slice(None, None, -1) for _ in a.shape)].copy()
    return flipped[tuple(slice(None, None, -1) for _ in a.shape)]


def _channel(a: np.ndarray) -> np.ndarray:
    # one channel of an interleaved (..., 3) image: a stride of 3 elements on the last axis
    rgb = np.zeros((*a.shape, 3), a.dtype)
    rgb[..., 1] = a
    return rgb[..., 1]


def _planar_channel_last(a: np.ndarray) -> np.ndarray:
    # channel-last view of planar (channel-first) data: the fastest axis is the first one
    return np.ascontiguousarray(np.moveaxis(a, -1, 0)).transpose(*range(1, a.ndim), 0)


#: name -> function giving an array equal to its argument, laid out differently.
LAYOUTS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "fortran-order": np.asfortranarray,
    "strided-view": _strided,
    "negative-strides": _negative,
    "interleaved-channel": _channel,
    "planar-channel-last": _planar_channel_last,
}


@dataclasses.dataclass(frozen=True)
class LayoutCall:
    """A call whose result must not depend on the input's memory layout."""

    name: str
    shape: tuple[int, ...]
    call: Callable[[Any, np.ndarray], np.ndarray]


# Shapes: odd and prime sizes; (700, 130) spans several of SciPy's line buffers on both axes.
LAYOUT_CALLS = (
    LayoutCall("gf/2d", (45, 38), lambda nd, x: nd.gaussian_filter(x, 1.5)),
    LayoutCall("gf/2d-large", (700, 130), lambda nd, x: nd.gaussian_filter(x, 2.0, mode="wrap")),
    LayoutCall(
        "gf/3d-orders-modes",
        (13, 17, 3),
        lambda nd, x: nd.gaussian_filter(
            x, (1.0, 2.0, 0.7), order=(0, 1, 0), mode=("mirror", "constant", "nearest"), cval=3
        ),
    ),
    LayoutCall("gf1d/axis0", (45, 38), lambda nd, x: nd.gaussian_filter1d(x, 2.0, axis=0)),
    LayoutCall("gf1d/axis-last", (45, 38), lambda nd, x: nd.gaussian_filter1d(x, 2.0, axis=-1)),
    LayoutCall(
        "gf1d/3d-axis1-order2",
        (13, 17, 3),
        lambda nd, x: nd.gaussian_filter1d(x, 1.2, axis=1, order=2, mode="reflect"),
    ),
)


def output_layouts(shape: tuple[int, ...], dtype: str) -> dict[str, np.ndarray]:
    """``output=`` arrays of every layout (filled with a sentinel), C order included."""
    fill = np.zeros(shape, dtype) + 77
    return {"c-order": fill.copy(), **{name: make(fill) for name, make in LAYOUTS.items()}}


def first_difference(a: np.ndarray, b: np.ndarray) -> str:
    """Where and by how much two equal-shaped arrays first differ, in words."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return f"{a.dtype}{a.shape} vs {b.dtype}{b.shape}"
    raw_a = np.ascontiguousarray(a).view(np.uint8).reshape(*a.shape, -1)
    raw_b = np.ascontiguousarray(b).view(np.uint8).reshape(*b.shape, -1)
    differ = np.any(raw_a != raw_b, axis=-1)
    count = int(np.count_nonzero(differ))
    if count == 0:
        return "identical"
    where = tuple(int(i) for i in np.argwhere(differ)[0])
    return f"{count} of {a.size} elements differ, first at {where}: {a[where]!r} vs {b[where]!r}"


#: What every SciPy from 1.10 to 1.17 returns when no output array is given (measured).
EXPECTED_RESULT_FLAGS = {
    "c_contiguous": True,
    "writeable": True,
    "owns_data": True,
    "native_byte_order": True,
}


def result_flags(result: np.ndarray) -> dict[str, bool]:
    """The layout facts of a returned array a caller may rely on."""
    return {
        "c_contiguous": bool(result.flags.c_contiguous),
        "writeable": bool(result.flags.writeable),
        "owns_data": bool(result.flags.owndata),
        "native_byte_order": bool(result.dtype.isnative),
    }


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal dtype, shape and bytes (values compared bit for bit, NaN payloads included)."""
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


# --- warnings ---------------------------------------------------------------------------------
#: Ordinary calls: every mode, dtype family, sigma form and keyword a normal caller uses. None
#: may warn. (name, call(ndimage), features required)
ORDINARY_CALLS: tuple[tuple[str, Callable[[Any], Any], tuple[str, ...]], ...] = (
    *(
        (f"gf/{dtype}/{mode}", (lambda nd, d=dtype, m=mode: nd.gaussian_filter(
            make_input((20, 24), d), 1.5, mode=m, cval=2.0)), ())
        for dtype in ("float64", "float32", "uint8", "uint16", "int32", "complex128")
        for mode in ("reflect", "constant", "nearest", "mirror", "wrap", "grid-wrap")
    ),
    ("gf/sigma-sequence-zero", lambda nd: nd.gaussian_filter(make_input((9, 9), "float64"),
                                                          (0.0, 2.0)), ()),
    ("gf/orders", lambda nd: nd.gaussian_filter(make_input((9, 9), "float64"), 1.0,
                                                order=(1, 3)), ()),
    ("gf/output-float32", lambda nd: nd.gaussian_filter(make_input((9, 9), "uint8"), 1.0,
                                                        output=np.float32), ()),
    ("gf/output-array", lambda nd: nd.gaussian_filter(make_input((9, 9), "float64"), 1.0,
                                                      output=np.empty((9, 9), np.float32)), ()),
    ("gf/truncate", lambda nd: nd.gaussian_filter(make_input((9, 9), "float64"), 2.0,
                                                  truncate=2.5), ()),
    ("gf/radius", lambda nd: nd.gaussian_filter(make_input((9, 9), "float64"), 2.0,
                                                radius=3), ("radius",)),
    ("gf/axes", lambda nd: nd.gaussian_filter(make_input((9, 9, 3), "float32"), 1.0,
                                              axes=(0, 1)), ("axes",)),
    ("gf/large-sigma", lambda nd: nd.gaussian_filter(make_input((9, 9), "float64"), 25.0), ()),
    ("gf/empty", lambda nd: nd.gaussian_filter(np.zeros((0, 4)), 1.0), ()),
    ("gf/0d", lambda nd: nd.gaussian_filter(np.float64(2.0), 1.0), ()),
    ("gf1d/float32", lambda nd: nd.gaussian_filter1d(make_input((30,), "float32"), 2.0), ()),
    ("gf1d/uint8-order1", lambda nd: nd.gaussian_filter1d(make_input((30,), "uint8"), 2.0,
                                                          order=1), ()),
    ("gf1d/radius", lambda nd: nd.gaussian_filter1d(make_input((30,), "float64"), 2.0,
                                                    radius=4), ("radius",)),
)  # fmt: skip


def call_with_warnings(call: Callable[[], Any]) -> tuple[Any, list[str]]:
    """``(call(), ["Category: message", ...])`` for every warning it emits (filters: always)."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    return result, [f"{w.category.__name__}: {w.message}" for w in caught]


def caught_warnings(call: Callable[[], Any]) -> list[str]:
    """``"Category: message"`` of every warning ``call()`` emits (all filters set to always)."""
    return call_with_warnings(call)[1]
