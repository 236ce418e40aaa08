"""libvips through pyvips: ``gaussblur`` as users call it, and ``conv`` with SciPy's kernel.

- ``pyvips``: ``Image.gaussblur(sigma)`` with libvips' defaults (``min_ampl=0.2``,
  ``precision="integer"``): a shorter kernel than SciPy's (it ends where the Gaussian falls
  below 0.2 of its peak, so it ignores ``truncate``) with integer weights. An approximation:
  its measured error is in the report's accuracy table.
- ``pyvips-exact``: SciPy's sampled kernel (``scipy_kernel1d``) passed as a 1 x n and an n x 1
  mask to ``Image.conv(precision="float")``; exact up to float rounding (libvips computes in
  single precision for 8/16-bit and float images, in double for double images).

Why: docs/sweep.md.
"""

from __future__ import annotations

import numpy as np

from bench.sweep.cases import Case
from bench.sweep.impls.base import Adapter, Call, canonical_mode, cast_output, scipy_kernel1d

#: SciPy mode -> libvips ``embed`` extension (SciPy ``mirror`` has none).
VIPS_EXTEND: dict[str, str] = {
    "reflect": "mirror",
    "nearest": "copy",
    "wrap": "repeat",
    "constant": "background",
}
_FORMATS = ("uint8", "uint16", "int16", "int32", "float32", "float64")


class PyvipsBlur(Adapter):
    """``gaussblur`` (``exact=False``) or ``conv`` with SciPy's kernel (``exact=True``)."""

    module = "pyvips"
    distribution = "pyvips"
    install_hint = "pyvips pyvips-binary"
    no_entry_symbols = (
        "libvips filters lazily on its own worker thread, in functions callgrind sees unnamed; "
        "the named ones either run on the calling thread only (vips_image_write_to_memory: "
        "measured 0.17 M of ~7 M instructions) or recurse (vips_region_prepare), and callgrind "
        "flips collection on every nested entry"
    )

    def __init__(self, name: str, exact: bool) -> None:
        self.name = name
        self.exact = exact
        self.approximate = not exact
        self.direct = exact  # gaussblur's kernel is shorter than SciPy's radius

    def version(self) -> str | None:
        try:
            import pyvips
        except (ImportError, OSError):  # OSError: the Python package without libvips
            return None
        return f"pyvips {pyvips.__version__}, libvips {pyvips.version(0)}.{pyvips.version(1)}"

    def available(self) -> str | None:
        try:
            import pyvips  # noqa: F401
        except (ImportError, OSError) as exc:
            return f"pyvips is not importable: {exc} (pip install {self.install_hint})"
        return None

    def check(self, case: Case) -> str | None:
        if case.order != 0:
            if self.exact:
                return "derivative kernels are not passed to conv here (opencv-sep-1t does that)"
            return "libvips' gaussblur has no derivative order"
        if case.dtype_in not in _FORMATS:
            return f"no libvips band format for {case.dtype_in}"
        if case.channel_axis is None and case.ndim != 2:
            return f"libvips images are 2-D (with bands); a {case.ndim}-D volume is not one"
        if case.channel_axis is not None and (case.ndim != 3 or case.channel_axis != 2):
            return "libvips keeps bands on the last axis of a 3-D array only"
        mode = canonical_mode(case.mode)
        if mode not in VIPS_EXTEND:
            return f"libvips' embed has no extension like SciPy's {case.mode!r} (edge not repeated)"
        if not self.exact and len(set(case.sigmas)) > 1:
            return "gaussblur takes one sigma for both axes"
        if (
            mode == "constant"
            and np.dtype(case.dtype_in).kind in "ui"
            and float(case.cval) != round(case.cval)
        ):
            return "embed's background is stored in the integer image's format: cval must be whole"
        return None

    def prepare(self, case: Case, x: np.ndarray) -> Call:
        import pyvips

        pyvips.concurrency_set(1)
        pyvips.cache_set_max(0)
        (sigma_y, sigma_x), (r_y, r_x) = case.sigmas, case.radii
        mode = canonical_mode(case.mode)
        extend = VIPS_EXTEND[mode]
        height, width = x.shape[:2]
        work = np.dtype(case.dtype_out) if case.dtype_out != case.dtype_in else None
        if self.exact:
            mask_x = pyvips.Image.new_from_array(
                [scipy_kernel1d(sigma_x, 0, r_x).tolist()], scale=1.0, offset=0.0
            )
            mask_y = pyvips.Image.new_from_array(
                [[w] for w in scipy_kernel1d(sigma_y, 0, r_y)], scale=1.0, offset=0.0
            )

        def call() -> np.ndarray:
            src = x if work is None else x.astype(work)
            image = pyvips.Image.new_from_array(src)
            if mode != "nearest" or self.exact:
                image = image.embed(
                    r_x,
                    r_y,
                    width + 2 * r_x,
                    height + 2 * r_y,
                    extend=extend,
                    background=[float(case.cval)],
                )
            if self.exact:
                image = image.conv(mask_x, precision="float").conv(mask_y, precision="float")
            else:
                image = image.gaussblur(sigma_x)
            if mode != "nearest" or self.exact:
                image = image.crop(r_x, r_y, width, height)
            return cast_output(image.numpy(), case.dtype_out).reshape(x.shape)

        return call
