"""DIPlib ``dip.Gauss`` forced to its FIR method with SciPy's radius, on one thread.

``method="FIR"`` convolves with the sampled Gaussian (``"best"`` would switch to FT or IIR by
sigma). DIPlib's radius is ``ceil(truncation * sigma)``; a truncation of ``(r - 0.5) / sigma``
per axis gives SciPy's ``r = int(truncate * sigma + 0.5)``, so each filtered axis is its own
``Gauss`` call (one truncation per call). ``dip.SetNumberOfThreads(1)`` pins it to one thread.

Boundary conditions DIPlib lacks (SciPy ``reflect``, constant with cval != 0) are made by
padding by the radius and cropping; the float result is cast to the asked dtype.

Why: docs/sweep.md.
"""

from __future__ import annotations

import numpy as np

from bench.sweep.cases import Case
from bench.sweep.impls.base import (
    Adapter,
    Call,
    canonical_mode,
    cast_output,
    crop_padding,
    pad_for,
    per_channel,
)

#: SciPy mode -> DIPlib boundary condition, where one matches.
DIP_BOUNDARY: dict[str, str] = {
    "mirror": "mirror",
    "nearest": "zero order",
    "wrap": "periodic",
}


class DiplibGauss(Adapter):
    name = "diplib"
    module = "diplib"
    distribution = "diplib"
    install_hint = "diplib"
    direct = True  # a direct convolution with SciPy's radius (bench.sweep.roofs)
    # libDIP's per-line convolution (dip::Gauss itself also parses options and allocates,
    # whose count moved 0.06% A/A); the line copies and border expansion are not counted
    entry_symbols = ("dip::(anonymous namespace)::SeparableConvolutionLineFilter<*>::Filter(*",)

    def check(self, case: Case) -> str | None:
        if case.order != 0:
            return "DIPlib's FIR derivative kernels are not SciPy's (other length, normalisation)"
        if case.dtype_in in ("int8", "int64", "uint32", "float16", "bool", "complex64"):
            return f"not run for {case.dtype_in}"
        if case.channel_axis is not None and len(case.filtered_axes) != case.ndim - 1:
            return "only one channel axis is looped over"
        return None

    def prepare(self, case: Case, x: np.ndarray) -> Call:
        import diplib as dip

        dip.SetNumberOfThreads(1)
        mode = canonical_mode(case.mode)
        boundary = DIP_BOUNDARY.get(mode)
        if mode == "constant" and case.cval == 0.0:
            boundary = "add zeros"
        pad = boundary is None
        planes = len(case.filtered_axes)
        passes = []  # one Gauss call per filtered axis: (sigmas, orders, truncation)
        for k, (sigma, r) in enumerate(zip(case.sigmas, case.radii, strict=True)):
            dip_axis = planes - 1 - k  # DIPlib's dimension 0 is numpy's last axis
            sigmas, orders = [0.0] * planes, [0] * planes
            sigmas[dip_axis] = float(sigma)
            passes.append((sigmas, orders, (r - 0.5) / sigma if r > 0 else 0.5))

        def one(plane: np.ndarray) -> np.ndarray:
            src = pad_for(case, plane) if pad else plane
            image = src
            for sigmas, orders, truncation in passes:
                if max(sigmas) == 0.0:
                    continue
                image = dip.Gauss(
                    image,
                    sigmas=sigmas,
                    derivativeOrder=orders,
                    method="FIR",
                    boundaryCondition=[boundary or "add zeros"],
                    truncation=truncation,
                )
            out = np.asarray(image)
            out = crop_padding(case, out, plane.shape) if pad else out
            return cast_output(out, case.dtype_out)

        return per_channel(case, x, one)
