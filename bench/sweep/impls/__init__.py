"""Implementation adapters: one module per peer, and this registry.

``names()`` lists every implementation the grid may name; ``get(name)`` returns its adapter.
Adapter modules import their peer package only when a case runs, so a missing package gives
``unavailable`` rows instead of an ImportError.

The implementations, what each runs and why: docs/sweep.md.
"""

from __future__ import annotations

import functools
import importlib

from bench.sweep.impls.base import Adapter

# name -> (module, class, constructor kwargs). Order = report order.
_REGISTRY: dict[str, tuple[str, str, dict]] = {
    "scipy": ("bench.sweep.impls.scipy_ndimage", "ScipyNdimage", {}),
    "opencv-1t": (
        "bench.sweep.impls.opencv_blur",
        "OpenCVBlur",
        {"name": "opencv-1t", "threads": 1},
    ),
    "opencv": ("bench.sweep.impls.opencv_blur", "OpenCVBlur", {"name": "opencv", "threads": -1}),
    "opencv-sep-1t": (
        "bench.sweep.impls.opencv_blur",
        "OpenCVSepFilter",
        {"name": "opencv-sep-1t", "threads": 1},
    ),
    "skimage": ("bench.sweep.impls.skimage_gaussian", "SkimageGaussian", {}),
    "pillow": ("bench.sweep.impls.pillow_blur", "PillowBlur", {}),
    "fft": ("bench.sweep.impls.fft_convolve", "FFTConvolve", {}),
    "dask-image": ("bench.sweep.impls.dask_image_chunked", "DaskImageChunked", {}),
    "pyvips": ("bench.sweep.impls.pyvips_blur", "PyvipsBlur", {"name": "pyvips", "exact": False}),
    "pyvips-exact": (
        "bench.sweep.impls.pyvips_blur",
        "PyvipsBlur",
        {"name": "pyvips-exact", "exact": True},
    ),
    "sitk-discrete": (
        "bench.sweep.impls.simpleitk_gaussian",
        "SimpleITKGaussian",
        {"name": "sitk-discrete", "recursive": False},
    ),
    "sitk-recursive": (
        "bench.sweep.impls.simpleitk_gaussian",
        "SimpleITKGaussian",
        {"name": "sitk-recursive", "recursive": True},
    ),
    "diplib": ("bench.sweep.impls.diplib_gauss", "DiplibGauss", {}),
    "mahotas": ("bench.sweep.impls.mahotas_gaussian", "MahotasGaussian", {}),
}


def names() -> tuple[str, ...]:
    """Every implementation name, in report order."""
    return tuple(_REGISTRY)


@functools.cache
def get(name: str) -> Adapter:
    """The adapter for ``name``.

    Raises
    ------
    KeyError
        ``name`` is not one of ``names()``.
    """
    module_name, class_name, kwargs = _REGISTRY[name]
    cls = getattr(importlib.import_module(module_name), class_name)
    return cls(**kwargs)


def versions() -> dict[str, str | None]:
    """Installed version of each implementation's package (``None`` when missing)."""
    return {name: get(name).version() for name in names()}


__all__ = ["Adapter", "get", "names", "versions"]
