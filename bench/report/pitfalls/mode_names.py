"""Pitfall 7: border mode names differ across SciPy, numpy, OpenCV, scikit-image and Pillow.

The table is measured: each library's modes are applied to the same signal and matched by the
values they extend it with, not by their names.
"""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
from scipy import ndimage

from bench.oracle import MODE_ALIASES
from bench.oracle import MODES as ALL_MODES
from bench.report.model import Code
from bench.report.pitfalls import peers
from bench.report.pitfalls.base import Pitfall, run_snippet
from bench.report.tables import format_number, to_table

MODES = """
import cv2
import numpy as np
from scipy import ndimage

x = np.arange(1.0, 6.0)
one_hot = np.eye(7)  # a radius-3 kernel that picks one sample: output[0] reads x[-3..-1]
left = [ndimage.correlate1d(x, w, mode="reflect")[0] for w in one_hot[:3]]
print("scipy reflect      ", np.array(left))
print("np.pad symmetric   ", np.pad(x, 3, mode="symmetric")[:3])
print("np.pad reflect     ", np.pad(x, 3, mode="reflect")[:3])
print("cv2 BORDER_REFLECT ", cv2.copyMakeBorder(x[None], 0, 0, 3, 3, cv2.BORDER_REFLECT)[0, :3])
"""

#: the table's order: each classic mode, then the grid-* name SciPy maps onto it
_DISPLAY_ORDER = ("reflect", "mirror", "nearest", "wrap", "constant")
SCIPY_MODES = tuple(m for c in _DISPLAY_ORDER for m in ALL_MODES if MODE_ALIASES.get(m, m) == c)
NP_PAD_MODES = ("symmetric", "reflect", "edge", "wrap", "constant")
CV_BORDERS = (
    "BORDER_REFLECT",
    "BORDER_REFLECT_101",
    "BORDER_REPLICATE",
    "BORDER_WRAP",
    "BORDER_CONSTANT",
)


def scipy_extension(x: np.ndarray, radius: int, mode: str) -> np.ndarray:
    """The signal SciPy's filters see past both ends, read with one-hot kernels."""
    one_hot = np.eye(2 * radius + 1)
    left = [ndimage.correlate1d(x, w, mode=mode)[0] for w in one_hot[:radius]]
    right = [ndimage.correlate1d(x, w, mode=mode)[-1] for w in one_hot[radius + 1 :]]
    return np.concatenate([left, x, right])


def mode_table() -> tuple[pd.DataFrame, dict[str, object]]:
    """For each SciPy mode, the names that extend a signal identically in the other libraries.

    Every match is measured on a short ramp padded past its length; nothing is looked up.
    """
    x = np.arange(1.0, 6.0)
    radius = 3
    cv2 = peers.optional("cv2")
    skimage_filters = peers.optional("skimage.filters")
    pil = peers.optional("PIL.ImageFilter")
    facts: dict[str, object] = {}
    if skimage_filters is not None:
        facts["skimage_default"] = (
            inspect.signature(skimage_filters.gaussian).parameters["mode"].default
        )
    pillow_mode = _pillow_closest_mode() if pil is not None else None
    facts["pillow_closest"] = pillow_mode
    records = []
    for mode in SCIPY_MODES:
        extended = scipy_extension(x, radius, mode)
        np_names = [m for m in NP_PAD_MODES if np.array_equal(np.pad(x, radius, mode=m), extended)]
        cv_names = []
        if cv2 is not None:
            for name in CV_BORDERS:
                padded = cv2.copyMakeBorder(x[None], 0, 0, radius, radius, getattr(cv2, name))[0]
                if np.array_equal(padded, extended):
                    cv_names.append(_cv_name(cv2, name))
        if skimage_filters is None:
            sk = "unavailable"
        else:
            sk = _skimage_accepts(skimage_filters, mode)
        if pil is None:
            pillow = "unavailable"
        elif mode == pillow_mode:
            pillow = "no mode argument; its edges are closest to this (measured)"
        else:
            pillow = "-"
        records.append(
            {
                "SciPy mode": mode,
                "extension of 1 2 3 4 5": _extension_label(extended, radius),
                "np.pad": " = ".join(np_names) or "none",
                "OpenCV borderType": (" = ".join(cv_names) or "none")
                if cv2 is not None
                else "unavailable",
                "scikit-image": sk,
                "Pillow": pillow,
            }
        )
    return pd.DataFrame(records), facts


def _cv_name(cv2, name: str) -> str:
    label = f"cv2.{name}"
    if getattr(cv2, name) == cv2.BORDER_DEFAULT:
        label += " (BORDER_DEFAULT)"
    return label


def _skimage_accepts(skimage_filters, mode: str) -> str:
    """Whether skimage.filters.gaussian takes the SciPy name and gives SciPy's result."""
    img = np.arange(36.0).reshape(6, 6)
    try:
        got = skimage_filters.gaussian(img, sigma=1.5, mode=mode, preserve_range=True)
    except (ValueError, TypeError, RuntimeError) as exc:
        return f"rejected ({type(exc).__name__})"
    same = np.allclose(got, ndimage.gaussian_filter(img, 1.5, mode=mode), rtol=0, atol=1e-9)
    return "same name" if same else "accepted, different result"


def _extension_label(extended: np.ndarray, radius: int) -> str:
    def text(values: np.ndarray) -> str:
        return " ".join(format_number(float(v)) for v in values)

    return (
        f"{text(extended[:radius])} | {text(extended[radius:-radius])} | {text(extended[-radius:])}"
    )


def _pillow_closest_mode() -> str:
    """The SciPy mode whose border values are closest to Pillow's GaussianBlur."""
    from PIL import Image, ImageFilter

    img = np.random.default_rng(0).integers(0, 256, size=(64, 64)).astype(np.uint8)
    pillow = np.asarray(Image.fromarray(img).filter(ImageFilter.GaussianBlur(2)), dtype=np.float64)
    band = np.zeros(img.shape, dtype=bool)
    band[:4], band[-4:], band[:, :4], band[:, -4:] = True, True, True, True
    errors = {
        mode: float(
            np.abs(pillow - ndimage.gaussian_filter(img.astype(np.float64), 2, mode=mode))[
                band
            ].mean()
        )
        for mode in _DISPLAY_ORDER
    }
    return min(errors, key=errors.__getitem__)


def mode_names(frame: pd.DataFrame) -> Pitfall:
    """The same border rule has different names in every library."""
    _, code = (
        run_snippet(MODES)
        if peers.optional("cv2") is not None
        else (None, Code(MODES.strip() + "\n"))
    )
    table, facts = mode_table()
    default = facts.get("skimage_default")
    scipy_default = inspect.signature(ndimage.gaussian_filter).parameters["mode"].default
    parts = ["the same border rule goes by different names."] + [
        f"SciPy's {mode!r} is np.pad's "
        f"{_row(table, mode, 'np.pad')!r} and OpenCV's {_row(table, mode, 'OpenCV borderType')}."
        for mode in ("reflect", "mirror")
    ]
    if default is not None:
        parts.append(
            f"scikit-image's gaussian defaults to mode={default!r}, SciPy's to {scipy_default!r}."
        )
    parts.append("The table lists every match, each found by padding a ramp.")
    return Pitfall(
        "Mode names differ across libraries",
        code,
        " ".join(parts),
        "translate the mode by what it does, using the table, and pass it explicitly everywhere.",
        tables=(to_table(table, "Border modes: names that extend a signal the same way"),),
        numbers={"table": table, "scipy_default": scipy_default, **facts},
    )


def _row(table: pd.DataFrame, mode: str, column: str) -> str:
    return str(table.loc[table["SciPy mode"] == mode, column].iloc[0])
