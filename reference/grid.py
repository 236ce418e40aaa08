"""The deterministic golden grid: which calls of ``gaussian_filter`` are pinned, on which inputs.

Every case is a frozen :class:`GoldenCase`. Its id is stable and readable
(``family/detail``), so a failure names something a person can rerun. Inputs come from an integer
hash, not from a random generator, so they are identical on every numpy version and platform
(numpy does not promise stable ``Generator`` streams across versions).

The grid is small on purpose (a few hundred arrays of at most a few hundred elements): it must
run in seconds, and each case still exercises one behaviour worth pinning.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Callable
from typing import Any

import numpy as np

#: Every boundary mode of ``scipy.ndimage`` filters.
MODES = (
    "reflect",
    "constant",
    "nearest",
    "mirror",
    "wrap",
    "grid-mirror",
    "grid-constant",
    "grid-wrap",
)
#: The input dtypes the issue asks for.
DTYPES = ("float64", "float32", "uint8", "uint16", "int16", "int32", "complex128")
PATTERNS = ("noise", "impulse", "ramp")
#: How ``output=`` is given: a dtype object, a scalar type, a string name or a preallocated array.
OUTPUT_FORMS = ("dtype", "type", "str", "array")


@dataclasses.dataclass(frozen=True)
class GoldenCase:
    """One pinned call ``gaussian_filter(input, sigma, ...)``.

    Parameters
    ----------
    case_id : str
        Stable, unique, readable id: ``family/detail``.
    shape, dtype, pattern
        The input: its shape, its dtype name and which deterministic pattern fills it.
    sigma, order, mode, cval, truncate, radius, axes
        Passed to ``gaussian_filter`` as given (``radius``/``axes`` only when not None).
    output_form, output_dtype
        ``output=`` given as ``output_form`` (one of ``OUTPUT_FORMS``) of ``output_dtype``;
        both None means ``output`` is not passed.
    """

    case_id: str
    shape: tuple[int, ...]
    dtype: str
    sigma: float | tuple[float, ...]
    pattern: str = "noise"
    order: int | tuple[int, ...] = 0
    mode: str | tuple[str, ...] = "reflect"
    cval: float = 0.0
    truncate: float = 4.0
    radius: int | tuple[int, ...] | None = None
    axes: tuple[int, ...] | None = None
    output_form: str | None = None
    output_dtype: str | None = None

    def __post_init__(self) -> None:
        if "/" not in self.case_id:
            raise ValueError(f"case_id must look like 'family/detail', got {self.case_id!r}")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {DTYPES}, got {self.dtype!r}")
        if self.pattern not in PATTERNS:
            raise ValueError(f"pattern must be one of {PATTERNS}, got {self.pattern!r}")
        modes = self.mode if isinstance(self.mode, tuple) else (self.mode,)
        if any(m not in MODES for m in modes):
            raise ValueError(f"mode must be among {MODES}, got {self.mode!r}")
        if (self.output_form is None) != (self.output_dtype is None):
            raise ValueError("output_form and output_dtype are given together or not at all")
        if self.output_form is not None and self.output_form not in OUTPUT_FORMS:
            raise ValueError(f"output_form must be one of {OUTPUT_FORMS}, got {self.output_form!r}")
        if any(n < 0 for n in self.shape):
            raise ValueError(f"shape must be non-negative, got {self.shape}")

    @property
    def family(self) -> str:
        return self.case_id.split("/", 1)[0]

    @property
    def requires(self) -> tuple[str, ...]:
        """Keyword features of ``gaussian_filter`` this case needs (see ``probes.capabilities``)."""
        needed = []
        if self.radius is not None:
            needed.append("radius")
        if self.axes is not None:
            needed.append("axes")
        return tuple(needed)

    def params(self) -> dict[str, Any]:
        """The case as plain JSON-serialisable data (stored next to its golden output)."""
        data = dataclasses.asdict(self)
        del data["case_id"]
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in data.items()}

    def make_input(self) -> np.ndarray:
        """The input array: identical on every platform and numpy version."""
        return make_pattern(self.shape, self.dtype, self.pattern)

    def output_argument(self) -> Any:
        """A fresh ``output=`` argument in the case's form (None when not given)."""
        if self.output_form is None:
            return None
        dtype = np.dtype(self.output_dtype)
        return {
            "dtype": lambda: dtype,
            "type": lambda: dtype.type,
            "str": lambda: self.output_dtype,
            "array": lambda: np.zeros(self.shape, dtype=dtype),
        }[self.output_form]()

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``gaussian_filter`` after ``input`` (a fresh output each call)."""
        kwargs: dict[str, Any] = {
            "sigma": self.sigma,
            "order": self.order,
            "mode": self.mode,
            "cval": self.cval,
            "truncate": self.truncate,
        }
        if self.output_form is not None:
            kwargs["output"] = self.output_argument()
        if self.radius is not None:
            kwargs["radius"] = self.radius
        if self.axes is not None:
            kwargs["axes"] = self.axes
        return kwargs

    def run(self, gaussian_filter: Callable[..., Any]) -> np.ndarray:
        """Call ``gaussian_filter`` on this case's input and return the filtered array."""
        kwargs = self.kwargs()
        result = gaussian_filter(self.make_input(), **kwargs)
        # SciPy returns the output array; an implementation returning None for an output
        # array would still be judged on what it wrote there.
        if result is None and isinstance(kwargs.get("output"), np.ndarray):
            result = kwargs["output"]
        return np.asarray(result)

    def oracle_output(self) -> Any:
        """``output=`` for the oracle's storage model: the dtype SciPy stores each pass in."""
        return None if self.output_dtype is None else np.dtype(self.output_dtype)


def make_pattern(shape: tuple[int, ...], dtype: str, pattern: str) -> np.ndarray:
    """Deterministic input values, exactly representable in every supported dtype.

    ``noise`` is a multiplicative integer hash of the flat index (0..255 for unsigned dtypes,
    -128..127 otherwise, so that signed truncation toward zero is exercised); ``impulse`` is
    100 at the centre and 0 elsewhere; ``ramp`` counts 0..255 along the flat index.
    """
    size = math.prod(shape)
    index = np.arange(size, dtype=np.int64)
    if pattern == "noise":
        values = ((index + 1) * 2654435761 % 2**32) >> 24
        imag = ((index + 7) * 2246822519 % 2**32) >> 24
        if not dtype.startswith("uint"):
            values = values - 128
            imag = imag - 128
    elif pattern == "impulse":
        values = np.zeros(size, dtype=np.int64)
        if size:
            values[np.ravel_multi_index(tuple(n // 2 for n in shape), shape)] = 100
        imag = values[::-1].copy()
    else:
        values = index % 256
        imag = (index * 3) % 256
    array = values.astype(dtype)
    if np.dtype(dtype).kind == "c":
        array = array + 1j * imag.astype(np.float64)
    return array.astype(dtype).reshape(shape)


def sha256_of(array: np.ndarray) -> str:
    """SHA-256 of the array's values, little-endian and C-ordered (platform-independent bytes)."""
    array = np.ascontiguousarray(array)
    little = array.astype(array.dtype.newbyteorder("<"), copy=False)
    return hashlib.sha256(little.tobytes()).hexdigest()


def _grid() -> list[GoldenCase]:
    cases: list[GoldenCase] = []
    add = cases.append

    # Every mode x every dtype on a small 2-D image whose kernel (radius 6) is wider than
    # the short axis, so each mode's extension rule is used well beyond the first pixel.
    for dtype in DTYPES:
        for mode in MODES:
            add(GoldenCase(f"modes/{dtype}/{mode}", (9, 11), dtype, 1.5, mode=mode))

    # cval != 0 in the modes that use it (and in one that must ignore it).
    for dtype in ("float64", "float32", "uint8", "int16", "complex128"):
        for mode in ("constant", "grid-constant", "nearest"):
            add(GoldenCase(f"cval/{dtype}/{mode}", (8, 7), dtype, 1.0, mode=mode, cval=37.5))

    # The radius rule r = int(truncate*sigma + 0.5). truncate*sigma values chosen where
    # round-half-up, ceil and round-half-even disagree (2.4: 2/3/2, 2.5: 3/3/2, 4.5: 5/5/4,
    # 2.2: 2/3/2, 3.5: 4/4/4, 4.4: 4/5/4); an impulse makes the support directly visible.
    for sigma, label in (
        (0.6, "2.4"),
        (0.625, "2.5"),
        (1.125, "4.5"),
        (0.55, "2.2"),
        (0.875, "3.5"),
        (1.1, "4.4"),
    ):
        for dtype in ("float64", "float32", "uint16"):
            add(
                GoldenCase(
                    f"radius-rule/{label}/{dtype}/1d",
                    (15,),
                    dtype,
                    sigma,
                    "impulse",
                    mode="constant",
                )
            )
        add(
            GoldenCase(
                f"radius-rule/{label}/float64/2d",
                (13, 13),
                "float64",
                sigma,
                "impulse",
                mode="constant",
            )
        )

    # truncate: narrower and wider supports than the default.
    for truncate in (1.0, 2.0, 3.5, 6.0):
        for dtype in ("float64", "int16"):
            add(GoldenCase(f"truncate/{truncate}/{dtype}", (10, 12), dtype, 2.0, truncate=truncate))

    # sigma sequences, including a zero, a negative and a sub-1e-15 sigma (those axes are skipped).
    sigma_sets = {
        "0.5,2.5": (0.5, 2.5),
        "0,1.5": (0.0, 1.5),
        "2,1e-16": (2.0, 1e-16),
        "1,-1": (1.0, -1.0),
        "3,0.7": (3.0, 0.7),
    }
    for label, sigma in sigma_sets.items():
        for dtype in ("float64", "uint16", "complex128"):
            add(GoldenCase(f"sigma-seq/{label}/{dtype}", (9, 10), dtype, sigma))
    add(GoldenCase("sigma-seq/3d/float64", (5, 6, 7), "float64", (1.0, 0.7, 2.0)))
    add(GoldenCase("sigma-seq/3d/uint8", (5, 6, 7), "uint8", (1.0, 0.7, 2.0)))

    # Derivative orders; signed and float outputs keep negative values, uint8 wraps them.
    for order in (1, 2):
        for dtype in ("float64", "float32", "int16", "int32"):
            for mode in ("reflect", "nearest", "wrap"):
                add(
                    GoldenCase(
                        f"order/{order}/{dtype}/{mode}", (8, 9), dtype, 1.2, order=order, mode=mode
                    )
                )
    add(GoldenCase("order/0,1/float64", (8, 9), "float64", 1.2, order=(0, 1)))
    add(GoldenCase("order/2,1/float64", (8, 9), "float64", (1.2, 0.8), order=(2, 1)))
    add(GoldenCase("order/1,0/int16", (8, 9), "int16", 1.2, order=(1, 0)))
    add(GoldenCase("order/3/float64", (21,), "float64", 2.0, "impulse", order=3, mode="constant"))
    add(GoldenCase("order/1/uint8-wraps", (6, 7), "uint8", 1.0, "ramp", order=1))
    add(GoldenCase("order/1/complex128", (8, 9), "complex128", 1.2, order=1))

    # Mode sequences (one mode per axis).
    add(
        GoldenCase(
            "mode-seq/reflect,wrap/float64", (7, 8), "float64", 1.0, mode=("reflect", "wrap")
        )
    )
    add(
        GoldenCase(
            "mode-seq/constant,nearest/float64",
            (7, 8),
            "float64",
            1.3,
            mode=("constant", "nearest"),
            cval=-4.0,
        )
    )
    add(
        GoldenCase(
            "mode-seq/mirror,grid-wrap/uint8", (7, 8), "uint8", 1.3, mode=("mirror", "grid-wrap")
        )
    )

    # Shapes: 1-D, 3-D and degenerate ones (length-1 axes, lines far shorter than the kernel).
    for dtype in ("float64", "float32", "int32"):
        add(GoldenCase(f"shape/1d-50/{dtype}", (50,), dtype, 3.0))
        add(GoldenCase(f"shape/3d/{dtype}", (5, 6, 7), dtype, 1.0))
    for mode in MODES:
        add(GoldenCase(f"short-line/len3/{mode}", (3,), "float64", 2.0, mode=mode, cval=5.0))
        add(GoldenCase(f"short-line/len1/{mode}", (1,), "float64", 1.0, mode=mode, cval=5.0))
        add(GoldenCase(f"short-line/2x5-sigma4/{mode}", (2, 5), "float32", 4.0, mode=mode))
        add(GoldenCase(f"short-line/len40-sigma10/{mode}", (40,), "float64", 10.0, mode=mode))
    add(GoldenCase("degenerate/1x9/float64", (1, 9), "float64", 1.5))
    add(GoldenCase("degenerate/9x1/uint8", (9, 1), "uint8", 1.5))
    add(GoldenCase("degenerate/1x1x1/float64", (1, 1, 1), "float64", 1.0))
    add(GoldenCase("degenerate/0x5/float64", (0, 5), "float64", 1.0))
    add(GoldenCase("degenerate/4x0/uint8", (4, 0), "uint8", 1.0))

    # output= given in every form, including conversions between dtypes.
    for form in OUTPUT_FORMS:
        add(
            GoldenCase(
                f"output/{form}/float64->float32",
                (8, 9),
                "float64",
                1.5,
                output_form=form,
                output_dtype="float32",
            )
        )
        add(
            GoldenCase(
                f"output/{form}/uint8->float64",
                (8, 9),
                "uint8",
                1.5,
                output_form=form,
                output_dtype="float64",
            )
        )
        add(
            GoldenCase(
                f"output/{form}/float64->int16",
                (8, 9),
                "float64",
                1.5,
                output_form=form,
                output_dtype="int16",
            )
        )
    add(
        GoldenCase(
            "output/array/float32->uint8",
            (8, 9),
            "float32",
            1.5,
            "ramp",
            output_form="array",
            output_dtype="uint8",
        )
    )
    add(
        GoldenCase(
            "output/array/complex128",
            (8, 9),
            "complex128",
            1.5,
            output_form="array",
            output_dtype="complex128",
        )
    )
    add(
        GoldenCase(
            "output/str/int32->float32",
            (8, 9),
            "int32",
            1.5,
            output_form="str",
            output_dtype="float32",
        )
    )

    # radius= (SciPy >= 1.10): overrides truncate, per axis too, and radius 0 copies the axis.
    for radius in (0, 1, 3):
        add(GoldenCase(f"radius/{radius}/float64", (9, 10), "float64", 1.5, radius=radius))
    add(GoldenCase("radius/2,5/float64", (9, 10), "float64", (0.5, 2.5), radius=(2, 5)))
    add(GoldenCase("radius/4/uint8", (9, 10), "uint8", 2.0, radius=4))
    add(
        GoldenCase(
            "radius/2/float32-truncate-ignored", (9, 10), "float32", 2.0, radius=2, truncate=100.0
        )
    )

    # axes= (SciPy >= 1.11): a subset of axes, negative axes, per-axis sequences.
    add(GoldenCase("axes/0/float64", (5, 6, 7), "float64", 1.5, axes=(0,)))
    add(GoldenCase("axes/-1/uint8", (5, 6, 7), "uint8", 1.5, axes=(-1,)))
    add(
        GoldenCase(
            "axes/2,0/float64",
            (5, 6, 7),
            "float64",
            (1.0, 2.0),
            axes=(2, 0),
            mode=("wrap", "nearest"),
            order=(1, 0),
        )
    )
    add(
        GoldenCase("axes/1,2/float32-radius", (5, 6, 7), "float32", 1.5, axes=(1, 2), radius=(1, 3))
    )
    return cases


def golden_cases() -> tuple[GoldenCase, ...]:
    """All golden cases, in a stable order; ids are checked to be unique."""
    cases = _grid()
    seen: set[str] = set()
    for case in cases:
        if case.case_id in seen:
            raise ValueError(f"duplicate golden case id {case.case_id!r}")
        seen.add(case.case_id)
    return tuple(cases)
