"""scikit-image ``skimage.filters.gaussian`` with ``preserve_range=True``.

skimage returns floating point: float32 input stays float32, integer input becomes float64
(it calls ``scipy.ndimage`` on a float copy). The row's ``out_dtype`` records that; for
"uint8->float32" the input is converted to float32 first, as a user would.
"""

from __future__ import annotations

import numpy as np

from bench.sweep.cases import Case
from bench.sweep.impls.base import Adapter, Call


class SkimageGaussian(Adapter):
    name = "skimage"
    module = "skimage.filters"
    distribution = "scikit-image"
    install_hint = "scikit-image"
    direct = True  # a direct convolution with SciPy's radius (bench.sweep.roofs)
    entry_symbols = ("NI_Correlate1D",)  # skimage calls scipy.ndimage.gaussian_filter

    def check(self, case: Case) -> str | None:
        if case.order != 0:
            return "skimage.filters.gaussian has no derivative order"
        return None

    def prepare(self, case: Case, x: np.ndarray) -> Call:
        from skimage.filters import gaussian

        sigma = case.sigmas if isinstance(case.sigma, tuple) else case.sigma
        convert = case.dtype_out == "float32" and case.dtype_in != "float32"

        def call() -> np.ndarray:
            src = x.astype(np.float32) if convert else x
            return gaussian(
                src,
                sigma,
                mode=case.mode,
                cval=case.cval,
                preserve_range=True,
                truncate=case.truncate,
                channel_axis=case.channel_axis,
            )

        return call
