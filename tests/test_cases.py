"""Cases, grid files, validation, exclusions and stable case ids."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.exitcodes import UsageError
from bench.sweep import impls
from bench.sweep.cases import DTYPES, MODES, Case, radius_for
from bench.sweep.grid import load_grid

DATA = Path(__file__).parent / "data"

GOOD = """
name = "t"
why = "test"
[defaults]
why = "shared"
truncate = { values = [4.0], why = "default" }
order = { values = [0], why = "blur" }
cval = { values = [0.0], why = "default" }
mode = { values = ["reflect"], why = "default" }
[[group]]
name = "g"
why = "one group"
impl = { values = ["scipy", "fft"], why = "two" }
dtype = { values = ["float64", "uint8"], why = "two" }
shape = { values = [[16, 12]], why = "tiny" }
sigma = { values = [1.0, [1.0, 2.0]], why = "scalar and tuple" }
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "grid.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_quick_grid_meets_the_coverage_targets():
    grid = load_grid("quick")
    scipy = [c for c in grid.cases if c.impl == "scipy"]
    assert len({c.dtype for c in grid.cases}) >= 6
    assert set(DTYPES) <= {c.dtype for c in grid.cases}
    assert len({c.sigma for c in grid.cases}) >= 4
    assert any(isinstance(c.sigma, tuple) for c in grid.cases)
    assert any(c.sigma < 1 for c in grid.cases if not isinstance(c.sigma, tuple))
    assert set(MODES) <= {c.mode for c in scipy}
    assert len({c.shape for c in grid.cases if c.ndim == 2}) >= 3
    assert set(impls.names()) == {c.impl for c in grid.cases}
    assert {"2d", "3d", "rgb"} <= {c.family for c in grid.cases}


@pytest.mark.parametrize("name", ["quick", "full", "guard"])
def test_every_choice_in_shipped_grids_has_a_reason(name):
    spec = load_grid(name).spec
    assert spec["why"].strip()
    for group in spec["group"]:
        assert group["why"].strip()
        for key, entry in group.items():
            if isinstance(entry, dict):
                assert entry["why"].strip(), (group["name"], key)
    for rule in spec.get("exclude", []):
        assert rule["why"].strip()


def test_full_grid_spans_64_to_4096_and_volumes():
    grid = load_grid("full")
    sides = {c.shape[0] for c in grid.cases if c.family == "2d"}
    assert min(sides) == 64 and max(sides) == 4096
    assert any(c.family == "3d" for c in grid.cases)
    assert any(c.family == "rgb" for c in grid.cases)


def test_expansion_is_the_product_and_ids_are_unique(tmp_path):
    grid = load_grid(write(tmp_path, GOOD))
    assert len(grid.cases) == 2 * 2 * 2
    assert len({c.case_id for c in grid.cases}) == 8
    assert grid.name == "t"


def test_case_id_is_sha256_of_the_canonical_parameters():
    case = Case(impl="scipy", dtype="uint8", shape=(16, 12), sigma=1.0)
    canonical = (
        '{"axes":null,"cval":0.0,"dtype":"uint8","impl":"scipy","mode":"reflect",'
        '"order":0,"shape":[16,12],"sigma":1.0,"truncate":4.0}'
    )
    assert case.case_id == hashlib.sha256(canonical.encode()).hexdigest()[:12]


def test_case_id_is_stable_across_processes_and_ignores_the_group():
    case = Case(impl="fft", dtype="float32", shape=(8, 8, 3), sigma=(1.0, 2.5), channel_axis=-1)
    code = (
        "from bench.sweep.cases import Case;"
        "print(Case(impl='fft', dtype='float32', shape=(8, 8, 3), sigma=(1.0, 2.5),"
        " channel_axis=-1, group='other').case_id)"
    )
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert other == case.case_id
    changed = Case(impl="fft", dtype="float32", shape=(8, 8, 3), sigma=(1.0, 2.0), channel_axis=-1)
    assert changed.case_id != case.case_id


def test_derived_fields():
    case = Case(impl="scipy", dtype="uint8->float32", shape=(20, 10, 3), sigma=2.3, channel_axis=-1)
    assert (case.dtype_in, case.dtype_out) == ("uint8", "float32")
    assert case.axes == (0, 1) and case.channels == 3 and case.family == "rgb"
    assert case.radii == (9, 9)  # int(4 * 2.3 + 0.5) = 9
    assert Case(impl="scipy", dtype="float64", shape=(4, 5, 6), sigma=1).family == "3d"
    assert Case(**case.to_dict()) == case


def test_radius_rule_is_round_half_up_and_agrees_with_the_oracle():
    from bench import oracle

    assert radius_for(0.625, 4.0) == 3  # 2.5 + 0.5 -> 3: half up, not banker's rounding
    assert radius_for(1.0, 4.0) == 4
    for sigma in (0.1, 0.37, 0.5, 0.7, 1.0, 1.25, 2.3, 5.3, 12.0):
        for truncate in (1.0, 2.0, 3.5, 4.0):
            assert radius_for(sigma, truncate) == oracle.radius_for(sigma, truncate)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"dtype": "float16"}, "Case.dtype"),
        ({"mode": "reflect101"}, "Case.mode"),
        ({"sigma": 0.0}, "sigma"),
        ({"sigma": (1.0, 2.0, 3.0)}, "3 values but 2 axes"),
        ({"shape": (0, 4)}, "shape"),
        ({"order": -1}, "order"),
        ({"truncate": 0.0}, "truncate"),
    ],
)
def test_case_rejects_bad_values(kwargs, match):
    base = {"impl": "scipy", "dtype": "float64", "shape": (8, 8), "sigma": 1.0}
    with pytest.raises(ValueError, match=match):
        Case(**{**base, **kwargs})


def test_case_is_frozen():
    case = Case(impl="scipy", dtype="float64", shape=(8, 8), sigma=1.0)
    with pytest.raises(AttributeError):
        case.sigma = 2.0  # type: ignore[misc]


BAD = [
    ("bogus = 1\n" + GOOD, ["unknown key 'bogus'", "allowed: name, why"]),
    (GOOD.replace('name = "g"', 'name = "g"\ncolour = 1'), ["unknown key 'colour'", "group 'g'"]),
    (
        GOOD.replace('dtype = { values = ["float64", "uint8"]', 'dtype = { values = ["float16"]'),
        ["unknown dtype 'float16'", "allowed: float64, float32"],
    ),
    (GOOD.replace('["reflect"]', '["reflect101"]'), ["unknown mode 'reflect101'", "mirror"]),
    (GOOD.replace('["scipy", "fft"]', '["scipy", "numba"]'), ["unknown impl 'numba'", "opencv-1t"]),
    (GOOD.replace("values = [[16, 12]]", "values = []"), ["shape", "'values' is empty"]),
    (GOOD.replace("values = [1.0, [1.0, 2.0]]", 'values = ["wide"]'), ["sigma must be a number"]),
    (
        GOOD.replace("values = [1.0, [1.0, 2.0]]", "values = [[1.0, 2.0, 3.0]]"),
        ["3 values but 2 axes"],
    ),
    (GOOD.replace(', why = "tiny"', ""), ["shape", "needs a one-line reason"]),
    (GOOD.replace("shape = { values", "shape = 7 #"), ["shape", "must be a table"]),
    (GOOD.replace("[[group]]", "[[group]\n"), ["not valid TOML"]),
    (GOOD + '[[exclude]]\nwhy = "x"\nflavour = ["a"]\n', ["exclude[0]", "unknown key 'flavour'"]),
]


@pytest.mark.parametrize("text, needles", BAD)
def test_malformed_grid_names_file_key_and_allowed_values(tmp_path, text, needles):
    path = write(tmp_path, text)
    with pytest.raises(UsageError) as info:
        load_grid(path, strict=True)  # the shipped grids' full form (a user's may be shorter)
    message = str(info.value)
    assert str(path) in message
    for needle in needles:
        assert needle in message


def test_missing_grid_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="quick, full"):
        load_grid(tmp_path / "nope.toml")


def test_exclusion_rules_drop_matching_cases(tmp_path):
    text = GOOD + '[[exclude]]\nwhy = "fft on 8-bit is not interesting here"\n'
    text += 'impl = ["fft"]\ndtype = ["uint8"]\n'
    grid = load_grid(write(tmp_path, text))
    assert grid.excluded == 2
    assert not [c for c in grid.cases if c.impl == "fft" and c.dtype == "uint8"]
    assert len(grid.cases) == 6


def test_grid_round_trips_through_its_stored_spec(tmp_path):
    grid = load_grid(write(tmp_path, GOOD))
    again = load_grid(json.loads(json.dumps(grid.spec)))
    assert [c.case_id for c in again.cases] == [c.case_id for c in grid.cases]


def test_filtered_keeps_only_requested_impls_and_dtypes():
    grid = load_grid(DATA / "tiny_grid.toml").filtered(impls=["scipy"], dtypes=["uint8"])
    assert grid.cases and {(c.impl, c.dtype) for c in grid.cases} == {("scipy", "uint8")}


def test_guard_grid_is_scipy_first_in_every_dtype_2d_and_3d():
    grid = load_grid("guard")
    scipy_cases = [c for c in grid.cases if c.impl == "scipy"]
    assert grid.cases[0].impl == "scipy"
    assert {c.dtype for c in scipy_cases} == set(DTYPES)
    assert {"2d", "3d"} <= {c.family for c in scipy_cases}
    assert len({c.mode for c in scipy_cases}) >= 4 and len({c.sigma for c in scipy_cases}) >= 2
    # only implementations with callgrind entry symbols: every case is decided by its count
    assert all(impls.get(c.impl).entry_symbols for c in grid.cases)
    assert len(grid.cases) <= 60  # sized for callgrind: ~50x slower than native
