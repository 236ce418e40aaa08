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
from conftest import fuzz_examples
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
    max_examples=fuzz_examples(60),  # 20 in the fast loop (-m "not slow")
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


# -- issue 20: every other file gfbench reads, and values valid but extreme ---------------------
def units_line(case_ids: list[str]) -> dict:
    """One finished timing worker, as ``bench.store.units`` writes it."""
    return {
        "worker": 0,
        "label": "scipy",
        "seed": 7,
        "ref_ns": 1000.0,
        "seconds": 1.5,
        "units": {cid: {"samples_ns": [1200.0, 1100.0], "loops": 40} for cid in case_ids},
        "errors": {},
    }


UNIT_KEYS = ["worker", "label", "seed", "ref_ns", "seconds", "units", "errors"]
INNER_UNIT_KEYS = ["samples_ns", "loops"]


@FUZZ
@given(
    how=HOW,
    where=st.sampled_from(["top", "unit"]),
    key=st.sampled_from([*UNIT_KEYS, *INNER_UNIT_KEYS]),
    value=st.just(DELETE) | json_values | st.integers(min_value=10**6, max_value=10**30),
    raw=st.binary(max_size=60),
)
def test_any_timing_units_give_exit_0_or_2(base_run, tmp_path_factory, how, where, key, value, raw):
    root, run = fresh_copy(base_run, tmp_path_factory.getbasetemp() / "fuzz-units")
    ids = [json.loads(x)["case_id"] for x in (run / "cases.jsonl").read_text().splitlines()]
    line = units_line(ids)
    if how == "bytes":
        data = raw
    elif how == "whole":
        data = dump(None if value is DELETE else value).encode() + b"\n"
    else:
        if where == "top":
            line = mutate(line, key, value)
        else:
            line["units"][ids[0]] = mutate(line["units"][ids[0]], key, value)
        data = dump(line).encode() + b"\n"
    (run / "timing-units.jsonl").write_bytes(data)
    before = snapshot(root, skip=run)
    check_outcome(*call("sweep", "--resume", str(run), "--no-progress"))
    assert snapshot(root, skip=run) == before


def matrix_env(base_run: Path, folder: Path, env: object) -> Path:
    """A matrix environment folder: env.json and runs/<copy of the run>."""
    shutil.copytree(base_run, folder / "runs" / base_run.name)
    (folder / "env.json").write_text(dump(env))
    return folder


def env_document() -> dict:
    return {
        "label": "scipy 1.17.1",
        "spec": "1.17.1",
        "kind": "release",
        "provenance": {"kind": "release", "resolved_version": "1.17.1", "index_url": "https://x/"},
        "env_vars": {"OMP_NUM_THREADS": "1"},
        "versions": {"scipy": "1.17.1", "numpy": "2.4.6"},
        "python": "3.11.7",
    }


ENV_KEYS = list(env_document())


@FUZZ
@given(
    how=HOW,
    key=st.sampled_from(ENV_KEYS),
    value=st.just(DELETE) | json_values,
    raw=st.binary(max_size=40),
)
def test_any_env_json_gives_exit_0_or_2(base_run, tmp_path_factory, how, key, value, raw):
    root = tmp_path_factory.getbasetemp() / "fuzz-env"
    if root.exists():
        shutil.rmtree(root)
    env = matrix_env(base_run, root / "env", mutate(env_document(), key, value))
    if how == "bytes":
        (env / "env.json").write_bytes(raw)
    elif how == "whole":
        (env / "env.json").write_text(dump(None if value is DELETE else value))
    before = snapshot(root)
    check_outcome(*call("compare", str(env), str(base_run)), verdicts=True)
    assert snapshot(root) == before


MATRIX_ENV_KEYS = ["status", "folder", "spec", "version", "label"]


@FUZZ
@given(
    how=HOW,
    where=st.sampled_from(["top", "env"]),
    key=st.sampled_from(["schema_version", "environments", *MATRIX_ENV_KEYS]),
    value=st.just(DELETE) | json_values,
    raw=st.binary(max_size=40),
)
def test_any_matrix_json_gives_exit_0_or_2(base_run, tmp_path_factory, how, where, key, value, raw):
    root = tmp_path_factory.getbasetemp() / "fuzz-matrix"
    if root.exists():
        shutil.rmtree(root)
    matrix = root / "matrix"
    for name in ("scipy-a", "scipy-b"):
        matrix_env(base_run, matrix / name, {**env_document(), "label": name})
    envs = [{"status": "ok", "folder": n, "spec": n, "version": "1", "label": n}
            for n in ("scipy-a", "scipy-b")]  # fmt: skip
    record = {"schema_version": 2, "environments": envs}
    if where == "top":
        record = mutate(record, key, value)
    else:
        record["environments"][0] = mutate(envs[0], key, value)
    text = (
        raw if how == "bytes" else dump(None if value is DELETE else value).encode()
        if how == "whole" else dump(record).encode()
    )  # fmt: skip
    (matrix / "matrix.json").write_bytes(text)
    before = snapshot(root)
    check_outcome(*call("compare", str(matrix)), verdicts=True)
    assert snapshot(root) == before


def run_verify_document() -> dict:
    """The run's verify.json as ``gfbench run`` writes it (what the report reads of it)."""
    return {
        "tool": "gfbench verify",
        "schema": 1,
        "groups": [{"group": "golden", "cases": 3, "passed": 3, "failed": 0, "skipped": 0}],
        "example": {"claims": {"sum": {"outcome": "passed", "summary": "sums to 1"}}},
        "environment": {"scipy": "1.17.1", "numpy": "2.4.6"},
        "tests": [],
    }


@FUZZ
@given(
    how=HOW,
    where=st.sampled_from(["top", "group"]),
    key=st.sampled_from(
        ["tool", "schema", "groups", "example", "environment", "group", "cases", "passed"]
    ),
    value=st.just(DELETE) | json_values,
    raw=st.binary(max_size=40),
)
def test_any_run_verify_json_is_used_or_ignored(tmp_path_factory, how, where, key, value, raw):
    from bench.report.reference import load_verify, reference_section

    root = tmp_path_factory.getbasetemp() / "fuzz-run-verify"
    root.mkdir(exist_ok=True)
    document = run_verify_document()
    if where == "top":
        document = mutate(document, key, value)
    else:
        document["groups"][0] = mutate(document["groups"][0], key, value)
    data = raw if how == "bytes" else dump(document).encode()
    (root / "verify.json").write_bytes(data)
    with contextlib.redirect_stderr(io.StringIO()):
        loaded = load_verify(root)  # a dict, or None with a warning: never an exception
    if loaded is not None:
        reference_section(loaded)


def bigarray_document() -> dict:
    mode = {"mode": "reflect", "equals_scipy": False, "max_abs_diff": 0.5,
            "n_diff_pixels": 10, "n_diff_interior": 2}  # fmt: skip
    return {
        "kind": "bigarray",
        "schema_version": 1,
        "spec": {"shape": [48, 40], "chunks": [16, 16], "dtype": "float32", "sigma": 1.5},
        "modes": [mode, {**mode, "mode": "wrap"}],
    }


BIGARRAY_MODE_KEYS = ["mode", "equals_scipy", "max_abs_diff", "n_diff_pixels", "n_diff_interior"]


@FUZZ
@given(
    how=HOW,
    where=st.sampled_from(["top", "mode"]),
    key=st.sampled_from(["kind", "schema_version", "spec", "modes", *BIGARRAY_MODE_KEYS]),
    value=st.just(DELETE) | json_values | st.floats(min_value=1e300) | st.integers(10**18),
    raw=st.binary(max_size=40),
)
def test_any_bigarray_json_is_used_or_ignored(tmp_path_factory, how, where, key, value, raw):
    from bench.report import document as report_document
    from bench.report import markdown
    from bench.report.command import _bigarray_result
    from bench.report.model import Document

    root = tmp_path_factory.getbasetemp() / "fuzz-bigarray"
    root.mkdir(exist_ok=True)
    data = bigarray_document()
    if where == "top":
        data = mutate(data, key, value)
    else:
        data["modes"][0] = mutate(data["modes"][0], key, value)
    (root / "bigarray.json").write_bytes(raw if how == "bytes" else dump(data).encode())
    with contextlib.redirect_stderr(io.StringIO()):
        frame = _bigarray_result(root)  # a frame, or None with a warning
    if frame is not None:
        section = report_document._bigarray_section(frame)
        markdown.render(Document("t", (section,)))


#: Values every validator accepts that later code divides by, logs, squares or formats.
EXTREME = {
    "min_ns": st.sampled_from([1e-300, 5e-324, 1e15]),
    "median_ns": st.sampled_from([1e-300, 1e15]),
    "samples_ns": st.sampled_from([[1e-300] * 4, [1e15] * 4, [1e-300, 1e15, 1.0, 2.0]]),
    "cval": st.sampled_from([1e15, -1e15]),
    "npix": st.sampled_from([1, 2**62]),
    "max_abs_error": st.sampled_from([0.0, 1e308]),
    "peak_rss_bytes": st.sampled_from([0, 2**62]),
    "bytes_moved": st.sampled_from([0, 2**62]),
    "reason": st.text(alphabet="\x1b[2J\r\n`*<>&", max_size=200),
}


@FUZZ
@given(
    line=st.integers(min_value=0, max_value=1),
    changes=st.dictionaries(
        st.sampled_from(sorted(EXTREME)), st.none(), min_size=1, max_size=4
    ).flatmap(lambda d: st.fixed_dictionaries({k: EXTREME[k] for k in d})),
)
def test_valid_but_extreme_rows_never_crash_compare(base_run, tmp_path_factory, line, changes):
    _root, run = fresh_copy(base_run, tmp_path_factory.getbasetemp() / "fuzz-extreme")
    lines = (run / "cases.jsonl").read_text().splitlines()
    row = json.loads(lines[line])
    row.update(changes)
    if "samples_ns" in changes:
        row["n_samples"] = len(row["samples_ns"])
    lines[line] = dump(row)
    (run / "cases.jsonl").write_text("\n".join(lines) + "\n")
    check_outcome(*call("compare", str(base_run), str(run)), verdicts=True)
