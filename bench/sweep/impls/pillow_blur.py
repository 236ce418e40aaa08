"""Pillow ``ImageFilter.GaussianBlur``: 8-bit only, and an approximation.

Pillow approximates the Gaussian by repeated box blurs (``approximate = True``): it ignores
``truncate`` and its border repeats the edge pixel, the nearest of SciPy's modes, so only
``nearest`` is run. Accuracy is therefore judged on the interior as well as overall
(``interior_max_abs_error``). The numpy <-> PIL conversions are inside the timed call: a
user holding a numpy array pays them.
"""

from __future__ import annotations

import numpy as np

from bench.sweep.cases import Case
from bench.sweep.impls.base import Adapter, Call, canonical_mode


class PillowBlur(Adapter):
    name = "pillow"
    module = "PIL.ImageFilter"
    distribution = "pillow"
    install_hint = "pillow"
    approximate = True
    entry_symbols = ("ImagingGaussianBlur",)  # libImaging/BoxBlur.c

    def check(self, case: Case) -> str | None:
        if case.dtype != "uint8":
            return "Pillow's GaussianBlur filters 8-bit images (modes L/RGB) only"
        if case.order != 0:
            return "Pillow's GaussianBlur has no derivative order"
        if case.channel_axis is None and case.ndim != 2:
            return f"Pillow images are 2-D; a {case.ndim}-D volume is not one"
        if case.channel_axis is not None and not (
            case.ndim == 3 and case.channel_axis == 2 and case.channels in (3, 4)
        ):
            return "Pillow colour images are H x W x 3 (RGB) or 4 (RGBA)"
        if canonical_mode(case.mode) != "nearest":
            return (
                f"Pillow repeats the edge pixel (SciPy mode 'nearest'); it has no {case.mode!r}"
                " border"
            )
        return None

    def prepare(self, case: Case, x: np.ndarray) -> Call:
        from PIL import Image, ImageFilter

        sigma_y, sigma_x = case.sigmas
        blur = ImageFilter.GaussianBlur(
            radius=sigma_x if sigma_x == sigma_y else (sigma_x, sigma_y)
        )

        def call() -> np.ndarray:
            return np.asarray(Image.fromarray(x).filter(blur))

        return call
