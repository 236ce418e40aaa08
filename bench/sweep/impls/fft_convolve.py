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
    # pocketfft's transform drivers inside scipy.fft (rfftn: general_r2c, then general_nd for
    # the other axes; irfftn: general_nd, then general_c2r). Not the r2c/c2r bindings: they
    # include pybind11's Python glue, whose count moved 0.18% A/A. Padding, the product and the
    # cast are NumPy work outside them (not counted).
    entry_symbols = (
        "*pocketfft::detail::general_r2c<*",
        "*pocketfft::detail::general_c2r<*",
        "*pocketfft::detail::general_nd<*",
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
