"""``gfbench verify`` as a user runs it, from another working directory: through
``bench.cli.main`` in this process (``gfbench_inproc``; the reference suite runs in verify's
own subprocess, where the patch applies), and in a subprocess where its ``sys.path`` matters.

The acceptance check of issue 2: the suite catches changes. Each altered variant of
``scipy.ndimage.gaussian_filter`` in ``tests/scipy_variants.py`` is swapped in with the test-only
``GFBENCH_SCIPY_PATCH`` hook; ``gfbench verify`` must exit 1 and name the affected case, and an
unaltered wrapper around the real function must pass.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import REPO, TESTS_DIR, gfbench_inproc, run_gfbench


@pytest.mark.slow
def test_verify_passes_from_any_directory(tmp_path: Path) -> None:
    done = gfbench_inproc("verify", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    for group in ("documented", "golden", "probes", "oracle", "properties"):
        assert group in done.stdout
    assert "verify: OK, nothing changed" in done.stdout
    assert "compared with record scipy-" in done.stdout
    assert list(tmp_path.iterdir()) == []  # nothing written into the user's directory


@pytest.mark.slow
def test_unaltered_wrapper_passes(tmp_path: Path) -> None:
    done = gfbench_inproc("verify", cwd=tmp_path, patch="scipy_variants:unaltered")
    assert done.returncode == 0, done.stdout + done.stderr
    # a patched run is never silent about it
    assert "WARNING: scipy.ndimage patched by GFBENCH_SCIPY_PATCH=scipy_variants:unaltered" in (
        done.stdout
    )


# variant -> (groups to run, lines the report must contain)
ALTERED = {
    "ulp_one_pixel": (
        ["golden"],
        ["golden modes/float64/mirror: 1 of 99 elements differ", "(1 ulp)", "vs oracle:",
         "is within the float64 bound"],
    ),
    "uint8_returns_uint16": (
        ["golden"],
        ["golden modes/uint8/reflect: dtype uint8 -> uint16"],
    ),
    "mirror_as_reflect": (
        ["golden", "oracle"],
        ["golden modes/float64/mirror: 99 of 99 elements differ", "is OUTSIDE the float64 bound",
         "oracle short-line/len3/mirror"],
    ),
    "accepts_float16": (
        ["probes", "documented"],
        ["probes dtype/float16: now accepted: was RuntimeError",
         "documented test_float16_raises_runtime_error"],
    ),
    "unknown_mode_value_error": (
        ["probes"],
        ["probes mode/unknown: exception type RuntimeError -> ValueError"],
    ),
    "radius_ceil": (
        ["golden"],
        ["golden radius-rule/2.4/float64/1d: 7 of 15 elements differ",
         "golden radius-rule/2.2/float64/1d"],
    ),
    "float32_single_rounding": (
        ["golden", "oracle"],
        ["golden modes/float32/reflect:", "oracle modes/float32/reflect:",
         "differ from the oracle's float32 storage model"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("variant", sorted(ALTERED))
def test_altered_variant_is_caught(variant: str, tmp_path: Path) -> None:
    groups, expected_lines = ALTERED[variant]
    args = ["verify"] + [arg for group in groups for arg in ("--group", group)]
    done = gfbench_inproc(*args, cwd=tmp_path, patch=f"scipy_variants:{variant}")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "verify: CHANGED (exit 1)" in done.stdout
    for line in expected_lines:
        assert line in done.stdout, f"{line!r} not in:\n{done.stdout}"


def test_json_names_the_case_and_both_distances(tmp_path: Path) -> None:
    out = tmp_path / "verify.json"
    done = gfbench_inproc(
        "verify", "--group", "golden", "--json", "--out", str(out), cwd=tmp_path,
        patch="scipy_variants:ulp_one_pixel",
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout)
    assert document == json.loads(out.read_text())
    assert document["schema"] == 1 and document["exit_code"] == 1
    assert document["patch"] == "scipy_variants:ulp_one_pixel"
    assert document["environment"]["scipy"]
    [golden] = document["groups"]
    assert golden["group"] == "golden" and golden["failed"] == 1
    assert golden["changed"] == {"bits": 1}
    [failure] = [t for t in document["tests"] if t["outcome"] == "failed"]
    assert failure["case"] == "modes/float64/mirror"
    details = failure["details"]
    assert details["changed"] == "bits"
    assert details["vs_golden"]["elements_differing"] == 1
    assert details["vs_golden"]["max_ulp_diff"] == 1.0
    assert details["vs_oracle"]["rule"] == "float64-bound" and details["vs_oracle"]["agrees"]
    # every passing golden case carries its observed hash, for `gfbench compare`
    passing = [t for t in document["tests"] if t["outcome"] == "passed" and "[" in t["nodeid"]]
    assert passing and all(len(t["details"]["observed"]["sha256"]) == 64 for t in passing)


def test_unknown_group_is_a_usage_error(tmp_path: Path) -> None:
    done = gfbench_inproc("verify", "--group", "nope", cwd=tmp_path)
    assert done.returncode == 2
    assert "--group" in done.stderr and "golden" in done.stderr


def test_update_golden_refuses_a_patched_scipy(tmp_path: Path) -> None:
    done = gfbench_inproc(
        "verify", "--update-golden", cwd=tmp_path, patch="scipy_variants:unaltered"
    )
    assert done.returncode == 2
    assert "refusing to record while GFBENCH_SCIPY_PATCH is set" in done.stderr


def test_bad_patch_spec_is_a_usage_error(tmp_path: Path) -> None:
    done = gfbench_inproc("verify", "--group", "documented", cwd=tmp_path, patch="no_colon_here")
    assert done.returncode == 2
    assert "GFBENCH_SCIPY_PATCH: bad entry 'no_colon_here'" in done.stderr


def test_unimportable_patch_is_a_usage_error(tmp_path: Path) -> None:
    # issue 10: a patch module that cannot be imported is the user's mistake, not a changed
    # SciPy: exit 2 with the cause, before the suite starts (it used to report CHANGED, exit 1)
    done = run_gfbench(  # a process of its own: its sys.path comes from PYTHONPATH
        "verify", "--group", "documented", cwd=tmp_path, patch="scipy_variants:unaltered",
        env={"PYTHONPATH": str(REPO)},  # tests/ not importable: no scipy_variants here
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert "No module named 'scipy_variants'" in done.stderr
    assert "CHANGED" not in done.stdout and "Traceback" not in done.stderr
    missing = gfbench_inproc(
        "verify", "--group", "documented", cwd=tmp_path, patch="scipy_variants:f"
    )
    assert missing.returncode == 2 and "has no attribute 'f'" in missing.stderr


def test_a_patch_module_off_the_allow_list_is_refused_unimported(tmp_path: Path) -> None:
    """The test hook imports only gfbench's test variants, never what the variable names."""
    (tmp_path / "planted.py").write_text(
        "import pathlib\npathlib.Path(__file__).with_name('imported').touch()\ndef f(*a): pass\n"
    )
    for spec in ("planted:f", "gaussian_filter1d=planted:f", "os:getcwd"):
        done = run_gfbench(  # a process of its own: its sys.path comes from PYTHONPATH
            "verify", "--group", "documented", cwd=tmp_path, patch=spec,
            env={"PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO), str(TESTS_DIR)])},
        )  # fmt: skip
        assert done.returncode == 2, done.stdout + done.stderr
        assert "is not allowed; allowed: scipy_variants" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "imported").exists()


# Issue 9: one altered variant per new kind of check, each caught by its own group only.
# patch spec -> (groups to run, lines the report must contain)
BEHAVIOUR_VARIANTS = {
    "scipy_variants:layout_dependent": (
        ["behaviour"],
        ["behaviour layout/float64/fortran-order: float64 input as fortran-order: gives other "
         "bits than C order", "behaviour layout/uint8/negative-strides"],
    ),
    "scipy_variants:aliases_input": (
        ["behaviour"],
        ["behaviour aliasing/float32: float32: gf/sigma-0 (c-order input): the result shares "
         "memory with the input"],
    ),
    "scipy_variants:ignores_output_array": (
        ["behaviour"],
        ["behaviour output-array/float32/strided-view: output= float32 array as strided-view: "
         "gf: the output= array is not what the call returns"],
    ),
    "gaussian_filter1d=scipy_variants:gf1d_ignores_output_array": (
        ["behaviour"],
        ["behaviour output-array/uint8/c-order: output= uint8 array as c-order: gf1d: the "
         "output= array is not what the call returns"],
    ),
    "scipy_variants:warns_on_float32": (
        ["behaviour"],
        ["behaviour warnings/gf/float32/reflect: gf/float32/reflect warns: DeprecationWarning: "
         "float32 input is deprecated"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("patch", sorted(BEHAVIOUR_VARIANTS))
def test_behaviour_variant_is_caught(patch: str, tmp_path: Path) -> None:
    groups, expected_lines = BEHAVIOUR_VARIANTS[patch]
    args = ["verify"] + [arg for group in groups for arg in ("--group", group)]
    done = gfbench_inproc(*args, cwd=tmp_path, patch=patch)
    assert done.returncode == 1, done.stdout + done.stderr
    for line in expected_lines:
        assert line in done.stdout, f"{line!r} not in:\n{done.stdout}"


@pytest.mark.slow
def test_change_past_the_first_line_buffer_is_caught_by_sizes_only(tmp_path: Path) -> None:
    """A refill bug past SciPy's first line buffer: every small case passes, the sizes fail."""
    done = gfbench_inproc(
        "verify", "--group", "golden", "--group", "oracle", "--group", "documented",
        "--group", "sizes", "--json",
        cwd=tmp_path, patch="scipy_variants:past_first_buffer,"
        "gaussian_filter1d=scipy_variants:gf1d_past_first_buffer",
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout)
    groups = {g["group"]: g for g in document["groups"]}
    assert groups["golden"]["failed"] == groups["oracle"]["failed"] == 0
    assert groups["documented"]["failed"] == groups["example"]["failed"] == 0
    # golden float64 cases skip (saying why) where numpy.exp's bits differ from the record's
    # CPU; they must still run, not be skipped wholesale
    golden = groups["golden"]
    assert golden["passed"] + golden["skipped"] > 200 and golden["passed"] > 150
    assert groups["oracle"]["passed"] > 500
    failed = {t["case"] for t in document["tests"] if t["outcome"] == "failed"}
    assert {"gf/reflect/float32", "gf/3d/float32", "gf/transposed/reflect/float32",
            "gf1d/strided/wrap/int16", "gf1d/contiguous/mirror/int16",
            "gf1d/3d-middle-axis/uint8", "gf1d/long-line/float32"} <= failed  # fmt: skip
    summaries = [t["details"]["summary"] for t in document["tests"] if t["outcome"] == "failed"]
    assert all("line buffers" in s and "elements differ" in s for s in summaries)
