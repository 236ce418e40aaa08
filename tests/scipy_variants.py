"""Deliberately altered variants of ``scipy.ndimage.gaussian_filter``, for tests/test_verify.py.

Each variant wraps the real function (captured at import, before the patch is installed) and
changes one behaviour. ``gfbench verify`` runs with ``GFBENCH_SCIPY_PATCH=scipy_variants:<name>``
(see ``reference.patching``) and must exit 1 naming the affected case; ``unaltered`` must pass.
``functools.wraps`` keeps the real signature, so capability detection sees the real keywords.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
from scipy.ndimage import gaussian_filter as _real

_MODE_DEFAULT = "reflect"


def _bound(args: tuple, kwargs: dict) -> dict[str, Any]:
    names = ("input", "sigma", "order", "output", "mode", "cval", "truncate")
    merged = dict(zip(names[: len(args)], args, strict=True))
    merged.update(kwargs)
    return merged


@functools.wraps(_real)
def unaltered(*args: Any, **kwargs: Any) -> Any:
    """The real function behind a wrapper: must pass everything."""
    return _real(*args, **kwargs)


@functools.wraps(_real)
def ulp_one_pixel(*args: Any, **kwargs: Any) -> Any:
    """One pixel one ulp up, only for float64 results of shape (9, 11) in mirror mode."""
    result = _real(*args, **kwargs)
    call = _bound(args, kwargs)
    if (
        isinstance(result, np.ndarray)
        and result.dtype == np.float64
        and result.shape == (9, 11)
        and call.get("mode", _MODE_DEFAULT) == "mirror"
    ):
        result.flat[5] = np.nextafter(result.flat[5], np.inf)
    return result


@functools.wraps(_real)
def uint8_returns_uint16(*args: Any, **kwargs: Any) -> Any:
    """The output dtype changes: uint8 input without ``output`` comes back as uint16."""
    result = _real(*args, **kwargs)
    call = _bound(args, kwargs)
    if np.asarray(call["input"]).dtype == np.uint8 and call.get("output") is None:
        return result.astype(np.uint16)
    return result


@functools.wraps(_real)
def mirror_as_reflect(*args: Any, **kwargs: Any) -> Any:
    """A mode behaves differently: 'mirror' is handled as 'reflect'."""
    call = _bound(args, kwargs)
    if call.get("mode", _MODE_DEFAULT) == "mirror":
        call["mode"] = "reflect"
    return _real(**call)


@functools.wraps(_real)
def accepts_float16(*args: Any, **kwargs: Any) -> Any:
    """A probe flips: float16 input, which SciPy rejects, is computed in float32 instead."""
    call = _bound(args, kwargs)
    data = np.asarray(call["input"])
    if data.dtype == np.float16:
        call["input"] = data.astype(np.float32)
    return _real(**call)


@functools.wraps(_real)
def unknown_mode_value_error(*args: Any, **kwargs: Any) -> Any:
    """A different exception type: an unknown mode raises ValueError, not RuntimeError."""
    call = _bound(args, kwargs)
    modes = call.get("mode", _MODE_DEFAULT)
    known = {"reflect", "constant", "nearest", "mirror", "wrap", "grid-mirror", "grid-constant",
             "grid-wrap"}  # fmt: skip
    for mode in [modes] if isinstance(modes, str) or modes is None else list(modes):
        if mode not in known:
            raise ValueError(f"mode must be one of {sorted(known)}, got {mode!r}")
    return _real(**call)


@functools.wraps(_real)
def radius_ceil(*args: Any, **kwargs: Any) -> Any:
    """The radius rule changes from int(truncate*sigma + 0.5) to ceil(truncate*sigma)."""
    call = _bound(args, kwargs)
    if call.get("radius") is None:
        sigma = call["sigma"]
        truncate = call.get("truncate", 4.0)
        sigmas = list(sigma) if isinstance(sigma, (list, tuple, np.ndarray)) else None
        if sigmas is None:
            call["radius"] = max(0, math.ceil(truncate * float(sigma)))
        else:
            call["radius"] = [max(0, math.ceil(truncate * float(s))) for s in sigmas]
    return _real(**call)


@functools.wraps(_real)
def float32_single_rounding(*args: Any, **kwargs: Any) -> Any:
    """float32 computed differently: all passes in float64, rounded to float32 once at the end."""
    call = _bound(args, kwargs)
    data = np.asarray(call["input"])
    if data.dtype == np.float32 and call.get("output") is None:
        call["input"] = data.astype(np.float64)
        return _real(**call).astype(np.float32)
    return _real(**call)
