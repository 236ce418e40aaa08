"""Issue 9: the documented example in verify's output, the skip rule, a missing oracle fails,
and ``gfbench compare`` of two verify results shows a behaviour change."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, TESTS_DIR

from bench.guard.verify import MAX_SKIPPED_SHARE, skip_verdict
from reference.sizes import SIZE_CASES, buffers_spanned, lines_per_buffer


def _run(args: list[str], cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k != "GFBENCH_SCIPY_PATCH"}
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env={**base, **(env or {})}, capture_output=True,
        text=True, timeout=600, check=False,
    )  # fmt: skip


def test_verify_names_the_documented_example(tmp_path: Path) -> None:
    out = tmp_path / "v.json"
    done = _run(["-m", "bench", "verify", "--group", "documented", "--out", str(out)], cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    table = done.stdout.split("check group", 1)[1]
    first_row = table.splitlines()[2]
    assert first_row.startswith("example (seed 7x7)") and " 8 " in first_row
    assert "the documented 7x7 example (8 checks" in done.stdout
    assert "all claims hold" in done.stdout
    example = json.loads(out.read_text())["example"]
    assert example["name"] == "seed-7x7" and example["passed"] is True
    assert set(example["claims"]) >= {"printed-lines", "bits-vs-record", "bits-vs-oracle",
                                      "colour-axis", "tuple-sigma-per-axis"}  # fmt: skip


def test_skip_verdict_states_the_share() -> None:
    tests = [{"outcome": "passed"}] * 3 + [{"outcome": "skipped"}]
    assert skip_verdict(tests) == {"count": 1, "of": 4, "share": 0.25,
                                   "max_share": MAX_SKIPPED_SHARE, "too_many": False}  # fmt: skip
    assert skip_verdict([*tests, {"outcome": "skipped"}])["too_many"] is True
    assert skip_verdict([])["too_many"] is False  # no tests at all fails verify on its own


def test_missing_oracle_fails_not_skips(tmp_path: Path) -> None:
    """As a new user without threadpoolctl: every check needing the oracle fails, saying why."""
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "threadpoolctl.py").write_text("raise ImportError('threadpoolctl is missing')\n")
    done = _run(
        ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
         str(REPO / "reference" / "test_sizes.py")],
        cwd=tmp_path, env={"PYTHONPATH": os.pathsep.join([str(blocker), str(REPO)])},
    )  # fmt: skip
    assert done.returncode == 1, done.stdout
    assert "skipped" not in done.stdout.splitlines()[-1]
    assert f"{len(SIZE_CASES)} error" in done.stdout.splitlines()[-1]
    assert "cannot judge against the oracle: bench.oracle is not importable" in done.stdout


def test_reference_runs_from_any_directory(tmp_path: Path) -> None:
    done = _run(
        ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
         str(REPO / "reference" / "test_documented.py")],
        cwd=tmp_path, env={"PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout
    assert "passed" in done.stdout.splitlines()[-1] and "skipped" not in done.stdout


@pytest.mark.slow  # over 5 s on a quiet machine: the full suite runs it
def test_compare_shows_a_behaviour_change(tmp_path: Path) -> None:
    """Two verify results, the second under a variant that adds a warning: compare exits 1."""
    paths = {}
    for name, patch in (("real", None), ("warns", "scipy_variants:warns_on_float32")):
        paths[name] = tmp_path / f"{name}.json"
        env = {} if patch is None else {
            "GFBENCH_SCIPY_PATCH": patch,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS_DIR),
                                                        os.environ.get("PYTHONPATH")])),
        }  # fmt: skip
        _run(["-m", "bench", "verify", "--group", "behaviour", "--out", str(paths[name])],
             cwd=tmp_path, env=env)  # fmt: skip
    done = _run(["-m", "bench", "compare", str(paths["real"]), str(paths["warns"])], cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "test_ordinary_call_does_not_warn[warnings/gf/float32/reflect]" in done.stdout


@pytest.mark.parametrize("case", SIZE_CASES, ids=lambda case: case.name)
def test_size_cases_span_several_buffers(case) -> None:
    for axis, _sigma in case.filtered_axes():
        radius = int(4.0 * _sigma + 0.5)
        assert buffers_spanned(case.shape, axis, radius) >= 3 or (
            lines_per_buffer(case.shape[axis], radius) == 1
        )


def test_buffer_rule_matches_scipy_source_example() -> None:
    # ni_support.c: lines = 256000 // (8 * (length + 2 * radius)); (720, 360), radius 8
    assert lines_per_buffer(360, 8) == 85 and lines_per_buffer(720, 8) == 43
    assert buffers_spanned((720, 360), 1, 8) == 9 and buffers_spanned((720, 360), 0, 8) == 9


def _form_test(outcome: dict) -> dict:
    nodeid = "reference/test_behaviour.py::test_form[form/gaussian_filter/sigma/numpy-float32]"
    return {"nodeid": nodeid, "case": "form/gaussian_filter/sigma/numpy-float32",
            "outcome": "passed", "details": {"observed": outcome}}  # fmt: skip


def test_compare_lists_a_changed_argument_form_as_an_api_change() -> None:
    from bench.guard.compare.correctness import compare_verify

    accepted = {"accepted": True, "dtype": "float64", "shape": [6, 7], "sha256": "a" * 64}
    warned = {**accepted, "warnings": ["DeprecationWarning"],
              "warning_messages": ["DeprecationWarning: sigma as numpy scalar"]}  # fmt: skip
    a = {"tests": [_form_test(accepted)]}
    b = {"tests": [_form_test(warned)]}
    changes, api = compare_verify(a, b)
    assert [c["change"] for c in changes] == ["warnings"]
    assert changes[0]["case"] == "form gaussian_filter/sigma/numpy-float32"
    assert api and api[0]["b"].endswith("(warns DeprecationWarning)")
    assert compare_verify(a, a) == ([], [])
