"""Where a slower case's instructions went: kept profiles, and compare's function lists.

Fast tests: the profile names and their checks (``bench.store.profiles``: a row's name is the
one pattern, stays in the run folder, sizes capped); the bytecode tally of known Python code
(``bench.sweep.bytecodes``); callgrind_annotate's reading of small hand-written callgrind dumps
whose self and inclusive costs are known; and compare on synthetic runs whose profiles plant
work in one named native and one named Python function, which must top the lists, in JSON,
text and the PR comment. A side without profiles says so.

The slow test (``valgrind``, ``network``) counts the released SciPy wheel against a repacked
one that adds work in one named Python function, ``_gfbench_extra_work``, called from
``gaussian_filter1d``: compare must name it first.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
from pathlib import Path

import pytest
from synthetic_runs import case_params, make_rows, write_run

from bench.exitcodes import UsageError
from bench.guard.compare.github import render_github
from bench.guard.compare.render import render_text
from bench.guard.compare.result import compare
from bench.guard.compare.where import _parse_annotate, annotate, check_where_top, rank_changes
from bench.store import Row, profiles
from bench.store.validate import FieldError, FileError, validate_row
from bench.sweep.bytecodes import read_tally, trace_call
from bench.sweep.cases import Case
from bench.sweep.measure import identity_fields

needs_annotate = pytest.mark.skipif(
    shutil.which("callgrind_annotate") is None,
    reason="callgrind_annotate is not on PATH (it comes with valgrind: apt-get install valgrind)",
)
CID = "0123456789ab"


# -- names and checks ----------------------------------------------------------------------------


def test_profile_names_are_one_fixed_pattern():
    assert profiles.callgrind_name(CID) == f"profiles/{CID}.callgrind.gz"
    assert profiles.bytecodes_name(CID) == f"profiles/{CID}.bytecodes.json.gz"
    for bad in ("../x.callgrind.gz", f"/tmp/{CID}.callgrind.gz", f"profiles/{CID}.txt",
                f"profiles/../{CID}.callgrind.gz", f"profiles/{CID.upper()}.callgrind.gz",
                f"profiles/{CID}.callgrind.gz\n", 5, None):  # fmt: skip
        assert not profiles.is_profile_name(bad), bad
    with pytest.raises(ValueError, match="not a profile name"):
        profiles.callgrind_name("../../etc")


@pytest.mark.parametrize("field", ["callgrind_profile", "bytecode_profile"])
def test_a_row_naming_a_path_outside_the_pattern_is_refused_on_load_and_write(field):
    row = {"case_id": CID, "impl": "scipy", "dtype": "uint8", "status": "ok"}
    assert validate_row({**row, field: None}, file="cases.jsonl", line=1)[field] is None
    with pytest.raises(FileError) as info:
        validate_row({**row, field: "../../../etc/passwd"}, file="cases.jsonl", line=3)
    assert info.value.field == field and info.value.line == 3
    assert "profiles/" in str(info.value)
    ident = identity_fields(Case(impl="scipy", dtype="uint8", shape=(8, 8), sigma=1.0))
    with pytest.raises(FieldError, match=field):
        Row(**ident, status="ok", out_dtype="uint8", **{field: "/etc/passwd"})
    kept = Row(**ident, status="ok", out_dtype="uint8", **{field: f"profiles/{CID}.callgrind.gz"})
    assert getattr(kept, field) == f"profiles/{CID}.callgrind.gz"


def test_a_kept_profile_reads_back_and_hostile_ones_are_refused(tmp_path, monkeypatch):
    run = tmp_path / "run"
    run.mkdir()
    name = profiles.keep(b"events: Ir\n", run, profiles.callgrind_name(CID))
    assert name == f"profiles/{CID}.callgrind.gz"
    assert profiles.read(run, name) == b"events: Ir\n"
    with pytest.raises(profiles.ProfileError, match="missing"):
        profiles.read(run, profiles.bytecodes_name(CID))
    # a link out of the run folder is not followed
    secret = tmp_path / "secret"
    secret.write_bytes(gzip.compress(b"secret"))
    os.symlink(secret, run / "profiles" / f"{CID}.bytecodes.json.gz")
    with pytest.raises(UsageError, match="leads outside the folder"):
        profiles.read(run, profiles.bytecodes_name(CID))
    # nor one inside it (a link is never read in a results folder)
    (run / "profiles" / f"{CID}.bytecodes.json.gz").unlink()
    os.symlink(run / name, run / "profiles" / f"{CID}.bytecodes.json.gz")
    with pytest.raises(UsageError, match="symbolic link"):
        profiles.read(run, profiles.bytecodes_name(CID))
    # not gzip; a gzip bomb stops at the cap
    (run / "profiles" / f"{CID}.callgrind.gz").write_bytes(b"plain text")
    with pytest.raises(profiles.ProfileError, match="not a gzip"):
        profiles.read(run, name)
    (run / "profiles" / f"{CID}.callgrind.gz").write_bytes(gzip.compress(b"0" * 10_000))
    monkeypatch.setattr(profiles, "MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(profiles.ProfileError, match="more than 1000 bytes"):
        profiles.read(run, name)
    # a profile over the stored cap is not kept: the row then names none
    monkeypatch.setattr(profiles, "MAX_STORED_BYTES", 10)
    assert profiles.keep(os.urandom(100), run, profiles.callgrind_name("ba9876543210")) is None
    assert not (run / "profiles" / "ba9876543210.callgrind.gz").exists()


def test_a_counted_row_names_the_profiles_its_count_kept():
    from bench.sweep.callcount import CallCount
    from bench.sweep.instructions import with_instructions

    ident = identity_fields(Case(impl="scipy", dtype="uint8", shape=(8, 8), sigma=1.0))
    row = Row(**ident, status="ok", out_dtype="uint8")
    cid = row.case_id
    kept = CallCount(call=9.0, entry=4.0, profile=profiles.callgrind_name(cid),
                     bytecodes=profiles.bytecodes_name(cid))  # fmt: skip
    filled = with_instructions(row, {cid: kept})
    assert (filled.instructions, filled.instructions_entry) == (9.0, 4.0)
    assert filled.callgrind_profile == f"profiles/{cid}.callgrind.gz"
    assert filled.bytecode_profile == f"profiles/{cid}.bytecodes.json.gz"
    bare = with_instructions(row, {cid: CallCount(call=9.0, entry=None)})
    assert bare.callgrind_profile is None and bare.bytecode_profile is None


@pytest.mark.parametrize("value", [-1, 201, 2.5, "3", True])
def test_where_top_refuses_what_it_does_not_allow_naming_the_option(value):
    with pytest.raises(UsageError, match=r"--where-top: got .*allowed: an int from 0"):
        check_where_top(value)
    assert check_where_top(0) == 0 and check_where_top(200) == 200


# -- the bytecode tally --------------------------------------------------------------------------


def _inner(n):
    total = 0
    for i in range(n):
        total += i
    return total


def _outer(n):
    return _inner(n) + _inner(1)


def _recursive(k):
    return 0 if k == 0 else 1 + _recursive(k - 1)


def test_the_tally_counts_each_functions_own_bytecodes_and_with_its_callees():
    small, large = trace_call(lambda: _outer(100), 2), trace_call(lambda: _outer(300), 2)
    name_in, name_out = f"{__name__}._inner", f"{__name__}._outer"
    f_small, f_large = small["functions"], large["functions"]
    assert small["calls"] == 2 and f_small[name_in]["calls"] == 4  # 2 calls x 2 inner calls
    # the loop body is the same bytecodes per iteration: 200 more iterations per call, twice
    per_iter = (f_large[name_in]["opcodes"] - f_small[name_in]["opcodes"]) / 400
    assert per_iter == int(per_iter) and per_iter >= 3
    # _outer's own work does not depend on n; its inclusive count is its own plus _inner's
    assert f_small[name_out]["opcodes"] == f_large[name_out]["opcodes"]
    for f in (f_small, f_large):
        assert f[name_out]["opcodes_inclusive"] == f[name_out]["opcodes"] + f[name_in]["opcodes"]
    # recursion: the inclusive count is taken once, at the outermost frame
    rec = trace_call(lambda: _recursive(20), 1)["functions"][f"{__name__}._recursive"]
    assert rec["calls"] == 21 and rec["opcodes_inclusive"] == rec["opcodes"]
    # what compare reads back: per call
    per_call = read_tally(json.dumps(small).encode())
    assert per_call[name_in]["opcodes"] == f_small[name_in]["opcodes"] / 2


@pytest.mark.parametrize(
    "tally",
    [{"version": 2, "calls": 1, "functions": {}}, {"version": 1, "calls": 0, "functions": {}},
     {"version": 1, "calls": 1, "functions": {"f": {"calls": -1, "opcodes": 1,
                                                   "opcodes_inclusive": 1}}}],
)  # fmt: skip
def test_a_tally_that_is_not_what_gfbench_writes_is_refused(tally):
    with pytest.raises(ValueError):
        read_tally(json.dumps(tally).encode())


# -- callgrind_annotate on hand-written dumps ----------------------------------------------------


def dump(work: int, extra: int = 0) -> str:
    """A callgrind dump: main -> eval -> (core 5000, work ``work``, maybe extra ``extra``)."""
    calls = [("core", 5000), ("work", work)] + ([("extra", extra)] if extra else [])
    lines = ["version: 1", "creator: gfbench-test", "positions: line", "events: Ir", "",
             "ob=/envs/x/lib/libpython3.11.so", "fl=/build/ceval.c", "fn=main", "1 10",
             "cfn=eval", "calls=1 0", f"1 {100 + sum(c for _, c in calls)}", "", "fn=eval",
             "1 100"]  # fmt: skip
    objects = {name: "/envs/x/scipy/_nd_image.so" if name == "core"
               else "/envs/x/lib/libpython3.11.so" for name, _ in calls}  # fmt: skip
    for name, cost in calls:  # callees in another file say so (cfi=), as callgrind writes them
        lines += [f"cob={objects[name]}", "cfi=/build/src.c", f"cfn={name}", "calls=1 0",
                  f"1 {cost}"]  # fmt: skip
    lines.append("")
    for name, cost in calls:
        lines += [f"ob={objects[name]}", "fl=/build/src.c", f"fn={name}", f"1 {cost}", ""]
    total = 10 + 100 + sum(c for _, c in calls)
    return "\n".join([*lines, f"totals: {total}", ""])


ANNOTATE_TEXT = """\
--------------------------------------------------------------------------------
Ir
--------------------------------------------------------------------------------
3,012,347  PROGRAM TOTALS

--------------------------------------------------------------------------------
Ir         file:function
--------------------------------------------------------------------------------
1,972,740  ???:NI_Correlate1D [/v/site-packages/scipy/ndimage/_nd_image.so]
   78,157  /b/Python/ceval.c:_PyEval_EvalFrameDefault [/p/libpython3.11.so.1.0]
      100  /b/Include/object.h:_PyEval_EvalFrameDefault
        7  a.cpp:ns::f(int) [/x/lib.so]
       50  /b/Python/ceval.c:_PyEval_EvalFrameDefault'2
"""


def test_annotate_text_is_read_by_function_name_whatever_the_file():
    total, listed = _parse_annotate(ANNOTATE_TEXT)
    assert total == 3_012_347
    assert listed == [
        ("NI_Correlate1D", 1_972_740, "_nd_image.so"),
        ("_PyEval_EvalFrameDefault", 78_157, "libpython3.11.so.1.0"),
        ("_PyEval_EvalFrameDefault", 100, None),  # the same function, an inlined header's lines
        ("ns::f(int)", 7, "lib.so"),
        ("_PyEval_EvalFrameDefault'2", 50, None),  # its second recursion level
    ]


@needs_annotate
def test_one_function_listed_per_file_and_recursion_level_is_one_row(tmp_path):
    """Self counts add up across a function's entries; the inclusive count is the largest (each
    entry holds the whole tree below it)."""
    # as callgrind writes a recursion (--separate-recs): level 2 is its own name, eval'2;
    # main (10) -> eval (100) -> eval'2 (200) -> core (1000)
    text = "\n".join([
        "version: 1", "positions: line", "events: Ir", "",
        "ob=/l/libpython.so", "fl=/b/ceval.c", "fn=main", "1 10", "cfn=eval", "calls=1 0",
        "1 1300", "", "fn=eval", "1 100", "cfn=eval'2", "calls=1 0", "1 1200", "",
        "fn=eval'2", "1 200", "cfi=/b/core.c", "cfn=core", "calls=1 0", "1 1000", "",
        "fl=/b/core.c", "fn=core", "1 1000", "", "totals: 1310", "",
    ])  # fmt: skip
    path = tmp_path / "cg.out"
    path.write_text(text)
    total, functions = annotate(path)
    assert total == 1310
    assert sorted(functions) == ["core", "eval", "main"]  # no eval'2 row
    assert functions["eval"]["self"] == 100 + 200
    assert functions["eval"]["inclusive"] == 1300  # not 1300 + 1200
    assert functions["core"]["self"] == functions["core"]["inclusive"] == 1000
    assert functions["main"]["inclusive"] == 1310


@needs_annotate
def test_callgrind_annotate_gives_self_and_inclusive_counts_of_a_dump(tmp_path):
    path = tmp_path / "cg.out"
    path.write_text(dump(work=400, extra=900))
    total, functions = annotate(path)
    assert total == 10 + 100 + 5000 + 400 + 900
    assert functions["main"]["self"] == 10 and functions["main"]["inclusive"] == total
    assert functions["eval"]["self"] == 100 and functions["eval"]["inclusive"] == total - 10
    assert functions["extra"]["self"] == functions["extra"]["inclusive"] == 900
    assert functions["core"]["object"] == "_nd_image.so"


def test_the_functions_whose_own_count_changed_most_come_first():
    a = {"eval": {"self": 100, "inclusive": 5500}, "work": {"self": 400, "inclusive": 400},
         "core": {"self": 5000, "inclusive": 5000}}  # fmt: skip
    b = {"eval": {"self": 150, "inclusive": 8350}, "work": {"self": 3100, "inclusive": 3100},
         "core": {"self": 5000, "inclusive": 5000},
         "new": {"self": 100, "inclusive": 100}}  # fmt: skip
    ranked = rank_changes(a, b, top=10)
    assert [r["function"] for r in ranked] == ["work", "new", "eval"]  # core did not change
    work = ranked[0]
    assert (work["self_a"], work["self_b"], work["self_change"]) == (400, 3100, 2700)
    assert work["self_ratio"] == pytest.approx(7.75)
    assert ranked[1]["self_ratio"] is None  # absent on side A: "new"
    assert rank_changes(a, b, top=1) == ranked[:1]


# -- compare on synthetic runs with profiles -------------------------------------------------------

CASES = case_params(4)
PY_A = {"scipy.ndimage._filters.gaussian_filter1d": (50, 200),
        "scipy.ndimage._filters.correlate1d": (150, 150)}  # fmt: skip


def _tally(functions: dict[str, tuple[int, int]]) -> bytes:
    return json.dumps({
        "version": 1, "calls": 1,
        "functions": {k: {"calls": 1, "opcodes": s, "opcodes_inclusive": i}
                      for k, (s, i) in functions.items()},
    }).encode()  # fmt: skip


def _run_with_profiles(folder: Path, *, slower_case: int | None, keep: bool = True) -> Path:
    """A whole-call instruction run; case ``slower_case`` does 5900 more instructions, in the
    native function ``work`` (+1700 own) and ``extra`` (new, +4200, called by the new Python
    function ``_gfbench_extra_work``)."""
    rows = make_rows(CASES, seed=1)
    run_dir = folder
    run_dir.mkdir(parents=True)
    for i, row in enumerate(rows):
        slow = i == slower_case
        text = dump(work=2100 if slow else 400, extra=4200 if slow else 0)
        row["instructions"] = float(10 + 100 + 5000 + (2100 + 4200 if slow else 400))
        row["instructions_entry"] = 5000.0
        if not keep:
            continue
        row["callgrind_profile"] = profiles.keep(
            text.encode(), run_dir, profiles.callgrind_name(row["case_id"])
        )
        py = dict(PY_A)
        if slow:
            py["scipy.ndimage._filters._gfbench_extra_work"] = (900, 900)
            py["scipy.ndimage._filters.gaussian_filter1d"] = (53, 1103)
        row["bytecode_profile"] = profiles.keep(
            _tally(py), run_dir, profiles.bytecodes_name(row["case_id"])
        )
    path = write_run(run_dir, rows)
    meta = json.loads((path / "run.json").read_text())
    meta["instructions"] = {"scope": "call", "calls": 1}
    (path / "run.json").write_text(json.dumps(meta))
    return path


@needs_annotate
def test_compare_names_the_native_and_python_functions_that_did_the_extra_work(tmp_path):
    a = _run_with_profiles(tmp_path / "run-a", slower_case=None)
    b = _run_with_profiles(tmp_path / "run-b", slower_case=2)
    result = compare([a, b], where_top=3)
    where = result.to_dict()["comparisons"][0]["where"]
    assert [w["case_id"] for w in where] == [CASES[2]["case_id"]]  # only the slower case
    entry = where[0]
    assert entry["missing"] == []
    assert entry["ratio"] == pytest.approx(11410 / 5510)
    native = {r["function"]: r for r in entry["native"]}
    assert [r["function"] for r in entry["native"]] == ["extra", "work", "eval"]
    assert (native["extra"]["self_a"], native["extra"]["self_b"]) == (0, 4200)
    assert native["work"]["self_ratio"] == pytest.approx(2100 / 400)
    assert native["eval"]["self_change"] == 0  # listed for its inclusive change only
    assert native["eval"]["inclusive_b"] - native["eval"]["inclusive_a"] == 5900
    python = entry["python"]
    assert python[0]["function"] == "scipy.ndimage._filters._gfbench_extra_work"
    assert (python[0]["self_a"], python[0]["self_b"], python[0]["self_ratio"]) == (0, 900, None)
    assert python[1]["function"] == "scipy.ndimage._filters.gaussian_filter1d"
    assert python[1]["inclusive_ratio"] == pytest.approx(1103 / 200)
    text = render_text(result)
    assert "where (1 cases slower on instructions" in text
    assert "scipy.ndimage._filters._gfbench_extra_work" in text and "new" in text
    github = render_github(result)
    assert "<code>scipy.ndimage._filters._gfbench_extra_work</code> | 0 | 900 | new" in github
    assert "<code>extra [libpython3.11.so]</code> | 0 | 4,200 | new" in github


@needs_annotate
def test_a_counted_case_slower_on_time_alone_gets_its_lists_too(tmp_path):
    """--metric both: a case the timing gate calls slower while its count is the same (memory,
    layout, waiting) is listed after the instruction-slower ones, headed by its time ratio;
    a slower case that was not counted has no profiles and is not listed."""
    import pandas as pd

    from bench.guard.compare.sides import load_sides
    from bench.guard.compare.where import case_heading, where_lists

    a = _run_with_profiles(tmp_path / "run-a", slower_case=None)
    b = _run_with_profiles(tmp_path / "run-b", slower_case=2)
    side_a, side_b = load_sides([a, b])
    ids = [c["case_id"] for c in CASES]
    instructions = pd.DataFrame([
        {"case_id": ids[0], "case": "c0", "ratio": 1.0, "verdict": "same"},
        {"case_id": ids[2], "case": "c2", "ratio": 2.07, "verdict": "slower"},
    ])  # fmt: skip
    perf = pd.DataFrame([
        {"case_id": ids[0], "case": "c0", "ratio": 1.31, "verdict": "slower"},  # time alone
        {"case_id": ids[1], "case": "c1", "ratio": 1.5, "verdict": "slower"},  # not counted
        {"case_id": ids[2], "case": "c2", "ratio": 1.2, "verdict": "slower"},  # both
    ])  # fmt: skip
    where = where_lists(side_a, side_b, instructions, perf=perf, top=3)
    assert [(w["case_id"], w["slower_on"]) for w in where] == [
        (ids[2], "instructions"), (ids[0], "time"),
    ]  # fmt: skip
    on_time = where[1]
    assert on_time["time_ratio"] == 1.31 and on_time["ratio"] == 1.0
    assert on_time["missing"] == []
    # the same code on both sides: no function's count changed, and the entry says so
    assert on_time["native"] == [] and on_time["python"] == []
    assert on_time["note"].startswith("no function's instruction or bytecode count changed")
    assert where[0]["note"] is None and where[0]["native"][0]["function"] == "extra"
    assert case_heading(on_time) == "c0 (slower on time x1.31; instructions B/A 1.0000)"
    assert case_heading(where[0]) == "c2 (instructions B/A 2.0700)"
    assert where_lists(side_a, side_b, instructions, perf=None, top=3)[0]["case_id"] == ids[2]
    assert len(where_lists(side_a, side_b, instructions, perf=None, top=3)) == 1


def test_a_side_without_profiles_says_so_and_compare_still_decides(tmp_path, monkeypatch):
    a = _run_with_profiles(tmp_path / "run-a", slower_case=None, keep=False)
    b = _run_with_profiles(tmp_path / "run-b", slower_case=0)
    monkeypatch.setattr(shutil, "which", lambda name: None)  # no valgrind on this machine
    result = compare([a, b])
    assert int(result.exit_code) == 3
    (entry,) = result.pairs[0].where
    assert entry["native"] == [] and entry["python"] == []
    assert any("callgrind_annotate is not on PATH" in m for m in entry["missing"])
    assert any(m.startswith("run-a: no bytecode tally kept") for m in entry["missing"])
    assert "missing: run-a: no bytecode tally kept" in render_text(result)
    assert compare([a, b], where_top=0).pairs[0].where == []


def test_a_row_naming_a_profile_that_is_not_there_is_reported_not_a_crash(tmp_path):
    a = _run_with_profiles(tmp_path / "run-a", slower_case=None)
    b = _run_with_profiles(tmp_path / "run-b", slower_case=1)
    for path in (a / "profiles").iterdir():
        path.unlink()
    (entry,) = compare([a, b]).pairs[0].where
    assert any("run-a: bytecode tally unusable" in m and "missing" in m for m in entry["missing"])
    assert entry["python"] == []


# -- real: a repacked wheel that adds work in one named Python function --------------------------


def _wheel_matrix(tmp_path: Path, variant: str, metric: str):
    """``gfbench matrix`` of SciPy 1.17.1 against a repacked wheel on the 2-case grid."""
    import scipy_wheels
    from conftest import DATA_DIR, run_gfbench

    cache = Path(os.environ.get("GFBENCH_CACHE_DIR") or Path.home() / ".cache/gfbench/test-envs")
    wheel = scipy_wheels.candidate_wheel(variant)
    return run_gfbench(
        "matrix", "--scipy", scipy_wheels.RELEASE, "--scipy", str(wheel),
        "--grid", str(DATA_DIR / "callcount_grid.toml"), "--metric", metric,
        "--no-verify", "--compare", "--installer", "uv", "--cache-dir", str(cache),
        "--out", str(tmp_path), timeout=2400,
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.network
@pytest.mark.valgrind
def test_a_wheel_that_adds_work_in_a_named_python_function_is_named_first(tmp_path):
    proc = _wheel_matrix(tmp_path, "python-work-named", "instructions")
    assert proc.returncode == 3, proc.stdout[-3000:] + proc.stderr[-3000:]
    matrix_dir = next(tmp_path.glob("matrix-*"))
    (pair,) = json.loads((matrix_dir / "compare" / "compare.json").read_text())["comparisons"]
    assert [r["verdict"] for r in pair["instructions"]] == ["slower", "slower"]
    assert len(pair["where"]) == 2  # every slower case has its list
    for entry in pair["where"]:
        assert entry["missing"] == [], entry["missing"]
        top = entry["python"][0]
        assert top["function"] == "scipy.ndimage._filters._gfbench_extra_work"
        assert top["self_a"] == 0 and top["self_ratio"] is None  # new in B
        # 64x64 // 4 = 1024 iterations per 1-D pass, two passes per call: thousands of
        # bytecodes, far above any other function's change
        assert top["self_b"] > 2 * 1024 * 2
        others = [abs(r["self_change"]) for r in entry["python"][1:]]
        assert all(top["self_change"] > 10 * change for change in others), entry["python"]
        # the native list: the interpreter loop did the extra work (CPython 3.11 names no
        # Python function in a callgrind profile)
        native = [r["function"] for r in entry["native"]]
        assert "_PyEval_EvalFrameDefault" in native[:3], native
    # the text report and the PR comment show it too
    assert "scipy.ndimage._filters._gfbench_extra_work" in proc.stdout
    github = (matrix_dir / "compare" / "github.md").read_text()
    assert "<code>scipy.ndimage._filters._gfbench_extra_work</code>" in github


@pytest.mark.slow
@pytest.mark.network
@pytest.mark.valgrind
@pytest.mark.serial
def test_a_wheel_slower_on_time_alone_gets_where_lists_that_point_at_the_sleep(tmp_path):
    """--metric both with the repack that sleeps 2 ms per 1-D pass: the counts stay "same" (they
    decide counted cases: exit 0), the timing gate says "slower", and the where lists of those
    cases point at the added line: gaussian_filter1d runs more bytecodes, and the native list
    has time.sleep's argument conversion as new (measured 2026-12-03: +18 bytecodes per call,
    _PyTime_FromSecondsObject 0 -> 140 instructions)."""
    from conftest import gfbench_inproc

    proc = _wheel_matrix(tmp_path, "slow", "both")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    # the interpreter's small per-call shifts (heap layout) rank near the sleep's own
    # functions, so read more than the default 10 from the stored runs (in this process: the
    # matrix above already ran the CLI as a user does)
    again = gfbench_inproc("compare", str(next(tmp_path.glob("matrix-*"))), "--where-top", "40",
                           "--json")  # fmt: skip
    (pair,) = json.loads(again.stdout)["comparisons"]
    assert [r["verdict"] for r in pair["instructions"]] == ["same", "same"]
    assert [r["verdict"] for r in pair["performance"]] == ["slower", "slower"]
    assert len(pair["where"]) == 2
    for entry in pair["where"]:
        assert entry["slower_on"] == "time" and entry["time_ratio"] > 5, entry
        assert entry["missing"] == [] and entry["note"] is None
        python = {r["function"]: r for r in entry["python"]}
        grown = python["scipy.ndimage._filters.gaussian_filter1d"]
        assert grown["self_b"] > grown["self_a"]  # the added line runs in every 1-D pass
        native = {r["function"]: r for r in entry["native"]}
        assert native["_PyTime_FromSecondsObject"]["self_a"] == 0, sorted(native)
    assert "slower on time alone" in proc.stdout


@pytest.mark.slow
@pytest.mark.valgrind
def test_native_extra_work_names_the_c_function_that_did_it(tmp_path):
    """A planted ~5% more filtering (``scipy_variants:extra_work_5pct``: the first rows filtered
    again): the native list must name SciPy's C line filter, ``NI_Correlate1D``, first.

    At 256x256: at 64x64 the second call's Python overhead (argument handling, twice) changes
    the interpreter's own count as much as the C core's (measured: +32,600 against +32,100
    instructions per call), and the list rightly shows both.
    """
    from conftest import DATA_DIR, run_gfbench

    grid = tmp_path / "grid.toml"
    text = (DATA_DIR / "callcount_grid.toml").read_text()
    text = text.replace("[[64, 64]]", "[[256, 256]]").replace('["float64", "uint8"]', '["float64"]')
    grid.write_text(text)
    runs = {}
    for side, patch in (("a", None), ("b", "scipy_variants:extra_work_5pct")):
        proc = run_gfbench(
            "sweep", "--grid", str(grid), "--metric",
            "instructions", "--no-timing", "--no-progress", "--out", str(tmp_path / side),
            "--json", patch=patch, timeout=900,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr[-2000:]
        runs[side] = json.loads(proc.stdout)["run_dir"]
    result = compare([runs["a"], runs["b"]], where_top=10)
    where = result.pairs[0].where
    assert len(where) == 1, result.pairs[0].instructions  # the case is slower
    for entry in where:
        assert entry["missing"] == []
        top = entry["native"][0]
        assert top["function"] == "NI_Correlate1D" and top["object"].startswith("_nd_image")
        # the first 5% of 256 rows (13 rows) filtered again along both axes: about 5% more
        assert 1.02 < top["self_ratio"] < 1.10, top
        # the Python layer: the wrapper is new, and SciPy's own functions run twice per call
        python = {r["function"]: r for r in entry["python"]}
        assert python["scipy_variants.extra_work_5pct"]["self_a"] == 0
        scipy_rows = [r for name, r in python.items() if name.startswith("scipy.ndimage.")]
        assert scipy_rows and all(r["self_ratio"] == pytest.approx(2.0) for r in scipy_rows)
