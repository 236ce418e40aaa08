"""mahotas ``mahotas.gaussian_filter``: an independent C++ convolution with SciPy's radius rule.

mahotas builds the sampled Gaussian (and its derivatives) with radius ``int(4 sigma + 0.5)``
and takes SciPy's mode names (``reflect``, ``nearest``, ``wrap``, ``mirror``, ``constant``).
It has no ``truncate`` argument, so only truncate 4 runs, and its constant mode
rejects a cval other than 0. It always returns float64; integer
outputs are rounded to nearest and clipped, float32 outputs cast, inside the timed call (a
user asking for that dtype pays it). mahotas blurs every axis it is given, so RGB images are
filtered one channel at a time (the loop is timed too).
"""

from __future__ import annotations

import numpy as np

from bench.sweep.cases import Case
from bench.sweep.impls.base import Adapter, Call, canonical_mode, cast_output, per_channel


class MahotasGaussian(Adapter):
    name = "mahotas"
    module = "mahotas"
    distribution = "mahotas"
    install_hint = "mahotas"
    direct = True  # a direct convolution with SciPy's radius (bench.sweep.roofs)
    entry_symbols = ("*py_convolve1d(*",)  # mahotas/_convolve.cpp, one call per axis

    def check(self, case: Case) -> str | None:
        if case.truncate != 4.0:
            return "mahotas.gaussian_filter has no truncate: its radius is int(4 sigma + 0.5)"
        if canonical_mode(case.mode) == "constant" and case.cval != 0.0:
            return "mahotas' constant mode takes cval 0 only (else NotImplementedError)"
        if case.channel_axis is not None and len(case.filtered_axes) != case.ndim - 1:
            return "only one channel axis is looped over"
        return None

    def prepare(self, case: Case, x: np.ndarray) -> Call:
        import mahotas

        sigma = case.sigmas if isinstance(case.sigma, tuple) else case.sigma
        mode = canonical_mode(case.mode)

        def one(plane: np.ndarray) -> np.ndarray:
            y = mahotas.gaussian_filter(plane, sigma, order=case.order, mode=mode, cval=case.cval)
            return cast_output(y, case.dtype_out)

        return per_channel(case, x, one)
