"""The reference suite's helpers: records, diffing, the oracle bound, the patch hook."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import scipy
import scipy.ndimage

from reference import DATA_DIR, patching
from reference.diffing import array_change, float64_bound, kernel_abs_sum, radius_rule
from reference.grid import GoldenCase, golden_cases, make_pattern, sha256_of
from reference.probes import all_probes, differences, observe
from reference.records import (
    generate,
    load_arrays,
    parse_version,
    record_files,
    record_name,
    select_record,
    write,
)


def test_grid_is_a_few_hundred_distinct_cases_covering_the_issue() -> None:
    cases = golden_cases()
    assert 150 <= len(cases) <= 400
    assert len({c.case_id for c in cases}) == len(cases)
    assert {c.dtype for c in cases} >= {"float64", "float32", "uint8", "uint16", "int16",
                                        "int32", "complex128"}  # fmt: skip
    modes = {m for c in cases for m in ((c.mode,) if isinstance(c.mode, str) else c.mode)}
    assert len(modes) == 8
    assert {c.output_form for c in cases} >= {"dtype", "type", "str", "array"}
    assert {len(c.shape) for c in cases} >= {1, 2, 3}
    assert any(c.cval != 0 for c in cases) and any(c.truncate != 4.0 for c in cases)
    orders = {o for c in cases for o in ((c.order,) if isinstance(c.order, int) else c.order)}
    assert orders >= {0, 1, 2}
    # sigmas whose radius differs between round-half-up and ceil are really in the grid
    assert any(radius_rule(c.sigma, c.truncate) != np.ceil(c.sigma * c.truncate)
               for c in cases if isinstance(c.sigma, float))  # fmt: skip


def test_inputs_are_fixed_values_not_generator_streams() -> None:
    # Pinned here so a numpy upgrade can never silently change the golden inputs.
    # the multiplicative hash recomputed with Python integers (no numpy involved)
    hashed = [((i + 1) * 2654435761 % 2**32) >> 24 for i in range(6)]
    assert make_pattern((2, 3), "uint8", "noise").ravel().tolist() == hashed
    assert make_pattern((2, 3), "int16", "noise").ravel().tolist() == [h - 128 for h in hashed]
    assert hashed[:3] == [158, 60, 218]
    assert make_pattern((3,), "float64", "impulse").tolist() == [0.0, 100.0, 0.0]


def test_case_validation() -> None:
    with pytest.raises(ValueError, match="dtype must be one of"):
        GoldenCase("a/b", (3,), "float16", 1.0)
    with pytest.raises(ValueError, match="mode must be among"):
        GoldenCase("a/b", (3,), "float64", 1.0, mode="bogus")
    with pytest.raises(ValueError, match="family/detail"):
        GoldenCase("nofamily", (3,), "float64", 1.0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1.17.1", (1, 17, 1)), ("1.18.0rc1", (1, 18, 0)), ("1.15.0.dev0+abc", (1, 15, 0))],
)
def test_parse_version(text: str, expected: tuple[int, ...]) -> None:
    assert parse_version(text) == expected


def _fake_record(directory: Path, version: str, numpy: str = "2.4.1") -> None:
    record = {"schema": 1, "generator": {"scipy": version, "numpy": numpy, "machine": "m",
              "platform": "p"}, "capabilities": {}, "golden": {}, "probes": {}}  # fmt: skip
    (directory / record_name(version, numpy)).write_text(json.dumps(record))


def test_select_record_exact_then_nearest_numpy_then_nearest_older_scipy(tmp_path: Path) -> None:
    for version, numpy in (("1.10.1", "1.26.4"), ("1.12.0", "1.26.4"), ("1.13.1", "1.26.4"),
                           ("1.13.1", "2.2.6"), ("1.17.1", "2.4.6")):  # fmt: skip
        _fake_record(tmp_path, version, numpy)
    env = {"scipy": "1.13.1", "numpy": "2.3.0", "machine": "m"}
    assert select_record("1.12.0", "1.26.0", tmp_path).exact
    assert select_record("1.13.1", "1.26.4", tmp_path).generator["numpy"] == "1.26.4"
    same_scipy = select_record("1.13.1", "2.3.0", tmp_path)
    assert not same_scipy.exact and same_scipy.generator["numpy"] == "2.2.6"
    assert "no record for numpy 2.3 with this SciPy" in same_scipy.describe(env)
    nearest = select_record("1.14.1", "2.2.6", tmp_path)
    assert nearest.scipy_version == "1.13.1" and nearest.generator["numpy"] == "2.2.6"
    assert "no record for SciPy 1.14.1" in nearest.describe({**env, "scipy": "1.14.1"})
    assert select_record("1.99.0", "3.0.0", tmp_path).scipy_version == "1.17.1"
    assert select_record("1.9.3", "1.26.4", tmp_path).scipy_version == "1.10.1"  # older than all
    assert select_record("1.17.1", "2.4.6", tmp_path / "empty") is None


def test_shipped_records_cover_scipy_1_10_to_installed() -> None:
    keys = sorted(record_files(DATA_DIR), key=lambda key: parse_version(key[0]))
    assert keys[0][0] == "1.10.1"
    assert parse_version(keys[-1][0]) >= (1, 17)
    arrays = load_arrays(DATA_DIR)
    for path in record_files(DATA_DIR).values():
        golden = json.loads(path.read_text())["golden"]
        # every recorded output is stored, so any failure can say how far it moved
        assert all(e["sha256"] in arrays for e in golden.values() if "sha256" in e)


def test_generate_and_write_round_trip(tmp_path: Path) -> None:
    cases = [c for c in golden_cases() if c.family == "modes"][:5]
    record, arrays = generate(scipy.ndimage, cases, all_probes()[:3])
    path = write(record, arrays, tmp_path)
    assert path.name == record_name(scipy.__version__, np.__version__)
    loaded = select_record(scipy.__version__, np.__version__, tmp_path)
    assert loaded.exact and set(loaded.golden) == {c.case_id for c in cases}
    stored = load_arrays(tmp_path)
    for case in cases:
        entry = loaded.golden[case.case_id]
        assert sha256_of(stored[entry["sha256"]]) == entry["sha256"]
        assert entry["params"] == case.params()
    # one line per case: a regenerated record diffs case by case
    lines = path.read_text().splitlines()
    assert sum(line.strip().startswith('"modes/') for line in lines) == 5
    # arrays no record refers to are pruned
    record["golden"] = {}
    write(record, {}, tmp_path)
    assert load_arrays(tmp_path) == {}


def test_array_change_reports_ulps_dtype_shape() -> None:
    golden = np.linspace(1.0, 2.0, 12).reshape(3, 4)
    moved = golden.copy()
    moved[1, 2] = np.nextafter(moved[1, 2], 3.0)
    change = array_change(moved, golden)
    assert change["changed"] == "bits" and change["elements_differing"] == 1
    assert change["max_ulp_diff"] == 1.0 and change["first_index"] == [1, 2]
    assert array_change(golden.astype(np.float32), golden)["changed"] == "dtype"
    assert array_change(golden.T, golden)["changed"] == "shape"
    assert array_change(golden.copy(), golden)["changed"] == "none"
    ints = np.arange(6, dtype=np.uint8)
    assert "integer levels" in array_change(ints + 1, ints)["summary"]


def test_float64_bound_holds_and_is_not_vacuous() -> None:
    """SciPy's real error is below the stated bound, and the bound is far below the data."""
    from bench.oracle import gaussian_filter as oracle

    x = make_pattern((12, 13), "float64", "noise")
    for sigma, order in ((1.0, 0), (2.5, 1), (0.7, 2)):
        bound = float64_bound(x.shape, sigma, order, input_max=float(np.abs(x).max()))
        err = np.abs(scipy.ndimage.gaussian_filter(x, sigma, order=order) -
                     oracle(x, sigma, order=order)).max()  # fmt: skip
        assert err <= bound < 1e-9 * np.abs(x).max()


def test_kernel_abs_sum_matches_direct_sum() -> None:
    x = np.arange(-6, 7, dtype=float)
    phi = np.exp(-x * x / 2.0)
    phi /= phi.sum()
    assert kernel_abs_sum(1.0, 0, 6) == pytest.approx(1.0)
    assert kernel_abs_sum(1.0, 1, 6) == pytest.approx(np.abs(-x * phi).sum())
    assert kernel_abs_sum(1.0, 2, 6) == pytest.approx(np.abs((x * x - 1) * phi).sum())


def test_probe_differences_name_what_changed() -> None:
    rejected = {"accepted": False, "exception": "RuntimeError", "message": "boundary mode"}
    other = {"accepted": False, "exception": "ValueError", "message": "boundary mode"}
    accepted = {"accepted": True, "dtype": "float32", "shape": [2], "sha256": "00"}
    assert differences(rejected, rejected) == []
    assert differences(rejected, other) == ["exception type RuntimeError -> ValueError"]
    assert differences(rejected, accepted)[0].startswith("now accepted: was RuntimeError")
    probe = next(p for p in all_probes() if p.name == "dtype/float16")
    assert observe(probe, scipy.ndimage)["exception"] == "RuntimeError"


def test_patch_spec_parsing() -> None:
    assert patching.parse_spec("m:f") == {"gaussian_filter": ("m", "f")}
    assert patching.parse_spec("gaussian_filter1d=a.b:c, m:f") == {
        "gaussian_filter1d": ("a.b", "c"),
        "gaussian_filter": ("m", "f"),
    }
    for bad in ("nocolon", "other_function=m:f", "m:"):
        with pytest.raises(ValueError, match="GFBENCH_SCIPY_PATCH"):
            patching.parse_spec(bad)
    assert patching.apply_from_environment({}) is None
    assert patching.active_spec({"GFBENCH_SCIPY_PATCH": "  "}) is None
    assert patching.check_spec("gaussian_filter1d=scipy_variants:f") == {
        "gaussian_filter1d": ("scipy_variants", "f")
    }
    for off_list in ("m:f", "scipy_variants.sub:f", "os:system"):
        with pytest.raises(ValueError, match="is not allowed; allowed: scipy_variants"):
            patching.check_spec(off_list)


def test_description_names_a_numpy_exp_difference(tmp_path: Path) -> None:
    from reference.records import environment, exp_fingerprint

    env = environment()
    assert env["numpy_exp"] == exp_fingerprint() and len(env["numpy_exp"]) == 16
    _fake_record(tmp_path, env["scipy"], env["numpy"])
    record = select_record(env["scipy"], env["numpy"], tmp_path)
    assert "numpy.exp" not in record.describe(env)  # the fake record has no fingerprint
    other = dataclasses.replace(record, generator={**record.generator, "numpy_exp": "0" * 16})
    assert "numpy.exp gives other bits here" in other.describe(env)
