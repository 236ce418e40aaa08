"""dask-image ``dask_image.ndfilters.gaussian_filter`` on a chunked dask array.

Axis 0 and 1 are split in two (4 chunks on 2-D, matching a 2-core machine), never below the
kernel radius. Each chunk runs ``scipy.ndimage`` with an overlap of the radius; the threaded
scheduler computes them. dask-image has no ``output=`` argument, so "uint8->float*" converts the
input first; a channel axis gets sigma 0 (SciPy leaves such an axis untouched). Building the
graph and ``compute()`` are both inside the timed call.
"""

from __future__ import annotations

import math
import os

import numpy as np

from bench.sweep.cases import Case
from bench.sweep.impls.base import Adapter, Call


class DaskImageChunked(Adapter):
    name = "dask-image"
    module = "dask_image.ndfilters"
    distribution = "dask-image"
    install_hint = "dask-image"
    direct = True  # a direct convolution with SciPy's radius (bench.sweep.roofs)
    entry_symbols = ("NI_Correlate1D",)  # every chunk goes through scipy.ndimage

    def check(self, case: Case) -> str | None:
        return None

    def threads(self) -> int | None:
        return os.cpu_count()  # dask's threaded scheduler: one thread per core

    def prepare(self, case: Case, x: np.ndarray) -> Call:
        import dask.array as da
        from dask_image.ndfilters import gaussian_filter

        sigma = [0.0] * case.ndim
        radius = [0] * case.ndim
        for axis, s, r in zip(case.filtered_axes, case.sigmas, case.radii, strict=True):
            sigma[axis], radius[axis] = s, r
        chunks = list(x.shape)
        for axis in case.filtered_axes[:2]:
            n = x.shape[axis]
            chunks[axis] = min(n, max(math.ceil(n / 2), radius[axis], 1))
        work = np.dtype(case.dtype_out) if case.dtype_out != case.dtype_in else None

        def call() -> np.ndarray:
            d = da.from_array(x, chunks=tuple(chunks))
            if work is not None:
                d = d.astype(work)
            y = gaussian_filter(
                d, sigma, order=case.order, mode=case.mode, cval=case.cval, truncate=case.truncate
            )
            return y.compute(scheduler="threads")

        return call
