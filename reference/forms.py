"""Argument forms: every way a caller may spell each argument of gaussian_filter(1d).

Each *form* passes one argument in one spelling -- a Python or NumPy scalar type, a NumPy array
of some rank (0-d included), a list, a tuple, a mixed sequence -- and names the *canonical* call
it should mean (the same argument as plain Python floats, ints, strings and tuples).

Two judgements: an invariant (an accepted form gives exactly the canonical call's bits, dtype
and shape) and a record per SciPy version (``"forms"``: accepted or not, what it raises and
warns); features are detected by capability, never by version.

Why: docs/verify.md.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any

import numpy as np

from reference.probes import FEATURES

_SHAPE = (6, 7)


def form_input() -> np.ndarray:
    """A 6x7 float64 input with fractional values (so every rounding shows)."""
    rng = np.random.default_rng(20_009)
    return rng.integers(0, 256, _SHAPE) + rng.random(_SHAPE)


@dataclasses.dataclass(frozen=True)
class Form:
    """One spelling of one argument, and the canonical call it must equal when accepted.

    Parameters
    ----------
    name : str
        Stable id ``function/argument/spelling``.
    function : str
        ``gaussian_filter`` or ``gaussian_filter1d``.
    kwargs : dict
        The keyword arguments of the call (besides the input).
    canonical : dict or None
        The same call with plain Python values; None when there is no canonical meaning
        (a spelling that must be rejected, or whose meaning is version-specific).
    requires : tuple of str
        Features (keys of ``reference.probes.FEATURES``) the call uses.
    """

    name: str
    function: str
    kwargs: dict[str, Any]
    canonical: dict[str, Any] | None
    requires: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.name.count("/") < 2:
            raise ValueError(f"form name must be 'function/argument/spelling', got {self.name!r}")
        if self.function not in ("gaussian_filter", "gaussian_filter1d"):
            raise ValueError(f"function must be gaussian_filter(1d), got {self.function!r}")
        unknown = set(self.requires) - set(FEATURES)
        if unknown:
            raise ValueError(f"requires must be among {sorted(FEATURES)}, got {sorted(unknown)}")

    def call(self, ndimage: Any) -> Any:
        """``call(ndimage)``: the form itself."""
        return getattr(ndimage, self.function)(form_input(), **self.kwargs)

    def call_canonical(self, ndimage: Any) -> Any:
        """The canonical call (raises ValueError when the form has none)."""
        if self.canonical is None:
            raise ValueError(f"{self.name} has no canonical call")
        return getattr(ndimage, self.function)(form_input(), **self.canonical)


# (spelling, value, canonical value or None); the base call fills the other arguments.
_SIGMA_2D = [
    ("python-int", 2, 2.0),
    ("python-bool", True, 1.0),
    ("fraction", Fraction(3, 2), 1.5),
    ("numpy-float64", np.float64(1.5), 1.5),
    # measured: SciPy builds the kernel in the scalar's own precision (numpy promotion), so a
    # float32/float16 sigma gives other bits than the same value as a Python float. No
    # canonical call then; the record pins the bits.
    ("numpy-float32", np.float32(1.5), None),
    ("numpy-float16", np.float16(1.5), None),
    ("numpy-int64", np.int64(2), 2.0),
    ("numpy-uint8", np.uint8(2), 2.0),
    ("numpy-bool", np.bool_(True), 1.0),
    ("array-0d", np.array(1.5), 1.5),
    ("array-1d", np.array([1.5, 0.75]), (1.5, 0.75)),
    ("array-1d-float32", np.array([1.5, 0.75], np.float32), None),
    ("array-1d-int", np.array([2, 1]), (2.0, 1.0)),
    ("array-2d", np.array([[1.5, 0.75]]), None),
    ("array-2d-square", np.array([[1.5, 0.75], [1.0, 2.0]]), None),
    ("list", [1.5, 0.75], (1.5, 0.75)),
    ("tuple", (1.5, 0.75), (1.5, 0.75)),
    ("mixed-int-float", [2, 0.75], (2.0, 0.75)),
    ("mixed-numpy-python", (np.float32(1.5), 0.75), None),
    ("mixed-array0d-int", [np.array(1.5), np.int64(1)], (1.5, 1.0)),
    ("list-of-one", [1.5], None),
    ("nested-list", [[1.5], [0.75]], None),
]
_ORDER_2D = [
    ("python-bool", True, 1),
    ("numpy-int64", np.int64(1), 1),
    ("numpy-uint8", np.uint8(1), 1),
    ("numpy-bool", np.bool_(True), 1),
    ("python-float-integral", 1.0, 1),
    ("array-0d", np.array(1), 1),
    ("array-1d", np.array([1, 0]), (1, 0)),
    ("array-2d", np.array([[1, 0]]), None),
    ("list", [1, 0], (1, 0)),
    ("tuple", (0, 2), (0, 2)),
    ("mixed-numpy-python", [np.int64(1), 0], (1, 0)),
]
_MODE_2D = [
    ("numpy-str", np.str_("wrap"), "wrap"),
    ("list", ["wrap", "nearest"], ("wrap", "nearest")),
    ("tuple", ("mirror", "constant"), ("mirror", "constant")),
    ("array-1d", np.array(["wrap", "nearest"]), ("wrap", "nearest")),
    ("array-0d", np.array("wrap"), "wrap"),
    ("mixed-numpy-python", [np.str_("wrap"), "nearest"], ("wrap", "nearest")),
    ("bytes", b"wrap", None),
]
_CVAL = [
    ("python-int", 2, 2.0),
    ("python-bool", True, 1.0),
    ("numpy-float32", np.float32(2.5), 2.5),
    ("numpy-int64", np.int64(-3), -3.0),
    ("array-0d", np.array(2.5), 2.5),
    ("array-1d-one", np.array([2.5]), None),
    ("list-one", [2.5], None),
]
_TRUNCATE = [
    ("python-int", 3, 3.0),
    ("numpy-float32", np.float32(2.5), 2.5),
    ("numpy-int64", np.int64(3), 3.0),
    ("array-0d", np.array(2.5), 2.5),
    ("array-1d-one", np.array([2.5]), None),
    ("list-one", [2.5], None),
]
_RADIUS_2D = [
    ("numpy-int64", np.int64(2), 2),
    ("numpy-int32", np.int32(2), 2),
    # measured on SciPy 1.17: a uint8 radius wraps in the kernel arithmetic (RuntimeWarning)
    ("numpy-uint8", np.uint8(2), None),
    ("python-bool", True, 1),
    ("array-0d", np.array(2), 2),
    ("array-1d", np.array([2, 3]), (2, 3)),
    ("list", [2, 3], (2, 3)),
    ("tuple", (2, 3), (2, 3)),
    ("mixed-numpy-python", [np.int64(2), 3], (2, 3)),
    ("array-2d", np.array([[2, 3]]), None),
]
_AXES_2D = [
    ("python-int", 1, (1,)),
    ("numpy-int64", np.int64(1), (1,)),
    ("list", [1], (1,)),
    ("tuple-negative", (-1,), (1,)),
    ("array-1d", np.array([1]), (1,)),
    ("array-0d", np.array(1), (1,)),
    ("mixed-numpy-python", [np.int64(1), 0], (1, 0)),
    ("list-both", [0, 1], (0, 1)),
]
# canonical: a numpy dtype object (SciPy 1.12.0 rejects dtype *strings* with a KeyError)
_OUTPUT = [
    ("numpy-type", np.float32, np.dtype("float32")),
    ("dtype-big-endian", np.dtype(">f4"), None),
    ("dtype-little-endian", np.dtype("<f4"), np.dtype("float32")),
    ("str-f4", "f4", np.dtype("float32")),
    ("python-float", float, np.dtype("float64")),
    ("python-int", int, np.dtype(int)),
    ("python-complex", complex, np.dtype("complex128")),
]
_SIGMA_1D = [
    ("python-int", 2, 2.0),
    ("numpy-float32", np.float32(1.5), None),  # float32 kernel arithmetic, as above
    ("numpy-int64", np.int64(2), 2.0),
    ("array-0d", np.array(1.5), 1.5),
    ("array-1d-one", np.array([1.5]), None),
    ("list-one", [1.5], None),
]
_AXIS_1D = [
    ("numpy-int64", np.int64(0), 0),
    ("numpy-int8-negative", np.int8(-2), 0),
    ("array-0d", np.array(0), 0),
    ("python-bool", True, 1),
    ("python-float", 0.0, 0),
    ("tuple-one", (0,), None),
]
_ORDER_1D = [
    ("numpy-int64", np.int64(2), 2),
    ("array-0d", np.array(1), 1),
    ("python-float-integral", 1.0, 1),
]
_RADIUS_1D = [
    ("numpy-int64", np.int64(3), 3),
    ("array-0d", np.array(3), 3),
    ("python-float-integral", 3.0, 3),
]


def _forms() -> tuple[Form, ...]:
    forms: list[Form] = []

    def add(function: str, argument: str, rows: list, base: dict[str, Any],
            requires: tuple[str, ...] = ()) -> None:  # fmt: skip
        for spelling, value, canonical in rows:
            kwargs = {**base, argument: value}
            canon = None if canonical is None else {**base, argument: canonical}
            name = f"{function}/{argument}/{spelling}"
            forms.append(Form(name, function, kwargs, canon, requires))

    gf, g1 = "gaussian_filter", "gaussian_filter1d"
    add(gf, "sigma", _SIGMA_2D, {"mode": "reflect"})
    add(gf, "order", _ORDER_2D, {"sigma": 1.5})
    add(gf, "mode", _MODE_2D, {"sigma": 1.5, "cval": 1.25})
    add(gf, "cval", _CVAL, {"sigma": 1.5, "mode": "constant"})
    add(gf, "truncate", _TRUNCATE, {"sigma": 1.5})
    add(gf, "radius", _RADIUS_2D, {"sigma": 1.5}, ("radius",))
    add(gf, "axes", _AXES_2D, {"sigma": 1.5}, ("axes",))
    add(gf, "output", _OUTPUT, {"sigma": 1.5})
    add(g1, "sigma", _SIGMA_1D, {"axis": -1})
    add(g1, "axis", _AXIS_1D, {"sigma": 1.5})
    add(g1, "order", _ORDER_1D, {"sigma": 1.5})
    add(g1, "cval", _CVAL, {"sigma": 1.5, "mode": "constant"})
    add(g1, "truncate", _TRUNCATE, {"sigma": 1.5})
    add(g1, "radius", _RADIUS_1D, {"sigma": 1.5}, ("radius",))
    add(g1, "output", _OUTPUT, {"sigma": 1.5})
    names = [form.name for form in forms]
    if len(names) != len(set(names)):
        raise ValueError("duplicate form names")
    return tuple(forms)


FORMS = _forms()


def all_forms() -> tuple[Form, ...]:
    """Every argument form, in a stable order."""
    return FORMS
