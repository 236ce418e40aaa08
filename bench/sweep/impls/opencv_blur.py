"""OpenCV ``cv2.GaussianBlur`` with SciPy's kernel: ksize = 2r+1 and the same sigma.

Borders: reflect -> BORDER_REFLECT, mirror -> BORDER_REFLECT_101, nearest -> BORDER_REPLICATE,
constant with cval 0 -> BORDER_CONSTANT. ``wrap`` (OpenCV's filters reject BORDER_WRAP) and
constant with cval != 0 are done by explicit ``numpy.pad`` by the radius and a crop; the
padding is inside the timed call because a user has to pay it too.

Threads: OpenCV's global thread count is set in ``prepare``: ``opencv-1t`` uses 1 thread,
``opencv`` OpenCV's default (all cores). Two implementations, so both are always recorded.

Why: docs/sweep.md.
"""

from __future__ import annotations

import numpy as np

from bench.sweep.cases import Case
from bench.sweep.impls.base import Adapter, Call, canonical_mode, pad_for

_OK_DTYPES = ("uint8", "uint16", "int16", "float32", "float64")


class OpenCVBlur(Adapter):
    module = "cv2"
    distribution = "opencv-python-headless"
    install_hint = "opencv-python-headless"
    direct = True  # a direct convolution with SciPy's radius (bench.sweep.roofs)
    no_entry_symbols = (
        "the opencv-python wheel's cv2.abi3.so is stripped (19 exported symbols, none of "
        "GaussianBlur/sepFilter2D): callgrind has no name to switch collection on"
    )

    def __init__(self, name: str, threads: int) -> None:
        self.name = name
        self._threads = threads  # 1, or -1 = OpenCV's default

    def version(self) -> str | None:
        try:
            import cv2
        except ImportError:
            return None
        return cv2.__version__

    def check(self, case: Case) -> str | None:
        if case.order != 0:
            return "cv2.GaussianBlur has no derivative order (cv2.Sobel uses a different kernel)"
        if case.dtype_in == "int32":
            return "OpenCV filters have no 32-bit integer (CV_32S) path"
        if case.channel_axis is None and case.ndim != 2:
            return f"cv2.GaussianBlur filters 2-D images; a {case.ndim}-D volume is not one"
        if case.channel_axis is not None and (case.ndim != 3 or case.channel_axis != 2):
            return "OpenCV images keep channels on the last axis of a 3-D array only"
        return None

    def threads(self) -> int | None:
        import cv2

        return int(cv2.getNumThreads())

    def prepare(self, case: Case, x: np.ndarray) -> Call:
        import cv2

        cv2.setNumThreads(self._threads)
        sigma_y, sigma_x = case.sigmas  # numpy axis 0 is OpenCV's y
        r_y, r_x = case.radii
        ksize = (2 * r_x + 1, 2 * r_y + 1)
        work = np.dtype(case.dtype_out) if case.dtype_out != case.dtype_in else None
        border, explicit_pad = _border(cv2, case)

        def call() -> np.ndarray:
            src = x if work is None else x.astype(work)  # uint8 -> float: no ddepth argument
            if not explicit_pad:
                return cv2.GaussianBlur(src, ksize, sigma_x, sigmaY=sigma_y, borderType=border)
            padded = pad_for(case, src)
            y = cv2.GaussianBlur(
                padded, ksize, sigma_x, sigmaY=sigma_y, borderType=cv2.BORDER_CONSTANT
            )
            return y[r_y : r_y + x.shape[0], r_x : r_x + x.shape[1]]

        return call


class OpenCVSepFilter(OpenCVBlur):
    """``cv2.sepFilter2D`` with SciPy's exact float64 kernel, 1 thread.

    The "pass SciPy's kernel" variant of OpenCV: it keeps a floating-point kernel for 8-bit data
    (measured: 100% correctly rounded uint8 output, where GaussianBlur's fixed point gives 81%),
    takes derivative orders (SciPy's derivative kernels), and writes uint8 -> float32/float64
    directly through ``ddepth``. Negative derivative values saturate to 0 in unsigned outputs
    (SciPy wraps them). sepFilter2D correlates, so the kernel is reversed (odd orders). Like the
    FFT peer, derivatives with a non-zero constant border differ from SciPy near the border
    (SciPy pads each pass's intermediate with cval).
    """

    def check(self, case: Case) -> str | None:
        if case.dtype_in == "int32":
            return "OpenCV filters have no 32-bit integer (CV_32S) path"
        if case.channel_axis is None and case.ndim != 2:
            return f"cv2.sepFilter2D filters 2-D images; a {case.ndim}-D volume is not one"
        if case.channel_axis is not None and (case.ndim != 3 or case.channel_axis != 2):
            return "OpenCV images keep channels on the last axis of a 3-D array only"
        return None

    def prepare(self, case: Case, x: np.ndarray) -> Call:
        import cv2

        from bench.sweep.impls.base import scipy_kernel1d

        cv2.setNumThreads(self._threads)
        (sigma_y, sigma_x), (r_y, r_x) = case.sigmas, case.radii
        kernel_y = scipy_kernel1d(sigma_y, case.order, r_y)[::-1].copy()
        kernel_x = scipy_kernel1d(sigma_x, case.order, r_x)[::-1].copy()
        ddepth = {"float32": cv2.CV_32F, "float64": cv2.CV_64F}.get(case.dtype_out, -1)
        border, explicit_pad = _border(cv2, case)

        def call() -> np.ndarray:
            if not explicit_pad:
                return cv2.sepFilter2D(x, ddepth, kernel_x, kernel_y, borderType=border)
            padded = pad_for(case, x)
            y = cv2.sepFilter2D(padded, ddepth, kernel_x, kernel_y, borderType=cv2.BORDER_CONSTANT)
            return y[r_y : r_y + x.shape[0], r_x : r_x + x.shape[1]]

        return call


def _border(cv2, case: Case) -> tuple[int | None, bool]:
    """OpenCV's border type for the case's mode, and whether to pad explicitly instead.

    OpenCV has no wrap border for filters and a constant border of 0 only, so ``wrap`` and
    ``constant`` with cval != 0 are padded with ``np.pad`` first.
    """
    mode = canonical_mode(case.mode)
    border = {
        "reflect": cv2.BORDER_REFLECT,
        "mirror": cv2.BORDER_REFLECT_101,
        "nearest": cv2.BORDER_REPLICATE,
        "constant": cv2.BORDER_CONSTANT,
    }.get(mode)
    return border, mode == "wrap" or (mode == "constant" and case.cval != 0.0)
