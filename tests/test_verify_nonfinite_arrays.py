"""Issue 21: ``gfbench verify`` catches altered non-finite and input-array behaviour.

Each variant in ``tests/scipy_variants.py`` changes exactly one behaviour of the new checks and
must make ``verify`` exit 1 naming the affected cases; the unaltered SciPy passes both groups.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_gfbench

# patch spec -> (group, lines the report must contain)
VARIANTS = {
    "scipy_variants:nan_stays_local": (
        "nonfinite",
        ["nonfinite nonfinite/nan-interior/float64/reflect: real part: pattern differs from the "
         "oracle's prediction: 80 elements differ",
         "nonfinite nonfinite/inf-corner/float64/wrap: real part: pattern differs"],
    ),
    "scipy_variants:nonfinite_nudges_finite": (
        "nonfinite",
        ["nonfinite nonfinite/nan-interior/float64/reflect: real part: elements outside the "
         "footprint differ from the same call with the non-finite inputs set to 0"],
    ),
    "scipy_variants:nan_to_int_zero": (
        "nonfinite",
        ["nonfinite nonfinite/nan-interior-to-int32/float64/reflect: differs from the oracle's "
         "storage model (x86-64 conversion of NaN/inf to int32)"],
    ),
    "scipy_variants:refuses_read_only_input": (
        "arrays",
        ["arrays writeable/read-only-input: writeable/read-only-input: refused with ValueError",
         "arrays strides/zero-row-broadcast:", "arrays subclass/memmap-read-only:"],
    ),
    "scipy_variants:keeps_input_subclass": (
        "arrays",
        ["arrays subclass/masked-array: subclass/masked-array: type 'ndarray' -> 'MaskedArray'; "
         "mask None -> True", "arrays subclass/user-subclass: subclass/user-subclass: returned "
         "UserArray, not a plain ndarray"],
    ),
    "scipy_variants:writes_read_only_output": (
        "arrays",
        ["arrays writeable/read-only-output: writeable/read-only-output: accepted, but it must "
         "be refused"],
    ),
}  # fmt: skip

#: Cases each variant must leave alone (it alters one behaviour, not everything).
UNTOUCHED = {
    "scipy_variants:nan_to_int_zero": {"nonfinite/nan-interior-to-uint8/float64/reflect"},
    "scipy_variants:nonfinite_nudges_finite": {"nonfinite/cval-nan/float64/nearest"},
    "scipy_variants:writes_read_only_output": {"writeable/read-only-input"},
}


def test_unaltered_scipy_passes_both_groups(tmp_path: Path) -> None:
    done = run_gfbench("verify", "--group", "nonfinite", "--group", "arrays", "--json",
                       cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    groups = {g["group"]: g for g in json.loads(done.stdout)["groups"]}
    assert groups["nonfinite"]["passed"] == groups["nonfinite"]["cases"] > 150
    assert groups["arrays"]["passed"] == groups["arrays"]["cases"] > 40
    assert groups["nonfinite"]["skipped"] == groups["arrays"]["skipped"] == 0


@pytest.mark.slow
@pytest.mark.parametrize("patch", sorted(VARIANTS))
def test_variant_is_caught(patch: str, tmp_path: Path) -> None:
    group, lines = VARIANTS[patch]
    done = run_gfbench("verify", "--group", group, cwd=tmp_path, patch=patch)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr
    assert "verify: CHANGED (exit 1)" in done.stdout
    for line in lines:
        assert line in done.stdout, f"{line!r} not in:\n{done.stdout[-5000:]}"
    for case in UNTOUCHED.get(patch, ()):
        assert f" {case}:" not in done.stdout, f"{case} failed but {patch} does not alter it"


@pytest.mark.slow
def test_bare_pytest_runs_every_new_check_without_skipping(tmp_path: Path) -> None:
    """``pytest reference`` (here: the two new modules) passes by running, never by skipping."""
    import subprocess
    import sys

    from conftest import REPO

    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "-p",
         "no:randomly", str(REPO / "reference" / "test_nonfinite.py"),
         str(REPO / "reference" / "test_arrays.py")],
        cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]
    last = done.stdout.strip().splitlines()[-1]
    assert "skipped" not in last and "passed" in last, last
    passed = int(last.split(" passed")[0].split()[-1])
    assert passed >= 188 + 52
