"""SimpleITK: ``DiscreteGaussian`` and ``SmoothingRecursiveGaussian``, both on one thread.

- ``sitk-discrete``: ``DiscreteGaussianImageFilter`` (variance sigma^2, no image spacing, a
  kernel at most SciPy's width): ITK's discrete (Bessel) Gaussian, not SciPy's sampled one;
- ``sitk-recursive``: ``SmoothingRecursiveGaussian`` (Deriche's IIR), float32, cast back.

Modes other than ``nearest`` (ITK's own border) are made by padding by SciPy's radius.

Why: docs/sweep.md.
"""

from __future__ import annotations

import math

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

_DTYPES = ("uint8", "uint16", "int16", "int32", "float32", "float64")


class SimpleITKGaussian(Adapter):
    """``DiscreteGaussian`` (``recursive=False``) or ``SmoothingRecursiveGaussian``."""

    module = "SimpleITK"
    distribution = "SimpleITK"
    install_hint = "SimpleITK"
    approximate = True
    no_entry_symbols = (
        "the SimpleITK wheel's _SimpleITK.abi3.so exports no filter Execute symbol (its "
        "functions are unnamed to callgrind): nothing to switch collection on"
    )

    def __init__(self, name: str, recursive: bool) -> None:
        self.name = name
        self.recursive = recursive

    def check(self, case: Case) -> str | None:
        if case.order != 0:
            return "ITK's Gaussian smoothing filters have no derivative order"
        if case.dtype_in not in _DTYPES:
            return f"no ITK pixel type for {case.dtype_in} in SimpleITK's wheel"
        if case.channel_axis is not None and len(case.filtered_axes) != case.ndim - 1:
            return "only one channel axis is looped over"
        return None

    def prepare(self, case: Case, x: np.ndarray) -> Call:
        import SimpleITK as sitk

        sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(1)
        sitk.ProcessObject.GlobalWarningDisplayOff()  # width-cap warnings would flood stderr
        sigmas_xyz = [float(s) for s in reversed(case.sigmas)]  # ITK's axis 0 is numpy's last
        native = canonical_mode(case.mode) == "nearest"
        work = np.dtype(case.dtype_out) if case.dtype_out != case.dtype_in else None
        if self.recursive:
            smoother = sitk.SmoothingRecursiveGaussianImageFilter()
            smoother.SetSigma(sigmas_xyz)
            smoother.SetNormalizeAcrossScale(False)
        else:
            smoother = sitk.DiscreteGaussianImageFilter()
            smoother.SetVariance([s * s for s in sigmas_xyz])
            smoother.SetUseImageSpacing(False)
            smoother.SetMaximumKernelWidth(2 * max(case.radii) + 1)
            # SciPy cuts the kernel at truncate sigmas: the mass beyond is erfc(truncate/sqrt 2)
            tail = math.erfc(case.truncate / math.sqrt(2.0))
            smoother.SetMaximumError([max(tail, 1e-12)] * len(sigmas_xyz))

        def one(plane: np.ndarray) -> np.ndarray:
            src = plane if work is None else plane.astype(work)
            padded = src if native else pad_for(case, src)
            out = sitk.GetArrayFromImage(smoother.Execute(sitk.GetImageFromArray(padded)))
            out = out if native else crop_padding(case, out, src.shape)
            return cast_output(out, case.dtype_out)

        return per_channel(case, x, one)
