"""Non-finite values (``reference.nonfinite``): the pattern, the finite pixels, integer outputs.

The pattern -- which elements come out NaN, +inf or -inf -- must equal the oracle's prediction
(``bench.oracle.nonfinite``) and the record; every other element must be bit-identical to the
same call with the non-finite inputs replaced by 0; integer outputs must equal the oracle's
storage model (x86-64 conversion of NaN/inf). A failure says which elements differ and how.
"""

from __future__ import annotations

import platform
from typing import Any

import numpy as np
import pytest

from reference.behaviour import first_difference, same_bits
from reference.nonfinite import NonFiniteCase, nonfinite_cases, observe_nonfinite, predicted_pattern
from reference.records import environment

CASES = nonfinite_cases()
_X86_64 = platform.machine().lower() in ("x86_64", "amd64")


def pattern_difference(got: str, want: str) -> str:
    """Where two rendered patterns differ, in words (row/column of the first few)."""
    if len(got) != len(want):
        return f"{got!r} vs {want!r}"
    rows_got, rows_want = got.split("/"), want.split("/")
    where = [
        (r, c, a, b)
        for r, (x, y) in enumerate(zip(rows_got, rows_want, strict=True))
        for c, (a, b) in enumerate(zip(x, y, strict=True))
        if a != b
    ]
    shown = ", ".join(f"[{r},{c}] {b!r}->{a!r}" for r, c, a, b in where[:6])
    return f"{len(where)} elements differ ({shown}{', ...' if len(where) > 6 else ''})"


def _finite_problems(case: NonFiniteCase, ndimage: Any, output: np.ndarray) -> list[str]:
    """Elements outside the predicted footprint must equal the call on the finite input."""
    from bench.oracle.nonfinite import FINITE, classes_of, nonfinite_pattern

    data = case.make_input()
    baseline = case.run(ndimage, case.finite_input())
    cval = complex(case.cval)
    parts = [("real", output.real, baseline.real, data.real, cval.real)]
    if output.dtype.kind == "c":
        parts.append(("imag", output.imag, baseline.imag, data.imag, cval.imag))
    problems = []
    for part, got, base, values, fill in parts:
        keep = (
            nonfinite_pattern(
                classes_of(values), case.sigma, case.order, case.mode, fill, case.truncate
            )
            == FINITE
        )
        if not same_bits(np.ascontiguousarray(got)[keep], np.ascontiguousarray(base)[keep]):
            problems.append(
                f"{part} part: elements outside the footprint differ from the same "
                f"call with the non-finite inputs set to 0: "
                f"{first_difference(np.where(keep, got, 0), np.where(keep, base, 0))}"
            )
    return problems


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.case_id)
def test_nonfinite(
    case: NonFiniteCase, ndimage: Any, oracle: Any, record: Any, observe: Any
) -> None:
    observed = observe_nonfinite(case, ndimage)
    details: dict[str, Any] = {"observed": observed, "changed": "none"}
    problems: list[str] = []
    kind = "none"
    if "exception" in observed:
        problems.append(f"raised {observed['exception']}: {observed['message']}")
        kind = "exception"
    elif case.output is None:
        want = predicted_pattern(case)
        for part, pattern in want.items():
            if observed["pattern"].get(part) != pattern:
                kind = "nonfinite-pattern"
                problems.append(
                    f"{part} part: pattern differs from the oracle's prediction: "
                    f"{pattern_difference(observed['pattern'][part], pattern)}"
                )
        found = _finite_problems(case, ndimage, case.run(ndimage))
        if found:
            kind = "finite-pixels" if kind == "none" else kind
            problems.extend(found)
    elif _X86_64:  # integer output: the whole array against the storage model
        with np.errstate(all="ignore"):
            model = oracle.gaussian_filter(case.make_input(), **case.kwargs())
        got = case.run(ndimage)
        if not same_bits(got, model):
            kind = "integer-output"
            problems.append(
                "differs from the oracle's storage model (x86-64 conversion of "
                f"NaN/inf to {case.output}): {first_difference(got, model)}"
            )
    expected = record.nonfinite.get(case.case_id) if record is not None else None
    if expected is None:
        problems.append("no recorded outcome; record it with `python -m reference.supplement`")
        kind = "record" if kind == "none" else kind
    elif expected.get("params") != case.params():
        problems.append("the record's parameters differ from the case's; re-record on purpose")
        kind = "record" if kind == "none" else kind
    else:
        changes = [
            f"{key} {expected.get(key)!r} -> {observed.get(key)!r}"
            for key in ("exception", "message", "dtype", "shape")
            if expected.get(key) != observed.get(key)
        ]
        for part, pattern in (expected.get("pattern") or {}).items():
            if observed.get("pattern", {}).get(part) != pattern:
                changes.append(
                    f"{part} part: pattern differs from the record: "
                    f"{pattern_difference(observed['pattern'][part], pattern)}"
                )
        why_not = record.section_bits_comparable("nonfinite", environment())
        if why_not:
            details["bits"] = f"not compared: {why_not}"
        elif expected.get("sha256") != observed.get("sha256"):
            changes.append("bits differ from the record")
        if changes:
            problems.extend(changes)
            kind = "record" if kind == "none" else kind
    if problems:
        details.update(changed=kind, summary="; ".join(problems))
        observe(details)
        pytest.fail(f"{case.case_id}: " + "; ".join(problems))
    observe(details)
