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


# --- behaviour beyond values (issue 9): each variant changes one observable behaviour ----------
from scipy.ndimage import gaussian_filter1d as _real1d  # noqa: E402  (captured before patching)

_BUFFER_BYTES = 256_000  # BUFFER_SIZE of scipy/ndimage/src/ni_filters.c


def _nudge(values: np.ndarray) -> None:
    """Move every element of ``values`` (a view) by the smallest step its dtype has."""
    if values.dtype.kind == "f":
        values[...] = np.nextafter(values, np.inf)
    elif values.dtype.kind == "c":
        values.real = np.nextafter(values.real, np.inf)
    else:
        values += np.ones((), values.dtype)


@functools.wraps(_real)
def layout_dependent(*args: Any, **kwargs: Any) -> Any:
    """Bits depend on the layout: a non-C-contiguous input gets its first element one ulp up."""
    result = _real(*args, **kwargs)
    data = _bound(args, kwargs)["input"]
    if isinstance(data, np.ndarray) and not data.flags.c_contiguous and result.size:
        _nudge(result.reshape(-1)[:1])
    return result


@functools.wraps(_real)
def aliases_input(*args: Any, **kwargs: Any) -> Any:
    """Where filtering changes nothing (every sigma ~0), the input itself is returned."""
    call = _bound(args, kwargs)
    sigmas = np.atleast_1d(np.asarray(call["sigma"], dtype=float))
    data = call["input"]
    if call.get("output") is None and isinstance(data, np.ndarray) and np.all(sigmas <= 1e-15):
        return data
    return _real(*args, **kwargs)


@functools.wraps(_real)
def ignores_output_array(*args: Any, **kwargs: Any) -> Any:
    """An ``output=`` array is neither written nor returned: a new array of its dtype is."""
    call = _bound(args, kwargs)
    out = call.get("output")
    if isinstance(out, np.ndarray) and out is not call["input"]:
        call["output"] = out.dtype
    return _real(**call)


@functools.wraps(_real)
def warns_on_float32(*args: Any, **kwargs: Any) -> Any:
    """A new warning: float32 input emits a DeprecationWarning."""
    import warnings

    if np.asarray(_bound(args, kwargs)["input"]).dtype == np.float32:
        warnings.warn("float32 input is deprecated", DeprecationWarning, stacklevel=2)
    return _real(*args, **kwargs)


@functools.wraps(_real)
def past_first_buffer(*args: Any, **kwargs: Any) -> Any:
    """A refill bug: lines past SciPy's first line buffer (last axis) end one step off.

    Uses SciPy's own buffer rule (``ni_support.c``), so arrays with fewer lines than one buffer
    holds -- every golden and random case -- are untouched.
    """
    result = _real(*args, **kwargs)
    call = _bound(args, kwargs)
    sigma = float(np.max(np.asarray(call["sigma"], dtype=float)))
    _nudge_past_first_buffer(result, -1, max(0, int(call.get("truncate", 4.0) * sigma + 0.5)))
    return result


def _nudge_past_first_buffer(result: Any, axis: int, radius: int) -> None:
    """Nudge the last element of every line along ``axis`` past the first line buffer."""
    if not isinstance(result, np.ndarray) or result.ndim == 0 or result.size == 0:
        return
    lines = np.moveaxis(result, axis, -1)  # a view: writes reach ``result``
    length = lines.shape[-1]
    per_buffer = max(1, _BUFFER_BYTES // (8 * (length + 2 * radius)))
    flat = lines.reshape(-1, length) if lines.flags.c_contiguous else None
    if flat is None:  # a strided view cannot be reshaped in place: index line by line
        index = list(np.ndindex(lines.shape[:-1]))
        past = index[per_buffer:] if len(index) > per_buffer else (
            index if 8 * (length + 2 * radius) > _BUFFER_BYTES else [])  # fmt: skip
        for where in past:
            _nudge(lines[where][-1:])
        return
    if flat.shape[0] > per_buffer:
        _nudge(flat[per_buffer:, -1])
    elif 8 * (length + 2 * radius) > _BUFFER_BYTES:  # one line longer than a whole buffer
        _nudge(flat[:, -1])


@functools.wraps(_real1d)
def gf1d_ignores_output_array(*args: Any, **kwargs: Any) -> Any:
    """gaussian_filter1d: an ``output=`` array is ignored (target ``gaussian_filter1d=``)."""
    names = ("input", "sigma", "axis", "order", "output", "mode", "cval", "truncate")
    call = dict(zip(names[: len(args)], args, strict=True))
    call.update(kwargs)
    out = call.get("output")
    if isinstance(out, np.ndarray) and out is not call["input"]:
        call["output"] = out.dtype
    return _real1d(**call)


@functools.wraps(_real1d)
def gf1d_past_first_buffer(*args: Any, **kwargs: Any) -> Any:
    """gaussian_filter1d: the same refill bug, along the filtered axis."""
    names = ("input", "sigma", "axis", "order", "output", "mode", "cval", "truncate")
    call = dict(zip(names[: len(args)], args, strict=True))
    call.update(kwargs)
    result = _real1d(*args, **kwargs)
    radius = max(0, int(call.get("truncate", 4.0) * float(call["sigma"]) + 0.5))
    _nudge_past_first_buffer(result, int(call.get("axis", -1)), radius)
    return result


@functools.wraps(_real)
def allocates_4x_float64(*args: Any, **kwargs: Any) -> Any:
    """A memory growth: a scratch of 4 float64 copies of the input, touched, freed on return.

    The values are unchanged; for ``gfbench compare``'s memory gate (tests/test_compare_memory.py).
    """
    data = np.asarray(_bound(args, kwargs)["input"])
    scratch = np.ones((4, *data.shape), dtype=np.float64)  # ones: every page is touched
    try:
        return _real(*args, **kwargs)
    finally:
        del scratch


# --- planted extra work (issue 13): the instruction-count gate must flag it --------------------
@functools.wraps(_real)
def extra_work_5pct(*args: Any, **kwargs: Any) -> Any:
    """About 5% more filtering work, same output: the first 5% of axis 0 is filtered again.

    ``gfbench sweep --metric instructions`` under ``GFBENCH_SCIPY_PATCH=scipy_variants:
    extra_work_5pct`` must give every SciPy case ~1.05x the instructions of the real function
    (tests/test_instructions.py), while the outputs stay bit-identical.
    """
    result = _real(*args, **kwargs)
    call = _bound(args, kwargs)
    data = np.asarray(call["input"])
    if data.ndim >= 1 and data.shape[0] >= 1:
        rows = max(1, round(0.05 * data.shape[0]))
        out = call.get("output")
        extra_out = None if isinstance(out, np.ndarray) else out  # never write into the caller's
        _real(**{**call, "input": data[:rows], "output": extra_out})  # the extra work, discarded
    return result


# --- non-finite values and input-array properties (issue 21): one variant per check kind ------
def _nonfinite_mask(data: np.ndarray) -> np.ndarray:
    if data.dtype.kind == "c":
        return ~(np.isfinite(data.real) & np.isfinite(data.imag))
    if data.dtype.kind == "f":
        return ~np.isfinite(data)
    return np.zeros(data.shape, dtype=bool)


@functools.wraps(_real)
def nan_stays_local(*args: Any, **kwargs: Any) -> Any:
    """NaN and inf no longer spread: they stay where they were, their neighbours come out finite
    (the non-finite inputs are filtered as 0 and put back afterwards)."""
    call = _bound(args, kwargs)
    data = call["input"]
    if not isinstance(data, np.ndarray) or not _nonfinite_mask(data).any():
        return _real(*args, **kwargs)
    bad = _nonfinite_mask(data)
    clean = np.where(bad, 0, data)
    result = _real(**{**call, "input": clean})
    if result.dtype.kind in "fc":
        result[bad] = data[bad]
    return result


@functools.wraps(_real)
def nonfinite_nudges_finite(*args: Any, **kwargs: Any) -> Any:
    """The pattern is right, but with non-finite input every finite float output element moves
    one ulp (the finite pixels depend on the NaN elsewhere)."""
    result = _real(*args, **kwargs)
    data = _bound(args, kwargs)["input"]
    if isinstance(data, np.ndarray) and _nonfinite_mask(data).any() and result.dtype.kind == "f":
        finite = np.isfinite(result)
        result[finite] = np.nextafter(result[finite], np.inf)
    return result


@functools.wraps(_real)
def nan_to_int_zero(*args: Any, **kwargs: Any) -> Any:
    """NaN/inf stored in an integer output become 0 (a saturating cast) instead of x86-64's
    'integer indefinite' (INT_MIN of the conversion register). Each axis pass is stored as SciPy
    stores it, truncated toward zero, so finite values keep their bits; in uint8 and int16 the
    indefinite value truncates to 0 anyway, so only int32 and int64 outputs change."""
    call = _bound(args, kwargs)
    data, out = call["input"], call.get("output")
    out_dtype = None if out is None or isinstance(out, np.ndarray) else np.dtype(out)
    if (out_dtype is None or out_dtype.kind not in "iu" or not isinstance(data, np.ndarray)
            or not _nonfinite_mask(data).any() or call.get("axes") is not None):  # fmt: skip
        return _real(*args, **kwargs)
    current = data
    count = data.ndim
    sigmas = np.broadcast_to(np.asarray(call["sigma"], dtype=float), (count,))
    orders = np.broadcast_to(np.asarray(call.get("order", 0)), (count,))
    modes = call.get("mode", _MODE_DEFAULT)
    modes = [modes] * count if isinstance(modes, str) else list(modes)
    for axis in range(count):
        if sigmas[axis] <= 1e-15:
            continue
        floating = _real1d(current, float(sigmas[axis]), axis=axis, order=int(orders[axis]),
                           mode=modes[axis], cval=call.get("cval", 0.0),
                           truncate=call.get("truncate", 4.0), output=np.float64)  # fmt: skip
        with np.errstate(invalid="ignore"):
            current = np.where(np.isfinite(floating), np.trunc(floating), 0).astype(np.int64)
        current = current.astype(out_dtype)
    return np.asarray(current, dtype=out_dtype)


@functools.wraps(_real)
def refuses_read_only_input(*args: Any, **kwargs: Any) -> Any:
    """Read-only input (memmaps, np.broadcast_to views, shared buffers) is refused."""
    data = _bound(args, kwargs)["input"]
    if isinstance(data, np.ndarray) and not data.flags.writeable:
        raise ValueError("input array is read-only")
    return _real(*args, **kwargs)


@functools.wraps(_real)
def keeps_input_subclass(*args: Any, **kwargs: Any) -> Any:
    """The result keeps the input's ndarray subclass (a MaskedArray keeps its mask)."""
    result = _real(*args, **kwargs)
    data = _bound(args, kwargs)["input"]
    if isinstance(data, np.ma.MaskedArray) and isinstance(result, np.ndarray):
        return np.ma.masked_array(result, mask=np.ma.getmaskarray(data))
    if type(data) is not np.ndarray and isinstance(data, np.ndarray) and result is not None:
        return result.view(type(data))
    return result


@functools.wraps(_real)
def writes_read_only_output(*args: Any, **kwargs: Any) -> Any:
    """A read-only output= array is not refused: it is made writeable and written."""
    call = _bound(args, kwargs)
    out = call.get("output")
    if isinstance(out, np.ndarray) and not out.flags.writeable and out.base is None:
        out.flags.writeable = True
    return _real(**call)


# --- planted Python-level work (issue 22): only a whole-call count can see it ------------------
@functools.wraps(_real)
def python_work_30pct(*args: Any, **kwargs: Any) -> Any:
    """Busy work in Python before the real call, same output: a loop of ``input.size // 2``
    empty iterations, about 30% more instructions on the guard grid's 128x128 cases.

    A fixed count of iterations, not a timed busy wait: a wait for a wall-clock time would
    execute a machine-dependent number of instructions (and ~50x more under valgrind).
    Invisible to entry-symbol counts (``--instructions-scope entry``), which see only SciPy's C
    core; a whole-call count must flag it.
    """
    call = _bound(args, kwargs)
    for _ in range(np.size(call["input"]) // 2):
        pass
    return _real(*args, **kwargs)
