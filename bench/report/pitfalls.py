"""The integer-versus-float pitfalls, measured when the report is rendered.

Every pitfall carries a minimal snippet that the report *executes* to get its numbers, so the
snippet, its printed output and the consequence stated in prose cannot disagree. Numbers about
speed and the run's integer bias come from the run's rows instead. Nothing numeric is typed
into a template: each number in the prose is formatted from a value computed here.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import math
import textwrap
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import ndimage, optimize

from bench.report import frames
from bench.report.model import Code, Paragraph, Section, Table
from bench.report.tables import format_number, to_table

# Sigma of the demonstrations when the run holds no uint8 rows to take one from: 2.5 is where
# the constant-image drift of DESIGN.md's measured facts shows.
DEFAULT_SIGMA = 2.5


@dataclass(frozen=True)
class Pitfall:
    """One pitfall: the snippet and what it printed, the consequence, and the fix."""

    title: str
    snippet: Code
    consequence: str
    fix: str
    fix_snippet: Code | None = None
    tables: tuple[Table, ...] = ()
    numbers: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.title or not self.consequence or not self.fix:
            raise ValueError("a pitfall needs a title, a consequence and a fix")

    def section(self) -> Section:
        """The pitfall as a report subsection."""
        blocks: list = [self.snippet, Paragraph(f"Measured: {self.consequence}")]
        blocks += list(self.tables)
        blocks.append(Paragraph(f"Fix: {self.fix}"))
        if self.fix_snippet is not None:
            blocks.append(self.fix_snippet)
        return Section(self.title, tuple(blocks), level=3)


def run_snippet(source: str) -> tuple[dict, Code]:
    """Execute a snippet of this module in a fresh namespace; return it and what it printed.

    Only the constant snippets below are executed, never text from a results file.
    """
    source = textwrap.dedent(source).strip() + "\n"
    namespace: dict = {"__name__": "__pitfall__"}
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(source, "<pitfall>", "exec"), namespace)
    return namespace, Code(source, buffer.getvalue())


def _g(value: float, digits: int = 3) -> str:
    return f"{value:.{digits}g}"


#: Largest run sigma the demos use. They filter 64x64 and 256x256 images, where a wider kernel is
#: all border, and the OpenCV ksize search costs O(sigma^2): a run from an accepted grid with
#: sigma 1e5 would hang the report (issue 10).
DEMO_MAX_SIGMA = 64.0


def _demo_sigma(value: object) -> bool:
    return _is_scalar(value) and 0 < float(value) <= DEMO_MAX_SIGMA


def _representative_sigma(frame: pd.DataFrame) -> float:
    """The scalar sigma the run used most for uint8, so the demos speak about the run's cases."""
    rows = frame[(frame["dtype"] == "uint8") & frame["sigma"].map(_demo_sigma).astype(bool)]
    if rows.empty:
        return DEFAULT_SIGMA
    return float(rows["sigma_value"].value_counts().sort_index(ascending=False).idxmax())


def _is_scalar(value: object) -> bool:
    # pandas hands back numpy scalars when a column is all numbers
    numeric = isinstance(value, (int, float, np.integer, np.floating))
    return numeric and not isinstance(value, (bool, np.bool_)) and math.isfinite(value)


# --- 1. integer truncation ---------------------------------------------------------------

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
    drift = constant_drift(sorted(set(_run_sigmas(frame, ())) | {DEFAULT_SIGMA}))
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
    sigma = _representative_sigma(frame)
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, size=(256, 256)).astype(np.uint8)
    ideal = ndimage.gaussian_filter(img.astype(np.float64), sigma)
    errors = {
        "SciPy uint8": ndimage.gaussian_filter(img, sigma).astype(np.float64) - ideal,
        "correctly rounded": np.clip(np.rint(ideal), 0, 255) - ideal,
    }
    cv2 = _optional("cv2")
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


# --- 2. unsigned wrap-around with derivatives --------------------------------------------

WRAP = """
import numpy as np
from scipy import ndimage

img = np.zeros((32, 32), dtype=np.uint8)
img[:, 12:20] = 200  # a bright bar: a rising and a falling edge
ideal = ndimage.gaussian_filter(img.astype(np.float64), sigma=2, order=(0, 1))
wrapped = ndimage.gaussian_filter(img, sigma=2, order=(0, 1))
where = np.unravel_index(np.argmin(ideal), ideal.shape)
print(f"ideal {ideal[where]:.2f}, uint8 output {wrapped[where]}")
"""

WRAP_FIX = """
import numpy as np
from scipy import ndimage

img = np.zeros((32, 32), dtype=np.uint8)
img[:, 12:20] = 200
derivative = ndimage.gaussian_filter(img, sigma=2, order=(0, 1), output=np.float32)
print(f"most negative slope {derivative.min():.2f}")
"""


def unsigned_wrap(frame: pd.DataFrame) -> Pitfall:
    """Negative derivative values wrap around in unsigned outputs."""
    ns, code = run_snippet(WRAP)
    fix_ns, fix_code = run_snippet(WRAP_FIX)
    ideal = float(ns["ideal"][ns["where"]])
    stored = int(ns["wrapped"][ns["where"]])
    fixed = float(fix_ns["derivative"].min())
    run_worst = run_unsigned_derivative_errors(frame)
    if run_worst:
        run_text = (
            "In this run's derivative rows with an unsigned output, the worst error is "
            + (
                "; ".join(
                    f"{impl} {dtype}: {value:.4g} grey levels"
                    for (impl, dtype), value in run_worst.items()
                )
            )
            + "."
        )
    else:
        run_text = "This run holds no derivative rows with an unsigned output."
    return Pitfall(
        "Unsigned outputs wrap around with derivative orders",
        code,
        f"on the falling edge the derivative is {ideal:.2f}, but the uint8 output holds {stored}: "
        f"a steep falling edge looks like the steepest rising one. {run_text}",
        f"ask for a signed or floating-point output: with output=np.float32 the most negative "
        f"slope is {fixed:.2f}.",
        fix_code,
        numbers={"ideal": ideal, "stored": stored, "fixed": fixed, "run_worst": run_worst},
    )


def run_unsigned_derivative_errors(frame: pd.DataFrame) -> dict[tuple[str, str], float]:
    """Worst error (grey levels) per (impl, dtype) of the run's unsigned derivative rows."""
    rows = frames.accuracy_rows(frame)
    rows = rows[frames.derivative_mask(rows) & rows["dtype"].isin(["uint8", "uint16"])]
    rows = rows[rows["max_grey_levels"].notna()]
    worst = rows.groupby(["impl", "dtype"])["max_grey_levels"].max()
    return {key: float(value) for key, value in worst.items()}


# --- 3. axis order -----------------------------------------------------------------------

AXIS_ORDER = """
import numpy as np
from scipy import ndimage

rng = np.random.default_rng(1)
img = rng.integers(0, 256, size=(128, 128)).astype(np.uint8)
rows_first = ndimage.gaussian_filter(img, sigma={sigma})
cols_first = ndimage.gaussian_filter(img.T, sigma={sigma}).T  # same filter, other pass first
diff = rows_first.astype(int) - cols_first
print(f"{{np.count_nonzero(diff)}} of {{diff.size}} pixels differ, by up to {{np.abs(diff).max()}}")
f64 = img.astype(np.float64)
float_diff = ndimage.gaussian_filter(f64, {sigma}) - ndimage.gaussian_filter(f64.T, {sigma}).T
print(f"float64: largest difference {{np.abs(float_diff).max():.1e}}")
"""

AXIS_ORDER_FIX = """
import numpy as np
from scipy import ndimage

rng = np.random.default_rng(1)
img = rng.integers(0, 256, size=(128, 128)).astype(np.uint8)

def blur_uint8(a, sigma):
    return np.clip(np.rint(ndimage.gaussian_filter(a, sigma, output=np.float64)), 0, 255)

diff = blur_uint8(img, {sigma}) - blur_uint8(img.T, {sigma}).T
print(f"{{np.count_nonzero(diff)}} pixels differ")
"""


def axis_order(frame: pd.DataFrame) -> Pitfall:
    """Transposing the input changes integer results: the truncation happens between passes."""
    sigma = _representative_sigma(frame)
    ns, code = run_snippet(AXIS_ORDER.format(sigma=sigma))
    fix_ns, fix_code = run_snippet(AXIS_ORDER_FIX.format(sigma=sigma))
    differing = int(np.count_nonzero(ns["diff"]))
    largest = int(np.abs(ns["diff"]).max())
    float_largest = float(np.abs(ns["float_diff"]).max())
    fixed = int(np.count_nonzero(fix_ns["diff"]))
    return Pitfall(
        "Axis order changes integer results",
        code,
        f"at sigma {sigma:g}, filtering the transposed uint8 image and transposing back changes "
        f"{differing} of {ns['diff'].size} pixels by up to {largest} grey level(s), because the "
        f"result of the first pass is truncated before the second. In float64 the largest "
        f"difference is {float_largest:.1e}.",
        f"filter in floating point and round once: then {fixed} pixels differ.",
        fix_code,
        numbers={
            "sigma": sigma,
            "differing": differing,
            "largest": largest,
            "float_largest": float_largest,
            "fixed": fixed,
        },
    )


# --- 4. float16 --------------------------------------------------------------------------

FLOAT16 = """
import numpy as np
from scipy import ndimage

half = np.ones((8, 8), dtype=np.float16)
try:
    ndimage.gaussian_filter(half, sigma=1)
    outcome = "accepted"
except Exception as exc:
    outcome = f"{type(exc).__name__}: {exc}"
print(outcome)
"""

FLOAT16_FIX = """
import numpy as np
from scipy import ndimage

half = np.ones((8, 8), dtype=np.float16)
blurred = ndimage.gaussian_filter(half.astype(np.float32), sigma=1).astype(np.float16)
print(blurred.dtype, blurred.max())
"""


def float16(frame: pd.DataFrame) -> Pitfall:
    """float16 input is refused."""
    ns, code = run_snippet(FLOAT16)
    _, fix_code = run_snippet(FLOAT16_FIX)
    outcome = ns["outcome"]
    return Pitfall(
        "float16 is unsupported",
        code,
        f"SciPy {_version('scipy')} answers float16 input with {outcome}.",
        "convert to float32 before filtering and back afterwards if you must store float16.",
        fix_code,
        numbers={"outcome": outcome},
    )


# --- 5. float32 speed --------------------------------------------------------------------

FLOAT32_SPEED = """
import timeit
import numpy as np
from scipy import ndimage

img64 = np.random.default_rng(0).random((1024, 1024))
img32 = img64.astype(np.float32)
t64 = min(timeit.repeat(lambda: ndimage.gaussian_filter(img64, 3), number=3, repeat=5))
t32 = min(timeit.repeat(lambda: ndimage.gaussian_filter(img32, 3), number=3, repeat=5))
print(f"float32 is {t64 / t32:.2f}x faster than float64")
"""


def speed_ratios(frame: pd.DataFrame, impl: str, dtype: str) -> pd.Series:
    """Per case: SciPy float64's median time over ``impl``/``dtype``'s, on the cases both ran."""
    timed = frames.timed_rows(frame)
    reference = timed[(timed["impl"] == "scipy") & (timed["dtype"] == "float64")]
    other = timed[(timed["impl"] == impl) & (timed["dtype"] == dtype)]
    ref_ns = reference.groupby("case_key")["median_ns"].median()
    other_ns = other.groupby("case_key")["median_ns"].median()
    both = ref_ns.index.intersection(other_ns.index)
    return (ref_ns[both] / other_ns[both]).sort_index()


def float32_speed(frame: pd.DataFrame) -> Pitfall:
    """SciPy float32 is barely faster than float64: it computes in double."""
    # The timing snippet is shown, not run: timings belong to the sweep, which controls noise.
    code = Code(textwrap.dedent(FLOAT32_SPEED).strip() + "\n")
    scipy32 = speed_ratios(frame, "scipy", "float32")
    numbers: dict[str, object] = {"scipy32_cases": len(scipy32)}
    if scipy32.empty:
        consequence = (
            "this run holds no timed SciPy float32 and float64 rows of the same cases, so the "
            "report cannot say how much float32 gains here."
        )
    else:
        numbers.update(
            scipy32_median=float(scipy32.median()),
            scipy32_min=float(scipy32.min()),
            scipy32_max=float(scipy32.max()),
        )
        consequence = (
            f"in this run SciPy float32 is {scipy32.median():.2f}x as fast as float64 (median over "
            f"{len(scipy32)} cases; from {scipy32.min():.2f}x to {scipy32.max():.2f}x): SciPy "
            f"computes every pass in double and only stores float32, so halving the bytes buys "
            f"little."
        )
    peers = []
    for impl in sorted(frame["impl"].dropna().unique()):
        if impl == "scipy":
            continue
        ratios = speed_ratios(frame, impl, "float32")
        if len(ratios):
            numbers[f"peer_median[{impl}]"] = float(ratios.median())
            if ratios.median() > 1:
                peers.append((float(ratios.median()), impl, len(ratios)))
    peers = [
        f"{impl} float32 was {ratio:.2f}x as fast as SciPy float64 (median over {n} cases)"
        for ratio, impl, n in sorted(peers, reverse=True)
    ]
    if peers:
        fix = (
            "when float32 speed matters, use a float32-native implementation: "
            + "; ".join(peers)
            + "."
        )
    else:
        fix = (
            "when float32 speed matters, use a float32-native implementation such as OpenCV; "
            "in this run no peer's float32 beat SciPy float64, so it cannot say by how much."
        )
    return Pitfall(
        "In SciPy, float32 is barely faster than float64", code, consequence, fix, numbers=numbers
    )


# --- 6. colour images --------------------------------------------------------------------

COLOUR = """
import numpy as np
from scipy import ndimage

rgb = np.zeros((32, 32, 3))
rgb[..., 0] = 255  # pure red
blurred = ndimage.gaussian_filter(rgb, sigma=2)
print(f"green after blur: {blurred[..., 1].max():.1f}, red: {blurred[..., 0].max():.1f}")
"""

COLOUR_FIX = """
import numpy as np
from scipy import ndimage

rgb = np.zeros((32, 32, 3))
rgb[..., 0] = 255
per_axis = ndimage.gaussian_filter(rgb, sigma=(2, 2, 0))  # no blur across channels
spatial = ndimage.gaussian_filter(rgb, sigma=2, axes=(0, 1))  # SciPy >= 1.11
print(f"green after blur: {per_axis[..., 1].max():.1f} and {spatial[..., 1].max():.1f}")
"""


def colour_channels(frame: pd.DataFrame) -> Pitfall:
    """A scalar sigma also blurs along the channel axis of an (H, W, 3) image."""
    ns, code = run_snippet(COLOUR)
    green = float(ns["blurred"][..., 1].max())
    red = float(ns["blurred"][..., 0].max())
    try:
        fix_ns, fix_code = run_snippet(COLOUR_FIX)
        fixed = float(max(fix_ns["per_axis"][..., 1].max(), fix_ns["spatial"][..., 1].max()))
        fix = (
            f"give a per-axis sigma with 0 on the channel axis, or axes=(0, 1): the green channel "
            f"then stays at {fixed:.1f}."
        )
    except TypeError:  # axes= is missing before SciPy 1.11
        fix_code, fixed = None, math.nan
        fix = "give a per-axis sigma with 0 on the channel axis, e.g. sigma=(2, 2, 0)."
    return Pitfall(
        "A colour image is blurred across its channels by a scalar sigma",
        code,
        f"a pure red image (255, 0, 0) blurred with sigma=2 gets green up to {green:.1f} and red "
        f"down to {red:.1f}: the channel axis is filtered like a spatial one.",
        fix,
        fix_code,
        numbers={"green": green, "red": red, "fixed": fixed},
    )


# --- 7. mode names -----------------------------------------------------------------------

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

SCIPY_MODES = (
    "reflect",
    "grid-mirror",
    "mirror",
    "nearest",
    "wrap",
    "grid-wrap",
    "constant",
    "grid-constant",
)
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
    cv2 = _optional("cv2")
    skimage_filters = _optional("skimage.filters")
    pil = _optional("PIL.ImageFilter")
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
        for mode in ("reflect", "mirror", "nearest", "wrap", "constant")
    }
    return min(errors, key=errors.__getitem__)


def mode_names(frame: pd.DataFrame) -> Pitfall:
    """The same border rule has different names in every library."""
    _, code = (
        run_snippet(MODES) if _optional("cv2") is not None else (None, Code(MODES.strip() + "\n"))
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


# --- 8. radius rule vs OpenCV's automatic ksize ------------------------------------------

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


def _run_sigmas(frame: pd.DataFrame, fallback: tuple[float, ...]) -> list[float]:
    values = sorted({float(s) for s in frame["sigma"] if _demo_sigma(s)})
    return values or list(fallback)


def radius_rule(frame: pd.DataFrame) -> Pitfall:
    """SciPy keeps 4 sigma (truncate) either side; OpenCV's automatic ksize keeps 3 or 4."""
    cv2 = _optional("cv2")
    sigmas = _run_sigmas(frame, (0.5, 1.0, 2.5, 5.0))
    sigma = _representative_sigma(frame)
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


# --- 9. small sigma ----------------------------------------------------------------------

SMALL_SIGMA = """
import numpy as np
from scipy import ndimage

sigma = {sigma}
impulse = np.zeros(21)
impulse[10] = 1.0
kernel = ndimage.gaussian_filter1d(impulse, sigma, mode="constant")
offsets = np.arange(-10, 11)
actual = np.sqrt(np.sum(kernel * offsets**2))
print(f"asked for sigma {{sigma}}, the kernel's standard deviation is {{actual:.4f}}")
"""

SMALL_SIGMAS = (0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.5)


def kernel_std(sigma: float, truncate: float = 4.0) -> float:
    """The standard deviation of SciPy's sampled, normalised kernel (its impulse response)."""
    half = int(truncate * sigma + 0.5) + 2
    impulse = np.zeros(2 * half + 1)
    impulse[half] = 1.0
    kernel = ndimage.gaussian_filter1d(impulse, sigma, mode="constant", truncate=truncate)
    offsets = np.arange(-half, half + 1)
    return float(np.sqrt(np.sum(kernel * offsets**2)))


def sigma_for_std(target: float) -> float:
    """The sigma to ask SciPy for so that its sampled kernel has standard deviation ``target``."""
    return float(
        optimize.brentq(lambda s: kernel_std(s) - target, 0.2 * target, 3 * target, xtol=1e-6)
    )


def small_sigma(frame: pd.DataFrame) -> Pitfall:
    """At small sigma the sampled kernel is narrower than the Gaussian asked for."""
    run_small = [s for s in _run_sigmas(frame, ()) if s < 1.5]
    sigmas = sorted(set(SMALL_SIGMAS) | set(run_small))
    records = []
    for s in sigmas:
        actual = kernel_std(s)
        records.append(
            {
                "sigma asked": s,
                "in this run": s in run_small,
                "kernel taps": scipy_taps(s),
                "actual std": actual,
                "actual / asked": actual / s,
            }
        )
    table = pd.DataFrame(records)
    smallest = float(table["sigma asked"].min())
    ns, code = run_snippet(SMALL_SIGMA.format(sigma=smallest))
    actual = float(ns["actual"])
    target = 0.5
    needed = sigma_for_std(target)
    return Pitfall(
        "At small sigma the kernel is not the Gaussian asked for",
        code,
        f"SciPy samples the Gaussian at integer offsets and normalises it; at sigma {smallest:g} "
        f"the kernel has {scipy_taps(smallest)} taps and a standard deviation of {actual:.4f} "
        f"({100 * actual / smallest:.0f}% of the request). The table gives the ratio for a few "
        f"small sigmas and for every sigma below 1.5 in this run.",
        f"treat sigma below about 1 as a nominal value; if the width matters, ask for the sigma "
        f"whose sampled kernel has the width you want: for a standard deviation of {target:g}, "
        f"ask for sigma={needed:.4f} (solved at render time).",
        tables=(to_table(table, "Sampled kernel width at small sigma (truncate 4)"),),
        numbers={
            "table": table,
            "smallest": smallest,
            "actual": actual,
            "needed": needed,
            "target": target,
        },
    )


# --- 10. silent no-ops -------------------------------------------------------------------

NO_OPS = """
import warnings
import numpy as np
from scipy import ndimage

img = np.arange(64, dtype=np.float64).reshape(8, 8)
for kwargs in ({"sigma": 0}, {"sigma": -1}, {"sigma": 1, "truncate": 0}, {"sigma": 0.1}):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            same = np.array_equal(ndimage.gaussian_filter(img, **kwargs), img)
            said = f"{len(caught)} warning(s)"
        except Exception as exc:
            same, said = None, type(exc).__name__
    print(kwargs, "returns the input unchanged:", same, "-", said)
truncate = 4.0  # SciPy's default
print("radius at sigma=0.1:", int(truncate * 0.1 + 0.5))  # SciPy's rule: 0 samples either side
"""


def silent_noops(frame: pd.DataFrame) -> Pitfall:
    """sigma=0, negative sigma, truncate=0 and tiny sigmas return the input without a word."""
    _, code = run_snippet(NO_OPS)
    img = np.arange(64, dtype=np.float64).reshape(8, 8)
    outcomes = {}
    for label, kwargs in (
        ("sigma=0", {"sigma": 0}),
        ("sigma=-1", {"sigma": -1}),
        ("truncate=0", {"sigma": 1, "truncate": 0}),
        ("sigma=0.1", {"sigma": 0.1}),
    ):
        outcomes[label] = _silently_unchanged(
            lambda kw=kwargs: ndimage.gaussian_filter(img, **kw), img
        )
    silent = [label for label, flag in outcomes.items() if flag]
    loud = [label for label, flag in outcomes.items() if not flag]
    threshold = _largest_noop_sigma()
    truncate = float(inspect.signature(ndimage.gaussian_filter).parameters["truncate"].default)
    radius = int(truncate * threshold + 0.5)
    consequence = (
        f"{', '.join(silent) or 'none of them'} return the input unchanged with no error and no "
        f"warning"
        + (f"; {', '.join(loud)} do not" if loud else "")
        + f". Any sigma up to {threshold:.4f} is a no-op at the default truncate {truncate:g}, "
        f"because the radius int(truncate*sigma + 0.5) is then {radius}."
    )
    return Pitfall(
        "Silent no-ops: sigma=0, negative sigma, truncate=0",
        code,
        consequence,
        "validate the arguments yourself: require sigma > 0 and int(truncate*sigma + 0.5) >= 1.",
        numbers={
            "outcomes": outcomes,
            "threshold": threshold,
            "truncate": truncate,
            "radius": radius,
        },
    )


def _silently_unchanged(call: Callable[[], np.ndarray], original: np.ndarray) -> bool:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = call()
        except Exception:
            return False
    return not caught and np.array_equal(out, original)


def _largest_noop_sigma() -> float:
    """The largest sigma (to 1e-6) that leaves an image unchanged at truncate 4 (bisection)."""
    img = np.arange(64, dtype=np.float64).reshape(8, 8)
    low, high = 0.0, 1.0  # unchanged at low, changed at high

    def unchanged(s: float) -> bool:
        return np.array_equal(ndimage.gaussian_filter(img, s), img)

    while high - low > 1e-6:
        middle = (low + high) / 2
        if unchanged(middle):
            low = middle
        else:
            high = middle
    return low


# --- all ---------------------------------------------------------------------------------

PITFALLS: tuple[Callable[[pd.DataFrame], Pitfall], ...] = (
    integer_truncation,
    unsigned_wrap,
    axis_order,
    float16,
    float32_speed,
    colour_channels,
    mode_names,
    radius_rule,
    small_sigma,
    silent_noops,
)


def all_pitfalls(frame: pd.DataFrame) -> list[Pitfall]:
    """Measure every pitfall against the prepared frame of a run."""
    return [build(frame) for build in PITFALLS]


def _optional(module: str):
    """Import an optional peer, or None when it is missing (reported as unavailable)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def _version(module: str) -> str:
    found = _optional(module)
    return getattr(found, "__version__", "unknown") if found is not None else "unavailable"
