"""Non-finite values: where NaN, +inf and -inf go, in every mode, dtype and derivative order.

Each :class:`NonFiniteCase` puts NaN or infinities into a finite image and is judged by the
pattern :func:`bench.oracle.nonfinite.nonfinite_pattern` predicts, by the finite pixels outside
it (as with the non-finite values replaced by 0), by the oracle's storage model for integer
outputs (x86-64), and by the record (``"nonfinite"`` in ``reference/data/scipy-*.json``).

Why: docs/verify.md#non-finite-values.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from reference.grid import MODES, make_pattern

#: Values a placement may put in.
VALUES = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
DTYPES = ("float64", "float32", "complex128")
INT_OUTPUTS = ("uint8", "int16", "int32", "int64")


@dataclasses.dataclass(frozen=True)
class NonFiniteCase:
    """One call ``gaussian_filter(input with non-finite values, sigma, ...)``.

    Parameters
    ----------
    case_id : str
        Stable id ``nonfinite/<what>/<dtype>/<mode>...``.
    shape, dtype
        The finite ``noise`` background (``reference.grid.make_pattern``).
    placements : tuple of (index, value, part)
        ``value`` a key of ``VALUES``; ``part`` ``"real"`` or ``"imag"`` (complex input only).
    sigma, order, mode, cval, truncate
        As for ``gaussian_filter``; ``cval`` may be NaN or infinite.
    output : str or None
        An integer output dtype name, or None (no ``output=``).
    """

    case_id: str
    shape: tuple[int, ...]
    dtype: str
    placements: tuple[tuple[tuple[int, ...], str, str], ...]
    sigma: float | tuple[float, ...] = 1.0
    order: int | tuple[int, ...] = 0
    mode: str = "reflect"
    cval: float = 0.0
    truncate: float = 4.0
    output: str | None = None

    def __post_init__(self) -> None:
        if not self.case_id.startswith("nonfinite/"):
            raise ValueError(f"case_id must start with 'nonfinite/', got {self.case_id!r}")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {DTYPES}, got {self.dtype!r}")
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")
        if self.output is not None and self.output not in INT_OUTPUTS:
            raise ValueError(f"output must be None or one of {INT_OUTPUTS}, got {self.output!r}")
        for index, value, part in self.placements:
            if value not in VALUES or part not in ("real", "imag"):
                raise ValueError(f"bad placement {(index, value, part)!r}")
            if part == "imag" and self.dtype != "complex128":
                raise ValueError("an 'imag' placement needs complex input")
            if len(index) != len(self.shape) or any(
                not 0 <= i < n for i, n in zip(index, self.shape, strict=True)
            ):
                raise ValueError(f"placement index {index} outside shape {self.shape}")

    def params(self) -> dict[str, Any]:
        """The case as JSON data (NaN/inf ``cval`` as a string, so the record stays strict JSON)."""
        data = dataclasses.asdict(self)
        del data["case_id"]
        data["cval"] = repr(self.cval)
        data["placements"] = [[list(i), v, p] for i, v, p in self.placements]
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in data.items()}

    def make_input(self) -> np.ndarray:
        data = make_pattern(self.shape, self.dtype, "noise")
        for index, value, part in self.placements:
            if part == "real":
                data.real[index] = VALUES[value]
            else:
                data.imag[index] = VALUES[value]
        return data

    def finite_input(self) -> np.ndarray:
        """The same input with every non-finite value replaced by 0."""
        data = self.make_input()
        if data.dtype.kind == "c":
            data.real[~np.isfinite(data.real)] = 0
            data.imag[~np.isfinite(data.imag)] = 0
        else:
            data[~np.isfinite(data)] = 0
        return data

    def kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "sigma": self.sigma,
            "order": self.order,
            "mode": self.mode,
            "cval": self.cval,
            "truncate": self.truncate,
        }
        if self.output is not None:
            kwargs["output"] = np.dtype(self.output)
        return kwargs

    def run(self, ndimage: Any, data: np.ndarray | None = None) -> np.ndarray:
        """``gaussian_filter`` on this case's input (or on ``data``), warnings silenced."""
        with np.errstate(all="ignore"):
            return np.asarray(
                ndimage.gaussian_filter(
                    self.make_input() if data is None else data, **self.kwargs()
                )
            )


def _case(
    name: str,
    dtype: str,
    places: list[tuple[tuple[int, ...], str]],
    mode: str,
    shape: tuple[int, ...] = (9, 11),
    **kw: Any,
) -> NonFiniteCase:
    placements = tuple((i, v, "real") for i, v in places)
    return NonFiniteCase(
        f"nonfinite/{name}/{dtype}/{mode}", shape, dtype, placements, mode=mode, **kw
    )


# Placements on a 9x11 image at sigma 1 (radius 4): each footprint reaches the border, so every
# mode's extension rule decides which border pixels a border value reaches again.
_PLACES: dict[str, list[tuple[tuple[int, ...], str]]] = {
    "nan-interior": [((4, 5), "nan")],
    "inf-corner": [((0, 0), "inf")],
    "-inf-edge": [((8, 6), "-inf")],
    "cluster": [((3, 4), "nan"), ((3, 5), "inf"), ((4, 4), "-inf"), ((4, 5), "inf")],
    "opposite-infs": [((2, 2), "inf"), ((6, 8), "-inf")],
}


def _grid() -> list[NonFiniteCase]:
    cases: list[NonFiniteCase] = []
    add = cases.append
    for dtype in DTYPES:
        for mode in MODES:
            for name, places in _PLACES.items():
                add(_case(name, dtype, places, mode))
    # A NaN/inf cval on finite input: the constant modes bring it in at every border pixel
    # within the radius; nearest must ignore it.
    for dtype in DTYPES:
        for mode in ("constant", "grid-constant", "nearest"):
            for value in VALUES:
                add(_case(f"cval-{value}", dtype, [], mode, cval=VALUES[value]))
    # Complex: the real and imaginary parts are filtered separately, so a NaN in one part
    # leaves the other finite.
    for part in ("real", "imag"):
        add(
            NonFiniteCase(
                f"nonfinite/nan-{part}-part/complex128/reflect",
                (9, 11),
                "complex128",
                (((4, 5), "nan", part), ((0, 10), "inf", part)),
            )
        )
    # Derivatives: odd orders have an exact 0 at the centre (0 * inf = NaN at the pixel itself);
    # order 2 has exact zeros at x = +-sigma for integral sigma 1..3 but not 5 (SciPy's weight
    # there rounds to 5e-20); signs alternate, so one inf gives both +inf and -inf.
    for order, sigma in ((1, 1.0), (2, 1.0), (2, 3.0), (2, 5.0), (3, 1.0), (1, 2.5)):
        for value in ("inf", "nan"):
            for dtype in ("float64", "float32"):
                add(
                    _case(
                        f"order{order}-sigma{sigma}-{value}",
                        dtype,
                        [((30,), value)],
                        "reflect",
                        shape=(61,),
                        sigma=sigma,
                        order=order,
                    )
                )
    add(_case("order0,1-cluster", "float64", _PLACES["cluster"], "wrap", order=(0, 1)))
    add(
        _case(
            "order2,1-opposite",
            "float32",
            _PLACES["opposite-infs"],
            "mirror",
            order=(2, 1),
            sigma=(1.0, 2.0),
        )
    )
    add(_case("order1-cval-inf", "float64", [], "constant", order=1, cval=math.inf))
    # Order 0 weights underflow to exactly 0 far out in the tail (truncate=40): there 0 * inf.
    add(
        _case(
            "underflow-truncate40-inf",
            "float64",
            [((20,), "inf")],
            "reflect",
            shape=(41,),
            truncate=40.0,
        )
    )
    # A skipped axis (sigma 0) keeps the pattern on that axis; 3-D spreads in a box.
    add(_case("sigma-0,1", "float64", _PLACES["nan-interior"], "reflect", sigma=(0.0, 1.0)))
    add(
        _case(
            "3d-box", "float32", [((2, 3, 4), "nan"), ((0, 0, 0), "-inf")], "wrap", shape=(5, 6, 7)
        )
    )
    # Integer outputs from float input with NaN/inf: SciPy stores each pass in the output dtype,
    # so a NaN becomes an integer after the first pass and the second pass spreads that value.
    for out in INT_OUTPUTS:
        for name in ("nan-interior", "cluster"):
            add(_case(f"{name}-to-{out}", "float64", _PLACES[name], "reflect", output=out))
    add(
        _case("inf-1d-to-uint8", "float32", [((7,), "inf")], "nearest", shape=(15,), output="uint8")
    )
    return cases


def nonfinite_cases() -> tuple[NonFiniteCase, ...]:
    """All non-finite cases in a stable order; ids are checked to be unique."""
    cases = _grid()
    ids = [case.case_id for case in cases]
    if len(ids) != len(set(ids)):
        raise ValueError("duplicate non-finite case ids")
    return tuple(cases)


def observe_nonfinite(case: NonFiniteCase, ndimage: Any) -> dict[str, Any]:
    """What one case gives: the pattern (per part for complex), dtype, shape, SHA-256."""
    from bench.oracle.nonfinite import classes_of, render
    from reference.grid import sha256_of

    try:
        output = case.run(ndimage)
    except Exception as exc:  # a case that raises is an observation too
        return {"exception": type(exc).__name__, "message": str(exc)}
    if output.dtype.kind == "c":
        pattern = {"real": render(classes_of(output.real)), "imag": render(classes_of(output.imag))}
    else:
        pattern = {"real": render(classes_of(output))}
    return {
        "dtype": output.dtype.name,
        "shape": list(output.shape),
        "pattern": pattern,
        "sha256": sha256_of(output),
    }


def predicted_pattern(case: NonFiniteCase) -> dict[str, str]:
    """The oracle's pattern for a float/complex case, per part."""
    from bench.oracle.nonfinite import classes_of, nonfinite_pattern, render

    data = case.make_input()
    cval = complex(case.cval)
    parts = {"real": (data.real, cval.real)}
    if data.dtype.kind == "c":
        parts["imag"] = (data.imag, cval.imag)
    return {
        part: render(
            nonfinite_pattern(
                classes_of(values), case.sigma, case.order, case.mode, fill, case.truncate
            )
        )
        for part, (values, fill) in parts.items()
    }
