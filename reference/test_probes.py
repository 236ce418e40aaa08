"""API probes: accepted argument forms and raised exceptions must match the stored record.

A probe difference is a failure that names the probe and says what changed: accepted <->
rejected, the exception type, the message, or the result's dtype, shape or bits.
"""

from __future__ import annotations

from typing import Any

import pytest

from reference.probes import FEATURES, all_probes, describe_outcome, differences, missing_reason
from reference.probes import observe as run_probe
from reference.records import environment

PROBES = all_probes()


@pytest.mark.parametrize("feature", sorted(FEATURES))
def test_capability(feature: str, caps: dict, record: Any, observe: Any) -> None:
    """A keyword that appears or disappears (read from the signature) is a change."""
    observe({"observed": {"available": caps[feature]}, "changed": "none"})
    if record is None:
        pytest.skip("no record to compare with")
    was = record.capabilities.get(feature)
    if was != caps[feature]:
        summary = f"{feature}= keyword {'appeared' if caps[feature] else 'disappeared'}"
        observe({"changed": "capability", "summary": summary})
        pytest.fail(f"{summary} (record for SciPy {record.scipy_version}: {was})")


@pytest.mark.parametrize("probe", PROBES, ids=lambda probe: probe.name)
def test_probe(probe: Any, ndimage: Any, caps: dict, record: Any, observe: Any) -> None:
    for feature in probe.requires:
        if not caps[feature]:
            pytest.skip(missing_reason(feature))
    outcome = run_probe(probe, ndimage)
    details: dict[str, Any] = {"observed": outcome, "changed": "none"}
    if record is None:
        observe(details)
        pytest.fail("no probe record to compare with (see test_golden.py::test_record_exists)")
    expected = record.probes.get(probe.name)
    if expected is None:
        observe(details)
        pytest.fail(f"{record.path.name} has no outcome for probe {probe.name}")
    if "unavailable" in expected:
        observe(details)
        pytest.skip(
            f"the record's SciPy {record.scipy_version} could not run it: {expected['unavailable']}"
        )
    changes = differences(expected, outcome)
    numpy_reason = record.numpy_mismatch(environment()) if changes else None
    if changes and numpy_reason and _only_float_bits(expected, outcome):
        # SciPy weighs with numpy.exp, whose last bits depend on numpy and the CPU's SIMD path:
        # the same SciPy gives other float bits on another machine. Values are judged against
        # the oracle by the golden cases; a probe here can only say its bits are not comparable.
        observe({**details, "changed": "none", "summary": "; ".join(changes)})
        pytest.skip(f"probe {probe.name}: {'; '.join(changes)}, but {numpy_reason}")
    if changes:
        kind = (
            "accepted"
            if expected.get("accepted") != outcome.get("accepted")
            else ("exception" if not outcome.get("accepted") else "result")
        )
        details.update(
            changed=kind, summary="; ".join(changes), expected=describe_outcome(expected)
        )
        observe(details)
        pytest.fail(f"probe {probe.name}: " + "; ".join(changes))
    observe(details)


def _only_float_bits(expected: dict, outcome: dict) -> bool:
    """Both accepted, same float dtype and shape: only the result's bits differ."""
    return (
        bool(expected.get("accepted"))
        and bool(outcome.get("accepted"))
        and expected.get("dtype") == outcome.get("dtype")
        and str(outcome.get("dtype", "")).startswith(("float", "complex"))
        and list(expected.get("shape", [])) == list(outcome.get("shape", []))
    )
