"""Property-based fuzzing of everything gfbench reads from disk (issue 10).

Any ``run.json``, any ``cases.jsonl`` and any grid TOML must give exit 0 or 2 with a message:
never a traceback (an exception escaping ``bench.cli.main``), never a write outside the folder
the verb writes to. The verbs run in this process (``bench.cli.main``, exactly what the console
script calls) so that a few hundred inputs fit in well under a minute.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench import cli
from bench.store import Row
from bench.sweep import run_sweep

SPEC = {
    "name": "fuzz",
    "group": [{"name": "g", "shape": [[12, 10]], "sigma": [1.0, 2.0], "dtype": ["float64"]}],
}
FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same inputs on every CI run: a failure is reproducible
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()  # NaN and infinities too: Python's json writes and reads them
    | st.text(max_size=12)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
DELETE = object()


@pytest.fixture(scope="module")
def base_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("fuzz-base")
    result = run_sweep(grid=SPEC, out=out, timing=False, progress=False)
    assert result.status == "complete"
    return result.run_dir


def snapshot(folder: Path, skip: Path | None = None) -> dict[str, str]:
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and (skip is None or skip not in p.parents)
    }


def call(*argv: str) -> tuple[int, str]:
    """Run a verb as the console script does; return (exit code, stderr)."""
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = cli.main(list(argv))  # an exception here is the traceback a user would see
    return code, err.getvalue()


def check_outcome(code: int, stderr: str, *, verdicts: bool = False) -> None:
    """0 or 2 with a message; ``verdicts``: compare may also find a change (1, 3, 4) in a
    damaged but valid candidate (an edited output hash *is* a changed output)."""
    assert code in ((0, 1, 2, 3, 4) if verdicts else (0, 2)), (code, stderr)
    if code == 2:
        assert "error:" in stderr and len(stderr.strip()) > 20, stderr


def fresh_copy(base_run: Path, tmp: Path) -> tuple[Path, Path]:
    """A scratch root holding a copy of the run; (root, run)."""
    root = tmp / "case"
    if root.exists():
        shutil.rmtree(root)
    run = Path(shutil.copytree(base_run, root / "results" / "run"))
    return root, run


def mutate(document: dict, key: str, value) -> dict:
    changed = dict(document)
    if value is DELETE:
        changed.pop(key, None)
    else:
        changed[key] = value
    return changed


def dump(value) -> str:
    return json.dumps(value)  # allow_nan: NaN/Infinity are what a careless writer leaves


META_KEYS = [
    "schema_version",
    "run_id",
    "grid",
    "status",
    "timing",
    "threads",
    "pid",
    "resumes",
    "wall_seconds",
    "host",
    "cpu",
    "versions",
    "started_at",
    "counts",
]


# how a file is damaged: mostly one field changed (deep paths), sometimes all of it
HOW = st.sampled_from(["field", "field", "field", "field", "whole", "bytes"])


@FUZZ
@given(
    how=HOW,
    whole=json_values,
    key=st.sampled_from(META_KEYS),
    value=st.just(DELETE) | json_values,
    raw=st.binary(max_size=40),
)
def test_any_run_json_gives_exit_0_or_2(base_run, tmp_path_factory, how, whole, key, value, raw):
    root, run = fresh_copy(base_run, tmp_path_factory.getbasetemp() / "fuzz-meta")
    meta = json.loads((run / "run.json").read_text())
    if how == "bytes":
        (run / "run.json").write_bytes(raw)
    elif how == "whole":
        (run / "run.json").write_text(dump(whole))
    else:
        (run / "run.json").write_text(dump(mutate(meta, key, value)))
    before = snapshot(root, skip=run)
    check_outcome(*call("compare", str(base_run), str(run)), verdicts=True)
    # resume writes only into the run itself (a complete run: nothing is measured)
    check_outcome(*call("sweep", "--resume", str(run), "--no-progress"))
    assert snapshot(root, skip=run) == before


@FUZZ
@given(
    how=HOW,
    line=st.integers(min_value=0, max_value=1),
    key=st.sampled_from([*Row.field_names(), "extra"]),
    value=st.just(DELETE) | json_values,
    raw=st.binary(max_size=60),
)
def test_any_cases_jsonl_gives_exit_0_or_2(base_run, tmp_path_factory, how, line, key, value, raw):
    root, run = fresh_copy(base_run, tmp_path_factory.getbasetemp() / "fuzz-rows")
    lines = (run / "cases.jsonl").read_text().splitlines()
    if how == "whole":
        lines[line] = dump(None if value is DELETE else value)
        (run / "cases.jsonl").write_text("\n".join(lines) + "\n")
    elif how == "bytes":
        data = "\n".join(lines).encode() + b"\n" + raw
        (run / "cases.jsonl").write_bytes(data)
    else:
        lines[line] = dump(mutate(json.loads(lines[line]), key, value))
        (run / "cases.jsonl").write_text("\n".join(lines) + "\n")
    before = snapshot(root, skip=run)
    check_outcome(*call("compare", str(base_run), str(run)), verdicts=True)
    assert snapshot(root, skip=run) == before


def toml_value(value) -> str:
    """A TOML rendering of a JSON-like value (invalid TOML is fine: it must be refused)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, (int, str)) or value is None:
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


AXIS_VALUES = {
    "impl": st.sampled_from(["scipy", "opencv-1t", "nope", ""]),
    "dtype": st.sampled_from(["float64", "uint8", "uint8->float32", "int64", 3]),
    "shape": st.lists(st.integers(min_value=-2, max_value=10**6), min_size=0, max_size=5),
    "sigma": st.floats() | st.lists(st.floats(), max_size=3) | st.text(max_size=3),
    "mode": st.sampled_from(["reflect", "wrap", "grid-constant", "bogus"]),
    "truncate": st.floats() | st.integers(),
    "order": st.integers(min_value=-1, max_value=5) | st.booleans(),
    "cval": st.floats() | st.none(),
}
axis_entry = st.sampled_from(sorted(AXIS_VALUES)).flatmap(
    lambda axis: st.tuples(
        st.just(axis),
        st.lists(AXIS_VALUES[axis], min_size=0, max_size=3),
        st.booleans(),  # short form (a list) or the table form with why
    )
)


@FUZZ
@given(
    how=st.sampled_from(["axes", "axes", "axes", "axes", "text", "bytes"]),
    axes=st.lists(axis_entry, max_size=6, unique_by=lambda entry: entry[0]),
    extra=st.sampled_from(
        [
            "",
            "[[exclude]]\nsigma = [1.0]\n",
            "bogus = 1\n",
            "[defaults]\n",
            "channel_axis = -1\n",
            "why = 3\n",
        ]
    ),
    text=st.text(max_size=60),
    raw=st.binary(max_size=60),
)
def test_any_grid_toml_gives_exit_0_or_2(tmp_path_factory, how, axes, extra, text, raw):
    root = tmp_path_factory.getbasetemp() / "fuzz-grid"
    root.mkdir(exist_ok=True)
    grid = root / "grid.toml"
    if how == "bytes":
        grid.write_bytes(raw)
    elif how == "text":
        grid.write_bytes(text.encode("utf-8", "surrogatepass"))
    else:
        # a valid short grid whose axes the fuzzed ones replace
        body = ["[[group]]", 'name = "g"']
        given_axes = {axis for axis, _, _ in axes}
        body += [f"{axis} = {value}" for axis, value in BASE_AXES.items() if axis not in given_axes]
        for axis, values, short in axes:
            rendered = toml_value(values)
            body.append(
                f"{axis} = {rendered}"
                if short
                else f'{axis} = {{ values = {rendered}, why = "fuzz" }}'
            )
        grid.write_text("\n".join(body) + "\n" + extra, encoding="utf-8")
    before = snapshot(root)
    check_outcome(*call("sweep", "--grid", str(grid), "--dry-run", "--json"))
    assert snapshot(root) == before


BASE_AXES = {"shape": "[[12, 10]]", "sigma": "[1.0]"}


def verify_document() -> dict:
    """A small verify result: one probe, one golden case, one other check."""
    observed = {
        "accepted": True,
        "dtype": "float64",
        "shape": [4, 4],
        "sha256": "ab" * 32,
        "sum": 12.5,
        "max": 1.0,
        "warnings": [],
    }
    return {
        "tool": "gfbench verify",
        "capabilities": {"radius": True},
        "tests": [
            {
                "nodeid": "reference/test_probes.py::test_probe[p1]",
                "case": "p1",
                "outcome": "passed",
                "message": "",
                "details": {"observed": dict(observed)},
            },
            {
                "nodeid": "reference/test_golden.py::test_golden[g1]",
                "case": "g1",
                "outcome": "passed",
                "message": "",
                "details": {"observed": dict(observed)},
            },
            {"nodeid": "reference/test_oracle.py::test_other", "outcome": "passed"},
        ],
    }


TEST_KEYS = ["nodeid", "case", "outcome", "message", "details"]
OBSERVED_KEYS = [
    "accepted",
    "exception",
    "message",
    "dtype",
    "shape",
    "sha256",
    "sum",
    "max",
    "warnings",
]


@FUZZ
@given(
    where=st.sampled_from(["top", "test", "observed"]),
    index=st.integers(min_value=0, max_value=2),
    key=st.sampled_from(["tool", "tests", "capabilities", *TEST_KEYS, *OBSERVED_KEYS]),
    value=st.just(DELETE) | json_values,
)
def test_any_verify_json_gives_exit_0_or_2(tmp_path_factory, where, index, key, value):
    root = tmp_path_factory.getbasetemp() / "fuzz-verify"
    root.mkdir(exist_ok=True)
    good, bad = verify_document(), verify_document()
    if where == "top":
        bad = mutate(bad, key, value)
    elif where == "test":
        bad["tests"][index] = mutate(bad["tests"][index], key, value)
    elif "details" in bad["tests"][index]:
        details = bad["tests"][index]["details"]
        details["observed"] = mutate(details["observed"], key, value)
    (root / "a.json").write_text(dump(good))
    (root / "b.json").write_text(dump(bad))
    before = snapshot(root)
    check_outcome(*call("compare", str(root / "a.json"), str(root / "b.json")), verdicts=True)
    assert snapshot(root) == before
