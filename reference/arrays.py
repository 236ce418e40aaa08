"""Every property of the input array a caller can set, enumerated, with what SciPy promises.

``ATTRIBUTES`` is the table: one row per attribute of a numpy array a caller controls
(writeable, alignment, byte order, memory order and strides, subclass, dtype, rank and size,
extreme values), each with the variants checked and what SciPy's documentation promises. SciPy
documents ``input : array_like`` and ``output : array or dtype`` and nothing more, so:

Variants are **same-values** (bit-identical to a plain copy: an invariant), **refused** (must
raise, leaving the array as it was) or **record** (no documented answer: their outcome is
recorded per SciPy version, ``"arrays"`` in ``reference/data/scipy-*.json``).

Why: docs/verify.md#the-input-arrays-properties.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Callable
from typing import Any

import numpy as np

from reference.behaviour import make_input
from reference.probes import observe_call

PROMISES = ("same-values", "refused", "record")
_SHAPE = (6, 7)
_SIGMA = 1.5


class UserArray(np.ndarray):
    """A user's ndarray subclass with no methods of its own."""


@dataclasses.dataclass(frozen=True)
class ArrayVariant:
    """One way of passing an array (as ``input`` or ``output=``) and what must hold for it.

    Parameters
    ----------
    name : str
        Stable id ``attribute/variant``.
    make : callable
        ``make(plain)`` builds the array from a plain C-ordered array of the same values (or,
        for extreme values, ignores it).
    role : str
        ``"input"`` or ``"output"`` (the made array is passed as ``output=``).
    promise : str
        One of ``PROMISES``.
    dtype : str
        dtype of the plain array passed to ``make``.
    """

    name: str
    make: Callable[[np.ndarray], Any]
    role: str = "input"
    promise: str = "same-values"
    dtype: str = "float64"

    def __post_init__(self) -> None:
        if self.name.count("/") != 1:
            raise ValueError(f"name must be 'attribute/variant', got {self.name!r}")
        if self.role not in ("input", "output"):
            raise ValueError(f"role must be 'input' or 'output', got {self.role!r}")
        if self.promise not in PROMISES:
            raise ValueError(f"promise must be one of {PROMISES}, got {self.promise!r}")

    @property
    def attribute(self) -> str:
        return self.name.split("/", 1)[0]

    def plain(self) -> np.ndarray:
        return make_input(_SHAPE, self.dtype)

    def call(self, ndimage: Any, made: Any) -> Any:
        """``gaussian_filter`` with the made array in its role."""
        if self.role == "output":
            return ndimage.gaussian_filter(self.plain(), _SIGMA, output=made)
        return ndimage.gaussian_filter(made, _SIGMA)

    def reference(self, ndimage: Any, made: Any) -> np.ndarray:
        """The plain call the variant must equal (same values, C-ordered, native)."""
        if self.role == "output":
            return ndimage.gaussian_filter(self.plain(), _SIGMA, output=np.dtype(made.dtype.name))
        values = np.array(np.asarray(made), order="C")
        return ndimage.gaussian_filter(values.astype(values.dtype.newbyteorder("=")), _SIGMA)


def _read_only(a: np.ndarray) -> np.ndarray:
    a = a.copy()
    a.flags.writeable = False
    return a


def _unaligned(a: np.ndarray) -> np.ndarray:
    # a view one byte into a byte buffer: numpy marks it unaligned for itemsize > 1
    view = np.ndarray(a.shape, a.dtype, buffer=bytearray(a.nbytes + 1), offset=1)
    view[...] = a
    return view


def _zeros_like(maker: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    return lambda a: maker(np.zeros_like(a))


def _memmap(a: np.ndarray, mode: str = "r") -> np.memmap:
    # the file is unlinked at once: the mapping keeps its pages alive (POSIX) and nothing leaks
    handle, path = tempfile.mkstemp(suffix=".npy-memmap")
    os.close(handle)
    try:
        writer = np.memmap(path, a.dtype, "w+", shape=a.shape)
        writer[...] = a
        writer.flush()
        del writer
        return np.memmap(path, a.dtype, mode, shape=a.shape)
    finally:
        if os.name == "posix":
            os.unlink(path)


def _matrix(a: np.ndarray) -> np.matrix:
    import warnings

    with warnings.catch_warnings():  # numpy's own PendingDeprecationWarning, not SciPy's
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        return np.asmatrix(a)


def _full(value: Any, dtype: str) -> Callable[[np.ndarray], np.ndarray]:
    return lambda _a: np.full(_SHAPE, value, dtype=dtype)


_V = ArrayVariant
#: attribute -> variants; see the module docstring for what each promise means.
ATTRIBUTES: dict[str, tuple[ArrayVariant, ...]] = {
    "writeable": (
        _V("writeable/read-only-input", _read_only),
        _V("writeable/read-only-input-uint8", _read_only, dtype="uint8"),
        _V("writeable/read-only-output", _zeros_like(_read_only), "output", "refused"),
    ),
    "alignment": (
        _V("alignment/unaligned-input-float64", _unaligned),
        _V("alignment/unaligned-input-int16", _unaligned, dtype="int16"),
        _V(
            "alignment/unaligned-input-complex128",
            lambda a: _unaligned(a + 1j * a[::-1]),
            dtype="float64",
        ),
        _V("alignment/unaligned-output", _zeros_like(_unaligned), "output"),
    ),
    "byteorder": (
        _V("byteorder/big-endian-input-float64", lambda a: a.astype(">f8")),
        _V("byteorder/big-endian-input-float32", lambda a: a.astype(">f4"), dtype="float32"),
        _V("byteorder/big-endian-input-uint16", lambda a: a.astype(">u2"), dtype="uint8"),
        _V("byteorder/big-endian-output", lambda a: np.zeros(a.shape, ">f8"), "output"),
    ),
    "strides": (
        _V("strides/fortran-order", np.asfortranarray),
        _V("strides/negative-both-axes", lambda a: a[::-1, ::-1].copy()[::-1, ::-1]),
        _V("strides/zero-row-broadcast", lambda a: np.broadcast_to(a[2], a.shape)),
        _V("strides/zero-scalar-broadcast", lambda a: np.broadcast_to(a[2, 3], a.shape)),
        _V(
            "strides/zero-broadcast-uint8",
            lambda a: np.broadcast_to(a[:, :1], a.shape),
            dtype="uint8",
        ),
        _V("strides/step-3-view", lambda a: np.repeat(a, 3, axis=1)[:, ::3]),
        _V("strides/negative-output", _zeros_like(lambda z: z[::-1, ::-1]), "output"),
    ),
    "subclass": (
        _V(
            "subclass/masked-array",
            lambda a: np.ma.masked_array(a, mask=a > 128),
            "input",
            "record",
        ),
        _V("subclass/masked-array-nomask", lambda a: np.ma.masked_array(a), promise="record"),
        _V("subclass/matrix", _matrix, promise="record"),
        _V("subclass/memmap-read-only", _memmap),
        _V("subclass/memmap-copy-on-write", lambda a: _memmap(a, "c")),
        _V("subclass/user-subclass", lambda a: a.view(UserArray)),
        _V(
            "subclass/user-subclass-output",
            _zeros_like(lambda z: z.view(UserArray)),
            "output",
            "record",
        ),
    ),
    "dtype": tuple(
        _V(f"dtype/{name}", make, promise="record")
        for name, make in (
            ("bool", lambda a: a > 128),
            ("float16", lambda a: a.astype(np.float16)),
            ("longdouble", lambda a: a.astype(np.longdouble)),
            ("complex64", lambda a: a.astype(np.complex64)),
            ("object", lambda a: a.astype(object)),
            ("structured", lambda a: np.zeros(a.shape, [("v", "f8"), ("w", "i4")])),
            ("datetime64", lambda a: a.astype("datetime64[s]")),
            ("timedelta64", lambda a: a.astype("timedelta64[s]")),
            ("unicode", lambda a: a.astype("U8")),
            ("bytes", lambda a: a.astype("S8")),
        )
    ),
    "size": (
        _V("size/0d", lambda a: np.array(a[2, 3]), promise="record"),
        _V("size/0-rows", lambda a: a[:0], promise="record"),
        _V("size/0-size-3d", lambda a: np.zeros((3, 0, 2)), promise="record"),
        _V("size/one-element", lambda a: a[:1, :1], promise="record"),
    ),
    "values": (
        _V("values/subnormal-float64", _full(5e-324, "float64"), promise="record"),
        _V(
            "values/smallest-normal-float64",
            _full(2.2250738585072014e-308, "float64"),
            promise="record",
        ),
        _V("values/subnormal-float32", _full(1e-45, "float32"), promise="record"),
        _V("values/max-float64", _full(np.finfo(np.float64).max, "float64"), promise="record"),
        _V(
            "values/quarter-max-float64",
            _full(np.finfo(np.float64).max / 4, "float64"),
            promise="record",
        ),
        _V("values/max-float32", _full(np.finfo(np.float32).max, "float32"), promise="record"),
        _V("values/max-uint8", _full(255, "uint8"), promise="record"),
        _V("values/max-uint16", _full(65535, "uint16"), promise="record"),
        _V("values/max-int32", _full(2**31 - 1, "int32"), promise="record"),
        _V("values/min-int32", _full(-(2**31), "int32"), promise="record"),
        _V("values/max-int64", _full(2**63 - 1, "int64"), promise="record"),
        _V("values/max-uint64", _full(2**64 - 1, "uint64"), promise="record"),
    ),
}

#: What SciPy's documentation says about each attribute (its docstring: ``input : array_like``,
#: ``output : array or dtype, optional``), and what the suite checks.
PROMISED = {
    "writeable": "input: array_like, so read-only input is an input like any other (checked: "
    "same bits); output=: 'The array in which to place the output' -- it must be writable "
    "(checked: refused); the ValueError and its message are recorded",
    "alignment": "nothing documented; an unaligned array holds the same values (checked: same "
    "bits, input and output=)",
    "byteorder": "nothing documented; same values (checked: same bits); the result's dtype "
    "(native) is recorded",
    "strides": "nothing documented; same values whatever the strides, zero strides from "
    "np.broadcast_to included (checked: same bits)",
    "subclass": "nothing documented: the returned type and whether a MaskedArray's mask is "
    "honoured (SciPy 1.10-1.17: plain ndarray, mask ignored) are recorded; memmaps and a plain "
    "user subclass hold the same values (checked: same bits)",
    "dtype": "nothing documented about which dtypes work; the accepted ones and each "
    "rejection's exception type and message are recorded",
    "size": "nothing documented; 0-d, 0-size and 1-element results are recorded",
    "values": "nothing documented; extreme values are recorded (measured: subnormals flush to 0, "
    "DBL_MAX becomes inf because symmetric taps are summed before weighting, int64 max wraps "
    "to INT64_MIN through the double)",
}


def array_variants() -> tuple[ArrayVariant, ...]:
    """Every variant, in table order; names are checked to be unique."""
    variants = tuple(v for group in ATTRIBUTES.values() for v in group)
    names = [v.name for v in variants]
    if len(names) != len(set(names)):
        raise ValueError("duplicate array variant names")
    if set(ATTRIBUTES) != set(PROMISED) or any(
        v.attribute != attr for attr, group in ATTRIBUTES.items() for v in group
    ):
        raise ValueError("ATTRIBUTES and PROMISED must name the same attributes")
    return variants


def observe_variant(variant: ArrayVariant, ndimage: Any) -> dict[str, Any]:
    """The recorded outcome: ``observe_call``'s (accepted, dtype, shape, bits, exception,
    warnings) plus the returned object's type and, for masked arrays, whether it has a mask."""
    made = variant.make(variant.plain())
    returned: dict[str, Any] = {}

    def _call(nd: Any) -> Any:
        result = variant.call(nd, made)
        returned["type"] = type(result).__name__
        if isinstance(result, np.ma.MaskedArray):
            returned["mask"] = bool(np.ma.getmaskarray(result).any())
        values = np.asarray(result)
        if values.dtype.kind in "fc" and values.size:  # machine-independent facts of the values
            returned["all_finite"] = bool(np.isfinite(values).all())
            returned["all_zero"] = bool((values == 0).all())
        elif values.dtype.kind in "iu" and values.size:
            returned["min"], returned["max"] = int(values.min()), int(values.max())
        return result

    outcome = observe_call(_call, ndimage)
    return {**outcome, **returned}
