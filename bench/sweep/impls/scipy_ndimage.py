"""``scipy.ndimage.gaussian_filter``: the subject of the benchmark."""

from __future__ import annotations

import inspect

import numpy as np

from bench.sweep.cases import Case
from bench.sweep.impls.base import Adapter, Call


class ScipyNdimage(Adapter):
    name = "scipy"
    module = "scipy.ndimage"
    distribution = "scipy"
    install_hint = "scipy"
    direct = True  # a direct convolution with SciPy's radius (bench.sweep.roofs)
    # gaussian_filter -> gaussian_filter1d per axis -> correlate1d -> the C core (SciPy 1.17)
    entry_symbols = ("NI_Correlate1D",)

    def _has_axes(self) -> bool:
        # Feature-gate by capability, not version string: axes= exists since SciPy 1.11.
        from scipy import ndimage

        return "axes" in inspect.signature(ndimage.gaussian_filter).parameters

    def check(self, case: Case) -> str | None:
        return None  # the subject does every case of the grid

    def prepare(self, case: Case, x: np.ndarray) -> Call:
        from scipy import ndimage

        out = np.dtype(case.dtype_out)
        sigma = list(case.sigmas) if isinstance(case.sigma, tuple) else case.sigma
        kwargs = {"order": case.order, "mode": case.mode, "cval": case.cval}
        kwargs["truncate"] = case.truncate
        if case.axes is not None:
            if self._has_axes():
                kwargs["axes"] = case.axes
            else:  # before 1.11: sigma 0 on an axis leaves it untouched
                full = [0.0] * case.ndim
                for axis, s in zip(case.filtered_axes, case.sigmas, strict=True):
                    full[axis] = s
                sigma = full

        def call() -> np.ndarray:
            return ndimage.gaussian_filter(x, sigma, output=out, **kwargs)

        return call
