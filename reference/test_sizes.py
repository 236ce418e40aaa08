"""Real sizes: arrays spanning several of SciPy's line buffers equal the oracle's storage model.

See ``reference.sizes`` for the buffer rule and the cases. float64 and complex128 results are
fully determined by the storage model on FMA-free builds (x86-64); elsewhere they are held to
1e-12 of the largest value (the float64 bound of ``reference.diffing`` is far tighter than any
change this check looks for, a buffer-refill bug moves whole lines).
"""

from __future__ import annotations

import platform
from functools import partial
from typing import Any

import numpy as np
import pytest

from reference.behaviour import (
    EXPECTED_RESULT_FLAGS,
    call_with_warnings,
    first_difference,
    result_flags,
    same_bits,
)
from reference.sizes import SIZE_CASES, SizeCase, buffers_spanned, radius_of

_FMA_FREE = platform.machine().lower() in ("x86_64", "amd64")


@pytest.mark.parametrize("case", SIZE_CASES, ids=lambda case: case.name)
def test_size_equals_storage_model(case: SizeCase, ndimage: Any, oracle: Any,
                                   observe: Any) -> None:  # fmt: skip
    x = case.make_input()
    before = x.copy()
    got, messages = call_with_warnings(partial(case.run, ndimage, x))
    model = case.model(oracle, x, got.dtype)
    spans = {
        f"axis {axis}": buffers_spanned(case.shape, axis, radius_of(sigma))
        for axis, sigma in case.filtered_axes()
    }
    description = (
        f"{case.dtype}{case.shape} ({case.layout}) {case.mode} sigma={case.sigma} "
        f"axis={case.axis} order={case.order} output={case.output}; line buffers {spans}"
    )
    observe({"observed": {"dtype": got.dtype.name, "shape": list(got.shape),
                          "buffers": spans}, "changed": "none"})  # fmt: skip
    problems = [] if same_bits(x, before) else ["the input was modified"]
    if messages:
        problems.append("warns: " + "; ".join(messages))
    if result_flags(got) != EXPECTED_RESULT_FLAGS:
        problems.append(f"result {result_flags(got)}, expected {EXPECTED_RESULT_FLAGS}")
    if problems:
        summary = f"{description}: " + "; ".join(problems)
        observe({"changed": "behaviour", "summary": summary})
        pytest.fail(summary)
    if model.dtype != got.dtype or model.shape != got.shape:
        summary = f"{description}: SciPy gives {got.dtype}{got.shape}, the model {model.dtype}"
        observe({"changed": "dtype", "summary": summary})
        pytest.fail(summary)
    exact = got.dtype not in (np.float64, np.complex128) or _FMA_FREE
    if not exact:
        scale = float(np.max(np.abs(model))) or 1.0
        agrees = bool(np.all(np.abs(got - model) <= 1e-12 * scale))
    else:
        agrees = same_bits(got, model)
    if not agrees:
        rows = np.flatnonzero(np.any((got != model).reshape(got.shape[0], -1), axis=1))
        summary = (
            f"{description}: {first_difference(got, model)} (storage model"
            f"{'' if exact else ', 1e-12 bound'}); rows differing: {rows[:3].tolist()}"
            f"{'...' if rows.size > 3 else ''} of {got.shape[0]}"
        )
        observe({"changed": "bits", "summary": summary})
        pytest.fail(summary)
    observe({"summary": f"equals the oracle's storage model bit for bit ({spans})"})
