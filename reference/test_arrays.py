"""Every property of the input array a caller can set (``reference.arrays``).

Judged by the promise of each variant (no record needed) and, where the record has it, against
the outcome recorded for this SciPy version: accepted or not, exception type and message,
warnings, the returned type, whether a mask survives, dtype and shape, and the bits when the
record was made with the installed SciPy, numpy and ``numpy.exp`` bits.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from reference.arrays import ATTRIBUTES, PROMISED, array_variants, observe_variant
from reference.behaviour import first_difference, same_bits
from reference.probes import describe_outcome, differences
from reference.records import environment

VARIANTS = array_variants()


def test_every_attribute_states_its_promise() -> None:
    """The table is complete: every attribute has variants and a stated promise."""
    assert set(ATTRIBUTES) == set(PROMISED)
    assert all(ATTRIBUTES[a] and PROMISED[a] for a in ATTRIBUTES)


def _promise_problems(variant: Any, ndimage: Any) -> list[str]:
    made = variant.make(variant.plain())
    if variant.promise == "refused":
        before = np.array(made, copy=True)
        try:
            variant.call(ndimage, made)
        except Exception:  # refused, as it must be; the type and message are recorded
            pass
        else:
            return ["accepted, but it must be refused"]
        return [] if same_bits(np.asarray(made), before) else ["the refused array was written"]
    before = np.array(made, copy=True)
    expected = variant.reference(ndimage, made)
    try:
        result = variant.call(ndimage, made)
    except Exception as exc:
        return [
            f"refused with {type(exc).__name__}: {exc}, but it holds the same values as a "
            "plain array, which is accepted"
        ]
    problems = []
    got = np.asarray(result)
    if variant.role == "output":
        if result is not made:
            problems.append("the call did not return the output= array")
        got = np.array(made, dtype=made.dtype.newbyteorder("="))
    elif type(result) is not np.ndarray:
        problems.append(f"returned {type(result).__name__}, not a plain ndarray")
    if not same_bits(got, expected):
        problems.append(f"other bits than a plain array: {first_difference(got, expected)}")
    if variant.role == "input":
        if np.shares_memory(got, np.asarray(made)):
            problems.append("the result shares memory with the input")
        if not same_bits(np.asarray(made), before):
            problems.append("the input was modified")
    return problems


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_array_variant(variant: Any, ndimage: Any, record: Any, observe: Any) -> None:
    outcome = observe_variant(variant, ndimage)
    details: dict[str, Any] = {"observed": outcome, "promise": variant.promise, "changed": "none"}
    problems = [] if variant.promise == "record" else _promise_problems(variant, ndimage)
    kind = "promise" if problems else "none"
    expected = record.arrays.get(variant.name) if record is not None else None
    if expected is not None:
        why_not_bits = record.section_bits_comparable("arrays", environment())
        compared = dict(expected)
        if why_not_bits:  # the bits depend on numpy.exp's last bits: compare the rest
            compared["sha256"] = outcome.get("sha256")
            details["bits"] = f"not compared: {why_not_bits}"
        changes = differences(compared, outcome)
        for key in ("type", "mask", "all_finite", "all_zero", "min", "max"):
            if compared.get(key) != outcome.get(key):
                changes.append(f"{key} {compared.get(key)!r} -> {outcome.get(key)!r}")
        if changes:
            problems.extend(changes)
            kind = (
                "accepted"
                if expected.get("accepted") != outcome.get("accepted")
                else ("exception" if not outcome.get("accepted") else "result")
            )
            details["expected"] = describe_outcome(expected)
    elif variant.promise == "record":
        observe(details)
        pytest.fail(
            f"no recorded outcome for {variant.name} (and no invariant to judge it by); "
            "record it with `python -m reference.supplement`"
        )
    else:
        details["record"] = "none; judged by the promise only"
    if problems:
        details.update(changed=kind, summary=f"{variant.name}: " + "; ".join(problems))
        observe(details)
        pytest.fail(details["summary"])
    observe(details)
