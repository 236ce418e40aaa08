"""FFT convolution: ``scipy.signal.fftconvolve`` with SciPy's kernel and explicit padding.

The input is padded by the radius the way the mode extends it (``numpy.pad``), convolved with
the outer product of SciPy's 1-D kernels over the filtered axes, and the ``valid`` part kept.
float32 output computes in float32 (``scipy.fft`` keeps single precision); everything else in
float64. Integer outputs are rounded to nearest and clipped, as a user converting a float
result would do (SciPy itself truncates; that difference is one of the pitfalls).

Derivatives (order > 0) with mode constant and cval != 0 differ from SciPy near the border:
SciPy pads every axis pass's *intermediate* with cval, this pads the input once (a true N-D
constant border). The interior agrees (tests/test_impls.py).
"""

from __future__ import annotations

import numpy as np

from bench.sweep.cases import Case
from bench.sweep.impls.base import Adapter, Call, cast_output, pad_for, scipy_kernel1d


class FFTConvolve(Adapter):
    name = "fft"
    module = "scipy.signal"
    distribution = "scipy"
    install_hint = "scipy"
    # pocketfft's radix passes inside scipy.fft (rfftn/irfftn), ~60% of the transform. Not the
    # drivers general_r2c/general_nd: they malloc per batch of lines, and malloc's count depends
    # on the heap's history (measured 0.2-0.8% A/A); nor the pybind11 bindings (Python glue,
    # 0.18% A/A). Padding, the product and the cast are NumPy work outside (not counted).
    entry_symbols = (
        "*pocketfft::detail::rfftp<*>::exec<*",
        "*pocketfft::detail::cfftp<*>::pass_all<*",
    )

    def check(self, case: Case) -> str | None:
        return None

    def prepare(self, case: Case, x: np.ndarray) -> Call:
        from scipy import signal

        work = np.float32 if case.dtype_out == "float32" else np.float64
        kernel = np.ones((1,) * case.ndim)
        for axis, s, r in zip(case.filtered_axes, case.sigmas, case.radii, strict=True):
            shape = [1] * case.ndim
            shape[axis] = 2 * r + 1
            kernel = kernel * scipy_kernel1d(s, case.order, r).reshape(shape)
        kernel = kernel.astype(work)
        axes = case.filtered_axes

        def call() -> np.ndarray:
            padded = pad_for(case, x.astype(work, copy=False))
            y = signal.fftconvolve(padded, kernel, mode="valid", axes=axes)
            return cast_output(y, case.dtype_out)

        return call
