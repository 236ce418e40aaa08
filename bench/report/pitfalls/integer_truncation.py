"""Pitfall 1: integer outputs are truncated after each pass, so uint8 results drift darker.

Also the run's own integer bias (``run_integer_bias``) and the per-pixel error samples of the
report's integer-error plot (``integer_error_samples``), which measure the same truncation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import ndimage

from bench.report import frames
from bench.report.pitfalls import peers
from bench.report.pitfalls.base import (
    DEFAULT_SIGMA,
    Pitfall,
    representative_sigma,
    run_sigmas,
    run_snippet,
)
from bench.report.tables import format_number, to_table

TRUNCATION = """
import numpy as np
from scipy import ndimage

flat = np.full((64, 64), 100, dtype=np.uint8)
blurred = ndimage.gaussian_filter(flat, sigma={sigma})
print("constant 100 comes back as", np.unique(blurred))

rng = np.random.default_rng(0)
img = rng.integers(0, 256, size=(256, 256)).astype(np.uint8)
ideal = ndimage.gaussian_filter(img.astype(np.float64), sigma={sigma})
error = ndimage.gaussian_filter(img, sigma={sigma}) - ideal
print(f"mean error {{error.mean():+.3f}} grey levels, worst {{np.abs(error).max():.3f}}")
"""

TRUNCATION_FIX = """
import numpy as np
from scipy import ndimage

rng = np.random.default_rng(0)
img = rng.integers(0, 256, size=(256, 256)).astype(np.uint8)
ideal = ndimage.gaussian_filter(img.astype(np.float64), sigma={sigma})
# compute in floating point, round once, clip, then store as uint8
smooth = ndimage.gaussian_filter(img, sigma={sigma}, output=np.float32)
fixed = np.clip(np.rint(smooth), 0, 255).astype(np.uint8)
error = fixed - ideal
print(f"mean error {{error.mean():+.3f}} grey levels, worst {{np.abs(error).max():.3f}}")
"""


def constant_drift(sigmas: list[float]) -> pd.DataFrame:
    """What a constant uint8 image of 100 becomes at each sigma (min and max of the output)."""
    records = []
    for s in sigmas:
        out = ndimage.gaussian_filter(np.full((64, 64), 100, dtype=np.uint8), s)
        records.append({"sigma": s, "min": int(out.min()), "max": int(out.max())})
    return pd.DataFrame(records)


def integer_truncation(frame: pd.DataFrame) -> Pitfall:
    """Integer outputs are truncated toward zero after every axis pass."""
    drift = constant_drift(sorted(set(run_sigmas(frame, ())) | {DEFAULT_SIGMA}))
    # Demonstrate at the sigma that drifts most (ties: the first, i.e. the smallest sigma).
    sigma = float(drift.loc[drift["min"].idxmin(), "sigma"])
    ns, code = run_snippet(TRUNCATION.format(sigma=sigma))
    fix_ns, fix_code = run_snippet(TRUNCATION_FIX.format(sigma=sigma))
    flat_values = [int(v) for v in np.unique(ns["blurred"])]
    bias = float(ns["error"].mean())
    worst = float(np.abs(ns["error"]).max())
    fixed_bias = float(fix_ns["error"].mean())
    fixed_worst = float(np.abs(fix_ns["error"]).max())
    if min(flat_values) < 100:
        flat_text = (
            f"at sigma {sigma:g} a constant uint8 image of 100 comes back as "
            f"{', '.join(map(str, flat_values))}: each of the two passes stores its result in "
            f"uint8 and truncates toward zero, so the image darkens"
        )
    else:
        flat_text = (
            f"a constant uint8 image of 100 stays {', '.join(map(str, flat_values))} at every "
            f"sigma tried (the table), because these kernels' weights happen to round well"
        )
    drifting = drift[drift["min"] < 100]
    consequence = (
        f"{flat_text}; {len(drifting)} of the {len(drift)} sigmas in the table darken it. "
        f"On random 0..255 data at sigma {sigma:g} the mean error is {bias:+.3f} grey levels "
        f"and the worst {worst:.3f}. {_run_bias_sentence(frame)}"
    )
    fix = (
        f"filter into a floating-point output and round once: the mean error becomes "
        f"{fixed_bias:+.3f} grey levels and the worst {fixed_worst:.3f} (at most half a grey level "
        f"plus float32 rounding)."
    )
    return Pitfall(
        "Integer outputs are truncated after each pass",
        code,
        consequence,
        fix,
        fix_code,
        tables=(
            to_table(
                drift.rename(columns={"min": "darkest pixel", "max": "brightest pixel"}),
                "A constant uint8 image of 100 after gaussian_filter, per sigma (this run's "
                "sigmas and the default)",
            ),
        ),
        numbers={
            "drift": drift,
            "sigma": sigma,
            "constant_100": flat_values,
            "bias": bias,
            "worst": worst,
            "fixed_bias": fixed_bias,
            "fixed_worst": fixed_worst,
            **run_integer_bias(frame),
        },
    )


def run_integer_bias(frame: pd.DataFrame) -> dict[str, float]:
    """The run's uint8 bias per implementation (order 0): mean, min, max and worst grey levels."""
    rows = frames.accuracy_rows(frame)
    rows = rows[~frames.derivative_mask(rows)]
    rows = rows[(rows["dtype"] == "uint8") & rows["bias"].notna()]
    found: dict[str, float] = {}
    for impl, group in rows.groupby("impl"):
        found[f"run_bias_mean[{impl}]"] = float(group["bias"].mean())
        found[f"run_bias_min[{impl}]"] = float(group["bias"].min())
        found[f"run_bias_max[{impl}]"] = float(group["bias"].max())
        found[f"run_cases[{impl}]"] = len(group)
        found[f"run_worst_grey[{impl}]"] = float(group["max_grey_levels"].max())
    return found


def _run_bias_sentence(frame: pd.DataFrame) -> str:
    numbers = run_integer_bias(frame)
    impls = sorted({key[key.index("[") + 1 : -1] for key in numbers})
    if not impls:
        return "This run holds no order-0 uint8 rows with an accuracy measurement to compare with."
    parts = []
    for impl in impls:
        parts.append(
            f"{impl}: mean bias {numbers[f'run_bias_mean[{impl}]']:+.3f} "
            f"(from {numbers[f'run_bias_min[{impl}]']:+.3f} to "
            f"{numbers[f'run_bias_max[{impl}]']:+.3f} over {numbers[f'run_cases[{impl}]']} cases), "
            f"worst {format_number(numbers[f'run_worst_grey[{impl}]'])} grey levels"
        )
    return "In this run's uint8 blur rows (order 0), " + "; ".join(parts) + "."


def integer_error_samples(frame: pd.DataFrame) -> tuple[dict[str, np.ndarray], str]:
    """Per-pixel signed errors (grey levels) of SciPy uint8, OpenCV uint8 and correct rounding.

    OpenCV gets SciPy's kernel length and its ``reflect`` border, so the histograms differ
    only in how each stores its result.
    """
    sigma = representative_sigma(frame)
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, size=(256, 256)).astype(np.uint8)
    ideal = ndimage.gaussian_filter(img.astype(np.float64), sigma)
    errors = {
        "SciPy uint8": ndimage.gaussian_filter(img, sigma).astype(np.float64) - ideal,
        "correctly rounded": np.clip(np.rint(ideal), 0, 255) - ideal,
    }
    cv2 = peers.optional("cv2")
    if cv2 is not None:
        size = 2 * int(4.0 * sigma + 0.5) + 1
        blurred = cv2.GaussianBlur(img, (size, size), sigma, borderType=cv2.BORDER_REFLECT)
        errors["OpenCV uint8"] = blurred.astype(np.float64) - ideal
    opencv_note = "" if cv2 is not None else " OpenCV is unavailable, so it is absent."
    description = (
        f"Left: per-pixel error of a 256x256 random uint8 image at sigma {sigma:g}, computed when "
        f"the report was rendered; the ideal is the float64 result. OpenCV is given SciPy's "
        f"kernel length and mode (ksize {2 * int(4.0 * sigma + 0.5) + 1}, BORDER_REFLECT)."
        f"{opencv_note} Right: the bias recorded in this run's uint8 rows."
    )
    return errors, description
