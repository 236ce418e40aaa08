"""Behaviour beyond values: layout, aliasing, warnings and argument forms (``reference.behaviour``,
``reference.forms``).

Layout, aliasing and warnings are judged by invariants (no record needed). Argument forms are
judged by an invariant (an accepted spelling equals its canonical call bit for bit) and, where the
record has them, against the outcome recorded for this SciPy version (accepted or not, exception
type and message, warnings with their messages, result bits).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import pytest

from reference.behaviour import (
    EXPECTED_RESULT_FLAGS,
    LAYOUT_CALLS,
    LAYOUT_DTYPES,
    LAYOUTS,
    ORDINARY_CALLS,
    call_with_warnings,
    caught_warnings,
    first_difference,
    make_input,
    output_layouts,
    result_flags,
    same_bits,
)
from reference.forms import all_forms
from reference.probes import (
    describe_outcome,
    differences,
    missing_reason,
    observe_call,
    only_float_bits,
)
from reference.records import environment

FORMS = all_forms()


# --- memory layout ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("dtype", "layout"),
    [(d, lay) for d in LAYOUT_DTYPES for lay in sorted(LAYOUTS)],
    ids=[f"layout/{d}/{lay}" for d in LAYOUT_DTYPES for lay in sorted(LAYOUTS)],
)
def test_layout(dtype: str, layout: str, ndimage: Any, observe: Any) -> None:
    """The result's bits do not depend on the input's memory layout; the result is a new,
    C-ordered, writeable, native-endian array; the input is untouched; nothing warns."""
    wrong, other = [], []
    for spec in LAYOUT_CALLS:
        x = make_input(spec.shape, dtype)
        laid_out = LAYOUTS[layout](x)
        assert np.array_equal(laid_out, x)  # the same values, another layout
        reference = spec.call(ndimage, x)
        before = laid_out.copy()
        result, messages = call_with_warnings(partial(spec.call, ndimage, laid_out))
        if not same_bits(result, reference):
            wrong.append(f"{spec.name}: {first_difference(result, reference)}")
        flags = result_flags(result)
        if flags != EXPECTED_RESULT_FLAGS:
            other.append(f"{spec.name}: result {flags}, expected {EXPECTED_RESULT_FLAGS}")
        if not same_bits(laid_out, before):
            other.append(f"{spec.name}: the input was modified")
        if messages:
            other.append(f"{spec.name} warns: " + "; ".join(messages))
    observe({"observed": {"layout_independent": not wrong, "other": other}, "changed": "none"})
    if wrong or other:
        summary = f"{dtype} input as {layout}: " + "; ".join(
            ([f"gives other bits than C order: {'; '.join(wrong)}"] if wrong else []) + other
        )
        observe({"changed": "layout" if wrong else "behaviour", "summary": summary})
        pytest.fail(summary)


_OUT_LAYOUTS = [(d, lay) for d in ("float64", "float32", "uint8")
                for lay in ("c-order", *sorted(LAYOUTS))]  # fmt: skip


@pytest.mark.parametrize(
    ("out_dtype", "layout"),
    _OUT_LAYOUTS,
    ids=[f"output-array/{d}/{lay}" for d, lay in _OUT_LAYOUTS],
)
def test_output_layout(out_dtype: str, layout: str, ndimage: Any, observe: Any) -> None:
    """An ``output=`` array of any layout is written with the bits of ``output=<its dtype>``;
    the call returns it, and nothing around it (in the array it views) is touched."""
    x = make_input((45, 38), "float64")
    expected = {
        "gf": ndimage.gaussian_filter(x, 1.5, output=np.dtype(out_dtype)),
        "gf1d": ndimage.gaussian_filter1d(x, 1.5, axis=0, output=np.dtype(out_dtype)),
    }
    problems = []
    for name, run in (
        ("gf", lambda out: ndimage.gaussian_filter(x, 1.5, output=out)),
        ("gf1d", lambda out: ndimage.gaussian_filter1d(x, 1.5, axis=0, output=out)),
    ):
        out = output_layouts(x.shape, out_dtype)[layout]
        base = out
        while isinstance(base.base, np.ndarray):
            base = base.base
        before = base.copy()  # the view holds the sentinel 77, the rest of its base 0
        returned = run(out)
        if returned is not out:
            problems.append(f"{name}: the output= array is not what the call returns")
        if not same_bits(out, expected[name]):
            problems.append(f"{name}: output= array holds {first_difference(out, expected[name])}")
        out[...] = 77  # put the sentinel back: the whole base must then be as before
        if not same_bits(base, before):
            problems.append(f"{name}: elements outside the output= view were changed")
    observe({"observed": {"output_array_written_and_returned": not problems}, "changed": "none"})
    if problems:
        summary = f"output= {out_dtype} array as {layout}: " + "; ".join(problems)
        observe({"changed": "aliasing", "summary": summary})
        pytest.fail(summary)


# --- aliasing ---------------------------------------------------------------------------------
def _aliasing_calls(caps: dict) -> list[tuple[str, Any]]:
    calls = [
        ("gf/float64", lambda nd, x: nd.gaussian_filter(x, 1.5)),
        ("gf/sigma-0", lambda nd, x: nd.gaussian_filter(x, 0.0)),
        ("gf/sigma-0-sequence", lambda nd, x: nd.gaussian_filter(x, (0.0, 0.0))),
        ("gf/output-same-dtype", lambda nd, x: nd.gaussian_filter(x, 1.5, output=x.dtype)),
        ("gf/output-float32", lambda nd, x: nd.gaussian_filter(x, 1.5, output=np.float32)),
        ("gf1d/axis0", lambda nd, x: nd.gaussian_filter1d(x, 1.5, axis=0)),
        ("gf1d/radius-0", lambda nd, x: nd.gaussian_filter1d(x, 1.5, truncate=0.1)),
    ]
    if caps["axes"]:
        calls.append(("gf/axes-empty", lambda nd, x: nd.gaussian_filter(x, 1.5, axes=())))
    if caps["radius"]:
        calls.append(("gf/radius-0", lambda nd, x: nd.gaussian_filter(x, 1.5, radius=0)))
    return calls


@pytest.mark.parametrize("dtype", ["float64", "float32", "uint8"], ids=lambda d: f"aliasing/{d}")
def test_result_is_new_memory_and_input_untouched(
    dtype: str, ndimage: Any, caps: dict, observe: Any
) -> None:
    """The result never shares memory with the input, and the input is never modified,
    even where the result equals the input (sigma 0, radius 0, no axes)."""
    problems = []
    observed = {}
    for name, call in _aliasing_calls(caps):
        plain = make_input((12, 10), dtype)
        for layout, x in (("c-order", plain), ("strided", LAYOUTS["strided-view"](plain))):
            before = x.copy()
            result = call(ndimage, x)
            shares = bool(np.shares_memory(result, x))
            observed[f"{name}/{layout}"] = {"shares_memory_with_input": shares}
            if result is x or shares:
                problems.append(f"{name} ({layout} input): the result shares memory with the input")
            if not same_bits(x, before):
                problems.append(f"{name} ({layout} input): the input was modified")
    observe({"observed": observed, "changed": "none"})
    if problems:
        observe({"changed": "aliasing", "summary": f"{dtype}: " + "; ".join(problems)})
        pytest.fail("; ".join(problems))


_IN_PLACE = [(f, lay) for f in ("gaussian_filter", "gaussian_filter1d")
             for lay in ("c-order", "fortran-order", "strided-view")]  # fmt: skip


@pytest.mark.parametrize(
    ("function", "layout"), _IN_PLACE, ids=[f"output-is-input/{f}/{lay}" for f, lay in _IN_PLACE]
)
def test_output_is_input(function: str, layout: str, ndimage: Any, observe: Any) -> None:
    """``output=input`` returns the input, holding exactly the out-of-place result."""
    x = make_input((40, 33), "float64")
    if layout != "c-order":
        x = LAYOUTS[layout](x)
    call = getattr(ndimage, function)
    expected = call(x.copy(), 2.0)
    returned = call(x, 2.0, output=x)
    problems = []
    if returned is not x:
        problems.append("the call did not return the output= array")
    if not same_bits(x, expected):
        problems.append(f"in place differs from out of place: {first_difference(x, expected)}")
    observe({"observed": {"in_place_equals_out_of_place": not problems}, "changed": "none"})
    if problems:
        summary = f"{function}(x, output=x) with {layout} x: " + "; ".join(problems)
        observe({"changed": "aliasing", "summary": summary})
        pytest.fail(summary)


# --- warnings ---------------------------------------------------------------------------------
@pytest.mark.parametrize("entry", ORDINARY_CALLS, ids=lambda entry: f"warnings/{entry[0]}")
def test_ordinary_call_does_not_warn(entry: tuple, ndimage: Any, caps: dict, observe: Any) -> None:
    name, call, requires = entry
    for feature in requires:
        if not caps[feature]:
            pytest.skip(missing_reason(feature))
    messages = caught_warnings(lambda: call(ndimage))
    observe({"observed": {"warnings": messages}, "changed": "none"})
    if messages:
        summary = f"{name} warns: " + "; ".join(messages)
        observe({"changed": "warnings", "summary": summary})
        pytest.fail(summary)


# --- argument forms ---------------------------------------------------------------------------
@pytest.mark.parametrize("form", FORMS, ids=lambda form: f"form/{form.name}")
def test_form(form: Any, ndimage: Any, caps: dict, record: Any, observe: Any) -> None:
    """An argument spelling: equal to its canonical call when accepted; as recorded."""
    for feature in form.requires:
        if not caps[feature]:
            pytest.skip(missing_reason(feature))
    outcome = observe_call(form.call, ndimage)
    details: dict[str, Any] = {"observed": outcome, "changed": "none"}
    problems = []
    kind = "none"
    if outcome.get("accepted") and form.canonical is not None:
        canonical = observe_call(form.call_canonical, ndimage)
        if not canonical.get("accepted"):
            problems.append(f"the canonical call {form.canonical} raises but this form is "
                            f"accepted: {describe_outcome(canonical)}")  # fmt: skip
        elif (canonical["dtype"], canonical["shape"], canonical["sha256"]) != (
            outcome["dtype"],
            outcome["shape"],
            outcome["sha256"],
        ):
            same_kind = canonical["dtype"] == outcome["dtype"]
            problems.append(f"accepted, but differs from the canonical call {form.canonical}: "
                            f"{describe_outcome(outcome)} vs {describe_outcome(canonical)}"
                            f"{' (other bits)' if same_kind else ''}")  # fmt: skip
        kind = "form-invariant" if problems else kind
    expected = record.forms.get(form.name) if record is not None else None
    if expected is not None and "unavailable" not in expected:
        changes = differences(expected, outcome)
        numpy_reason = record.numpy_mismatch(environment()) if changes else None
        if changes and numpy_reason and only_float_bits(expected, outcome):
            # The record's numpy.exp gave other bits; the invariant above (equal to the
            # canonical call, here) still judges this form, so the record's bits cannot.
            details["record"] = f"bits differ from the record, but {numpy_reason}"
            changes = []
        if changes:
            problems.extend(changes)
            kind = "accepted" if expected.get("accepted") != outcome.get("accepted") else (
                "exception" if not outcome.get("accepted") else "result")  # fmt: skip
            details["expected"] = describe_outcome(expected)
    else:
        # no record of this form for this SciPy: the invariant above is the whole judgement
        details["record"] = "none; judged by the invariant only"
    if problems:
        details.update(changed=kind, summary="; ".join(problems))
        observe(details)
        pytest.fail(f"form {form.name}: " + "; ".join(problems))
    observe(details)
