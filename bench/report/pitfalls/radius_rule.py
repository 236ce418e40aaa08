"""Pitfall 8: SciPy's radius rule (``truncate``) vs OpenCV's automatic ksize.

``scipy_taps`` (SciPy's kernel length) is shared with the small-sigma pitfall.
"""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pandas as pd
from scipy import ndimage

from bench.report.model import Code
from bench.report.pitfalls import peers
from bench.report.pitfalls.base import Pitfall, representative_sigma, run_sigmas, run_snippet
from bench.report.tables import format_number, to_table

RADIUS = """
import cv2
import numpy as np
from scipy import ndimage

sigma = {sigma}
impulse = np.zeros(101)
impulse[50] = 1.0
taps = np.count_nonzero(ndimage.gaussian_filter1d(impulse, sigma, mode="constant"))
print("SciPy taps:", taps, "= 2 * int(4 * sigma + 0.5) + 1 =", 2 * int(4 * sigma + 0.5) + 1)

img = np.random.default_rng(0).random((64, 64))
auto = cv2.GaussianBlur(img, (0, 0), sigma)
same = [k for k in range(1, 99, 2) if np.array_equal(cv2.GaussianBlur(img, (k, k), sigma), auto)]
ksize = same[0]
print("OpenCV float64 automatic ksize:", ksize)
"""

RADIUS_FIX = """
import cv2
import numpy as np
from scipy import ndimage

sigma = {sigma}
img = np.random.default_rng(0).random((64, 64))
size = 2 * int(4.0 * sigma + 0.5) + 1  # SciPy's kernel length for truncate=4
matched = cv2.GaussianBlur(img, (size, size), sigma, borderType=cv2.BORDER_REFLECT)
print(f"{{np.abs(matched - ndimage.gaussian_filter(img, sigma)).max():.1e}}")
"""


def opencv_auto_ksize(cv2, img: np.ndarray, sigma: float) -> list[int]:
    """The odd ksizes whose result equals OpenCV's ``ksize=(0, 0)`` result (measured)."""
    auto = cv2.GaussianBlur(img, (0, 0), sigma)
    limit = int(2 * 8 * sigma + 5)
    return [
        k for k in range(1, limit, 2) if np.array_equal(cv2.GaussianBlur(img, (k, k), sigma), auto)
    ]


def opencv_formula_ksize(sigma: float, uint8: bool) -> int:
    """OpenCV's rule, ``cvRound(sigma*(depth == CV_8U ? 3 : 4)*2 + 1)|1`` (createGaussianKernels,
    modules/imgproc/src/smooth.dispatch.cpp); Python's round() is half-to-even like cvRound."""
    return round(sigma * (3 if uint8 else 4) * 2 + 1) | 1


def scipy_taps(sigma: float, truncate: float = 4.0) -> int:
    """SciPy's kernel length, counted from the response to an impulse."""
    radius_guess = int(truncate * sigma + 0.5) + 2
    impulse = np.zeros(2 * radius_guess + 1)
    impulse[radius_guess] = 1.0
    out = ndimage.gaussian_filter1d(impulse, sigma, mode="constant", truncate=truncate)
    return int(np.count_nonzero(out))


def radius_rule(frame: pd.DataFrame) -> Pitfall:
    """SciPy keeps 4 sigma (truncate) either side; OpenCV's automatic ksize keeps 3 or 4."""
    cv2 = peers.optional("cv2")
    sigmas = run_sigmas(frame, (0.5, 1.0, 2.5, 5.0))
    sigma = representative_sigma(frame)
    if cv2 is None:
        code = Code(textwrap.dedent(RADIUS.format(sigma=sigma)).strip() + "\n")
        return Pitfall(
            "SciPy's radius rule vs OpenCV's automatic ksize",
            code,
            "OpenCV is unavailable here, so its automatic kernel size could not be measured.",
            "pass OpenCV an explicit ksize of 2*int(truncate*sigma + 0.5) + 1.",
        )
    rng = np.random.default_rng(0)
    img64 = rng.random((64, 64))
    img8 = rng.integers(0, 256, size=(64, 64)).astype(np.uint8)
    records = []
    for s in sigmas:
        measured64 = opencv_auto_ksize(cv2, img64, s)
        rule8 = opencv_formula_ksize(s, uint8=True)
        auto_ref = cv2.GaussianBlur(img64, (0, 0), s)
        scipy_ref = ndimage.gaussian_filter(img64, s, mode="reflect")
        margin = scipy_taps(s) // 2
        inner = (slice(margin, -margin or None),) * 2
        records.append(
            {
                "sigma": s,
                "SciPy taps (truncate 4)": scipy_taps(s),
                "OpenCV float64 ksize (measured)": measured64[0] if measured64 else math.nan,
                "OpenCV uint8 ksize (source rule)": rule8,
                "uint8 rule reproduces auto": rule8 in opencv_auto_ksize(cv2, img8, s),
                "uint8 auto vs SciPy length, pixels differing (%)": 100.0
                * float(
                    np.mean(
                        cv2.GaussianBlur(img8, (0, 0), s)
                        != cv2.GaussianBlur(img8, (scipy_taps(s),) * 2, s)
                    )
                ),
                "float64 auto vs SciPy, interior max diff": float(
                    np.abs(auto_ref - scipy_ref)[inner].max()
                )
                if img64.shape[0] > 2 * margin
                else math.nan,
            }
        )
    table = pd.DataFrame(records)
    # Speak about the sigma where OpenCV's shorter uint8 kernel changes the most pixels.
    changed = table["uint8 auto vs SciPy length, pixels differing (%)"]
    at = table.loc[changed.idxmax()] if changed.max() > 0 else table.iloc[-1]
    sigma = float(at["sigma"])
    ns, code = run_snippet(RADIUS.format(sigma=sigma))
    fix_ns, fix_code = run_snippet(RADIUS_FIX.format(sigma=sigma))
    # How many sigmas OpenCV's kernel reaches either side, from its measured length.
    reach64 = (float(at["OpenCV float64 ksize (measured)"]) - 1) / 2 / sigma
    reach8 = (float(at["OpenCV uint8 ksize (source rule)"]) - 1) / 2 / sigma
    fixed = float(
        fix_ns["matched"].size
        and np.abs(fix_ns["matched"] - ndimage.gaussian_filter(fix_ns["img"], sigma)).max()
    )
    return Pitfall(
        "SciPy's radius rule vs OpenCV's automatic ksize",
        code,
        f"SciPy keeps int(truncate*sigma + 0.5) samples either side (round half up; "
        f"truncate=4). OpenCV with ksize=(0, 0) reaches {reach64:.3g} sigma either side for "
        f"float64 (measured) and {reach8:.3g} sigma for uint8 (its source's rule, which "
        f"reproduces its results). At sigma {format_number(at['sigma'])} SciPy uses "
        f"{at['SciPy taps (truncate 4)']} taps, OpenCV "
        f"{format_number(at['OpenCV float64 ksize (measured)'])} for float64 and "
        f"{at['OpenCV uint8 ksize (source rule)']} for uint8; the float64 results differ by "
        f"{format_number(at['float64 auto vs SciPy, interior max diff'])} in the interior, and "
        f"{format_number(at['uint8 auto vs SciPy length, pixels differing (%)'])}% of uint8 "
        f"pixels change when OpenCV is given SciPy's kernel length.",
        f"pass ksize=(2*r + 1, 2*r + 1) with SciPy's r and a matching borderType: the results then "
        f"agree to {fixed:.1e}.",
        fix_code,
        tables=(to_table(table, "Kernel length per sigma of this run"),),
        numbers={
            "table": table,
            "fixed": fixed,
            "snippet_taps": int(ns["taps"]),
            "reach64": reach64,
            "reach8": reach8,
        },
    )
