"""Golden outputs: every case of the grid must reproduce its recorded bits, dtype and shape.

A difference is a change (the mission is to detect changes). The failure says what changed
(bits, dtype, shape or exception), by how much against the recorded output, and whether the new
output still agrees with the oracle, so a reviewer can tell a harmless rounding change from a bug.
"""

from __future__ import annotations

from typing import Any

import pytest

from reference.diffing import array_change
from reference.grid import GoldenCase, golden_cases
from reference.judge import judge, load_oracle, storage_model_bits
from reference.probes import missing_reason
from reference.records import environment, observe_case

CASES = golden_cases()


def _oracle_verdict(case: GoldenCase, output: Any) -> dict[str, Any]:
    oracle, why = load_oracle()
    if oracle is None:
        return {"rule": "unavailable", "agrees": None, "summary": why}
    try:
        return judge(case, output, oracle)
    except Exception as exc:  # the oracle refusing a case must not hide the golden verdict
        return {"rule": "error", "agrees": None, "summary": f"oracle raised {exc!r}"}


def test_record_exists(record: Any) -> None:
    assert record is not None, (
        "no golden record in reference/data/; create one with `gfbench verify --update-golden`"
    )


def test_record_covers_grid(record: Any) -> None:
    """The stored cases and the grid in reference/grid.py must be the same set, same params."""
    if record is None:
        pytest.skip("no record (see test_record_exists)")
    grid = {case.case_id: case.params() for case in CASES}
    stored = {case_id: entry["params"] for case_id, entry in record.golden.items()}
    missing = sorted(set(grid) - set(stored))
    extra = sorted(set(stored) - set(grid))
    changed = sorted(k for k in set(grid) & set(stored) if grid[k] != stored[k])
    assert not (missing or extra or changed), (
        f"the grid and {record.path.name} disagree: not recorded {missing[:5]}, "
        f"recorded but not in the grid {extra[:5]}, parameters changed {changed[:5]}; "
        "regenerate on purpose with `gfbench verify --update-golden`"
    )


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.case_id)
def test_golden(
    case: GoldenCase, ndimage: Any, caps: dict, record: Any, golden_arrays: dict, observe: Any
) -> None:
    for feature in case.requires:
        if not caps[feature]:
            pytest.skip(missing_reason(feature))
    if record is None:
        pytest.fail("no golden record to compare with (see test_record_exists)")
    expected = record.golden.get(case.case_id)
    if expected is None:
        pytest.fail(f"{record.path.name} has no entry for this case")
    if "unavailable" in expected:
        pytest.skip(
            f"the record's SciPy {record.scipy_version} could not run it: {expected['unavailable']}"
        )
    observed, output = observe_case(case, ndimage.gaussian_filter)
    details: dict[str, Any] = {"observed": observed, "expected_sha256": expected.get("sha256")}

    if "exception" in expected or "exception" in observed:
        was = expected.get("exception"), expected.get("message")
        now = observed.get("exception"), observed.get("message")
        if was != now:
            details.update(
                changed="exception",
                summary=f"exception {was[0]}({was[1]!r}) -> {now[0]}({now[1]!r})",
            )
            observe(details)
            pytest.fail(f"{case.case_id}: {details['summary']}")
        observe({**details, "changed": "none"})
        return

    if (
        observed["sha256"] == expected["sha256"]
        and observed["dtype"] == expected["dtype"]
        and observed["shape"] == expected["shape"]
    ):
        observe({**details, "changed": "none"})
        return

    golden = golden_arrays.get(expected["sha256"])
    if golden is not None:
        change = array_change(output, golden)
    else:  # the npz lacks it: fall back to the stored summary
        change = {
            "changed": "dtype"
            if observed["dtype"] != expected["dtype"]
            else "shape"
            if observed["shape"] != expected["shape"]
            else "bits",
            "summary": f"was {expected['dtype']}{tuple(expected['shape'])} sum "
            f"{expected['sum']!r}, now {observed['dtype']}{tuple(observed['shape'])} sum "
            f"{observed['sum']!r} (golden array not stored)",
        }
    verdict = _oracle_verdict(case, output)
    numpy_reason = record.numpy_mismatch(environment())
    same_as_model = (
        storage_model_bits(case, output, load_oracle()[0])
        if change["changed"] == "bits" and numpy_reason and load_oracle()[0] is not None
        else None
    )
    if (
        change["changed"] == "bits"
        and verdict.get("agrees")
        and numpy_reason
        and same_as_model is not False
    ):
        # Not a SciPy change we can attribute: the record's numpy computed other weights.
        # The oracle checks (storage model bit for bit, float64 bound) still judge SciPy.
        observe({**details, "changed": "none", "vs_golden": change, "vs_oracle": verdict})
        pytest.skip(
            f"bits differ from {record.path.name} ({change['summary']}), but {numpy_reason} "
            f"and the output agrees with the oracle ({verdict['summary']}); record this "
            "environment with `gfbench verify --update-golden`"
        )
    details.update(
        changed=change["changed"],
        summary=change["summary"],
        vs_golden=change,
        vs_oracle=verdict,
    )
    observe(details)
    pytest.fail(
        f"{case.case_id}: {change['changed']} changed vs golden: {change['summary']}; "
        f"vs oracle: {verdict['summary']}"
    )
