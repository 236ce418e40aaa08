"""Accuracy of an output against the oracle's ideal result.

Metrics (row fields, see ``bench.store``): ``max_abs_error``, ``rmse``, ``bias`` (mean of
output - ideal), ``max_ulp_error`` (float outputs), ``max_grey_levels`` and
``frac_correctly_rounded`` (integer outputs), ``interior_max_abs_error`` /
``border_max_abs_error`` (border = within one kernel radius of an edge of a filtered axis, where
the boundary mode matters), and for SciPy ``matches_storage_model``: the output equals the
oracle's model of SciPy's storage (``output=<dtype>``: each axis pass stored in the output
dtype, integers truncated toward zero) bit for bit.

Why: docs/sweep.md.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from bench.sweep.cases import Case
from bench.sweep.inputs import ideal_input, input_for

_CACHE_SIZE = 4
_ideal_cache: OrderedDict[tuple, np.ndarray] = OrderedDict()
ULP_FLOOR_FRACTION = 1e-3


def _oracle_kwargs(case: Case) -> dict[str, Any]:
    sigma = list(case.sigmas) if isinstance(case.sigma, tuple) else case.sigma
    return {
        "sigma": sigma,
        "order": case.order,
        "mode": case.mode,
        "cval": case.cval,
        "truncate": case.truncate,
        "axes": case.axes,
    }


def ideal_for(case: Case) -> np.ndarray:
    """The oracle's ideal float64 output for ``case`` (cached by ``case.oracle_key``)."""
    key = case.oracle_key
    hit = _ideal_cache.get(key)
    if hit is not None:
        _ideal_cache.move_to_end(key)
        return hit
    from bench import oracle

    kwargs = _oracle_kwargs(case)
    result = oracle.gaussian_filter(ideal_input(case.shape), kwargs.pop("sigma"), **kwargs)
    result = np.asarray(result, dtype=np.float64)
    result.flags.writeable = False
    _ideal_cache[key] = result
    while len(_ideal_cache) > _CACHE_SIZE:
        _ideal_cache.popitem(last=False)
    return result


def storage_model_for(case: Case) -> np.ndarray:
    """The oracle's bit-exact model of SciPy's output dtype storage for ``case``."""
    from bench import oracle

    kwargs = _oracle_kwargs(case)
    x = input_for(case.shape, case.dtype_in)
    return oracle.gaussian_filter(x, kwargs.pop("sigma"), output=np.dtype(case.dtype_out), **kwargs)


def clear_cache() -> None:
    """Forget cached ideal outputs."""
    _ideal_cache.clear()


def border_mask(case: Case) -> np.ndarray:
    """True where a pixel lies within one kernel radius of an edge of a filtered axis."""
    mask = np.zeros(case.shape, dtype=bool)
    for axis, r in zip(case.filtered_axes, case.radii, strict=True):
        n = case.shape[axis]
        idx = np.arange(n)
        near = (idx < r) | (idx >= n - r)
        shape = [1] * case.ndim
        shape[axis] = n
        mask |= near.reshape(shape)
    return mask


def _max_or_none(values: np.ndarray) -> float | None:
    return float(values.max()) if values.size else None


def metrics(
    case: Case,
    output: np.ndarray,
    *,
    approximate: bool = False,
    check_storage_model: bool = False,
) -> dict[str, Any]:
    """Accuracy fields of a row.

    Parameters
    ----------
    case : Case
    output : numpy.ndarray
        What the implementation returned (its own dtype; skimage returns floats).
    approximate : bool
        The implementation is an approximation by design (Pillow); recorded in the row.
    check_storage_model : bool
        Compare with ``storage_model_for(case)`` bit for bit (SciPy rows).

    Raises
    ------
    ValueError
        The output's shape differs from the input's.
    """
    ideal = ideal_for(case)
    out = np.asarray(output)
    if out.shape != ideal.shape:
        raise ValueError(f"output shape {out.shape} != input shape {ideal.shape}")
    err = out.astype(np.float64) - ideal
    abs_err = np.abs(err)
    border = border_mask(case)
    result: dict[str, Any] = {
        "max_abs_error": float(abs_err.max()),
        "rmse": float(np.sqrt(np.mean(err * err))),
        "bias": float(err.mean()),
        "max_ulp_error": None,
        "max_grey_levels": None,
        "frac_correctly_rounded": None,
        "matches_storage_model": None,
        "interior_max_abs_error": _max_or_none(abs_err[~border]),
        "border_max_abs_error": _max_or_none(abs_err[border]),
        "approximate": bool(approximate),
    }
    if out.dtype.kind == "f":
        magnitude = np.abs(ideal)
        floor = max(float(magnitude.max()) * ULP_FLOOR_FRACTION, float(np.finfo(out.dtype).tiny))
        ulp = np.spacing(np.maximum(magnitude, floor).astype(out.dtype)).astype(np.float64)
        result["max_ulp_error"] = float((abs_err / ulp).max())
    elif out.dtype.kind in "ui":
        info = np.iinfo(out.dtype)
        rounded = np.clip(np.rint(ideal), info.min, info.max)
        result["max_grey_levels"] = float(abs_err.max())
        result["frac_correctly_rounded"] = float(np.mean(out == rounded))
    if check_storage_model:
        model = np.asarray(storage_model_for(case))
        result["matches_storage_model"] = bool(
            model.dtype == out.dtype and model.shape == out.shape and np.array_equal(model, out)
        )
    return result
