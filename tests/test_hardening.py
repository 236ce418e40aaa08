"""Issue 10: hostile results files, absurd grids, output paths, a gate that passes on nothing.

One test per numbered failure of the issue (and a few more hostile inputs), run as a user runs
``gfbench``, checking the exit code, the message and what is (not) written: through
``bench.cli.main`` in this process (``gfbench_inproc``: the same exit codes and messages without a
Python start-up per call), and in a subprocess where the process environment is the point.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO, gfbench_inproc, run_gfbench

from bench.store import export, spreadsheet_safe_cell


def usage_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    """Exit 2, one clear message naming ``needles``, never a traceback."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert not proc.stderr.startswith("usage:"), "an argparse error, not the check under test"
    for needle in needles:
        assert needle in proc.stderr, (needle, proc.stderr)


def snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def write_grid(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


SHORT_GRID = '[[group]]\nname = "tiny"\nshape = [[16, 12]]\nsigma = [1.0, 2.0]\n'
OTHER_GRID = '[[group]]\nname = "other"\nshape = [[8, 8]]\nsigma = [1.5]\n'


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """A folder holding two real runs of short user grids (no timing: fast)."""
    folder = tmp_path_factory.mktemp("hardening")
    for name, text in (("tiny", SHORT_GRID), ("other", OTHER_GRID)):
        grid = write_grid(folder, f"{name}.toml", text)
        proc = gfbench_inproc(
            "sweep", "--grid", str(grid), "--no-timing", "--no-progress", "--out", name, cwd=folder
        )
        assert proc.returncode == 0, proc.stderr
        (run,) = [p for p in (folder / name).iterdir() if (p / "run.json").is_file()]
        run.rename(folder / f"{name}_run")
    return folder


@pytest.fixture
def run(base, tmp_path) -> Path:
    """A private copy of the tiny run (2 cases) the test may damage."""
    return Path(shutil.copytree(base / "tiny_run", tmp_path / "run"))


def edit_meta(run: Path, **fields) -> None:
    meta = json.loads((run / "run.json").read_text())
    meta.update(fields)
    (run / "run.json").write_text(json.dumps(meta, indent=1))


def edit_rows(run: Path, change) -> None:
    path = run / "cases.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    change(rows)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


# 1 -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("run_id", ["../../../X", "/tmp/evil-abs", "..", "a/b", "", 7, None])
def test_1_run_id_cannot_write_outside_reports(run, tmp_path, run_id):
    edit_meta(run, run_id=run_id)
    work = tmp_path / "work"
    work.mkdir()
    proc = gfbench_inproc("report", str(run), cwd=work)
    usage_error(proc, "run.json", "run_id")
    assert not (tmp_path / "X").exists() and not Path("/tmp/evil-abs").exists()
    assert list(work.iterdir()) == []


def test_1_a_good_run_id_reports_inside_reports(run, tmp_path):
    proc = gfbench_inproc("report", str(run), "--format", "md", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "reports" / run.name / "report.md").is_file() or any(
        (tmp_path / "reports").glob("*/report.md")
    )


# 2 -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "axes",
    [
        "truncate = [1e308]\nsigma = [2.0]",
        "sigma = [1e300]",
        "sigma = [1e-300]",
        "sigma = [[1e200, 1.0]]",
    ],
)
def test_2_and_5_absurd_sigma_or_truncate_is_refused_at_validation(tmp_path, axes):
    grid = write_grid(tmp_path, "g.toml", f'[[group]]\nname = "g"\nshape = [[16, 12]]\n{axes}\n')
    for args in (["--dry-run"], ["--no-timing", "--no-progress", "--out", "res"]):
        proc = gfbench_inproc("sweep", "--grid", str(grid), *args, cwd=tmp_path)
        usage_error(proc, "g.toml", "group 'g'")
    assert not (tmp_path / "res").exists()


def test_2_a_case_that_fails_while_measured_is_an_error_row(monkeypatch):
    # the identity itself raising (the old OverflowError) must not escape run_case
    from bench.sweep import measure
    from bench.sweep.cases import Case

    case = Case("scipy", "float64", (8, 8), 1.0)

    def boom(_case):
        raise OverflowError("cannot convert float infinity to integer")

    monkeypatch.setattr(measure, "identity_fields", boom)
    row = measure.run_case(case, measure.CaseSettings(timing=None))
    assert row.status == "error" and "OverflowError" in row.reason
    assert row.case_id == case.case_id


# 3 -------------------------------------------------------------------------------------------
def _interrupted(run: Path) -> None:
    edit_meta(run, status="interrupted")
    edit_rows(run, lambda rows: rows.pop())  # one case left to do


@pytest.mark.parametrize(
    "damage",
    [
        lambda rows: rows[0].pop("status"),
        lambda rows: rows[0].update(sigma="abc"),
        lambda rows: rows[0].update(case_id="../../etc"),
        lambda rows: rows.append({**rows[0], "case_id": "0123456789ab"}),  # a foreign case
    ],
)
def test_3_a_run_that_cannot_be_resumed_stays_byte_identical(run, tmp_path, damage):
    _interrupted(run)
    edit_rows(run, damage)
    before = snapshot(run)
    proc = gfbench_inproc("sweep", "--resume", str(run), "--no-progress", cwd=tmp_path)
    usage_error(proc, "cases.jsonl", "line ")
    assert snapshot(run) == before


@pytest.mark.parametrize(
    "meta",
    [
        {"grid": {"name": "x"}},  # no spec: nothing to resume
        {"timing": "fast"},
        {"threads": {"OMP_NUM_THREADS": "1\u0000; rm -rf"}},
        {"grid": {"spec": {"group": "nope"}, "filters": {}}},
        {"pid": 10**40},
    ],
)
def test_3_bad_run_json_is_refused_before_resume_touches_it(run, tmp_path, meta):
    _interrupted(run)
    edit_meta(run, **meta)
    before = snapshot(run)
    proc = gfbench_inproc("sweep", "--resume", str(run), "--no-progress", cwd=tmp_path)
    usage_error(proc, "run.json")
    assert snapshot(run) == before


def test_3_resume_still_finishes_a_good_run(run, tmp_path):
    _interrupted(run)
    proc = gfbench_inproc("sweep", "--resume", str(run), "--no-progress", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "complete: 2/2 cases" in proc.stdout  # the summary goes to stdout
    assert json.loads((run / "run.json").read_text())["status"] == "complete"


# 4 -------------------------------------------------------------------------------------------
def test_4_compare_an_empty_candidate_is_a_usage_error(base, run, tmp_path):
    (run / "cases.jsonl").write_text("")
    usage_error(
        gfbench_inproc("compare", str(base / "tiny_run"), str(run), cwd=tmp_path), "no comparable"
    )


def test_4_compare_runs_of_different_grids_is_a_usage_error(base, tmp_path):
    proc = gfbench_inproc("compare", str(base / "tiny_run"), str(base / "other_run"), cwd=tmp_path)
    usage_error(proc, "no comparable")


def test_4_compare_verify_json_with_a_run_is_a_usage_error(base, tmp_path):
    verify = tmp_path / "verify.json"
    verify.write_text(json.dumps({"tool": "gfbench verify", "tests": []}))
    proc = gfbench_inproc("compare", str(verify), str(base / "tiny_run"), cwd=tmp_path)
    usage_error(proc, "different kinds")


def test_4_compare_says_how_many_cases_and_a_lost_case_is_a_change(base, run, tmp_path):
    same = gfbench_inproc("compare", str(base / "tiny_run"), str(run), cwd=tmp_path)
    assert same.returncode == 0, same.stderr
    assert "2 cases compared" in same.stdout
    edit_rows(run, lambda rows: rows.pop())
    lost = gfbench_inproc("compare", str(base / "tiny_run"), str(run), cwd=tmp_path)
    assert lost.returncode == 1, lost.stdout + lost.stderr
    assert "1 cases compared" in lost.stdout and "lost" in lost.stdout
    # the other way round the candidate gained a case: not a failure
    gained = gfbench_inproc("compare", str(run), str(base / "tiny_run"), cwd=tmp_path)
    assert gained.returncode == 0, gained.stdout + gained.stderr


def test_4_report_refuses_an_empty_run(run, tmp_path):
    (run / "cases.jsonl").write_text("")
    usage_error(gfbench_inproc("report", str(run), "--out", "r", cwd=tmp_path), "no cases")


# 6 and 10 ------------------------------------------------------------------------------------
def test_6_compare_out_an_existing_file(base, tmp_path):
    (tmp_path / "afile").write_text("keep")
    proc = gfbench_inproc(
        "compare", str(base / "tiny_run"), str(base / "tiny_run"), "--out", "afile", cwd=tmp_path
    )
    usage_error(proc, "--out", "afile")
    assert (tmp_path / "afile").read_text() == "keep"


def test_6_compare_out_refuses_to_overwrite_without_force(base, tmp_path):
    args = ("compare", str(base / "tiny_run"), str(base / "tiny_run"), "--out", "cmp")
    assert gfbench_inproc(*args, cwd=tmp_path).returncode == 0
    usage_error(gfbench_inproc(*args, cwd=tmp_path), "--force")
    assert gfbench_inproc(*args, "--force", cwd=tmp_path).returncode == 0


@pytest.mark.parametrize("target", ["folder", "/dev/full", "missing/x.json", "afile/x.json"])
def test_6_verify_out_bad_paths_refused_before_the_suite(tmp_path, target):
    (tmp_path / "folder").mkdir()
    (tmp_path / "afile").write_text("x")
    proc = gfbench_inproc("verify", "--group", "documented", "--out", target, cwd=tmp_path)
    usage_error(proc, "--out")


def test_10_verify_out_never_overwrites_without_force(run, tmp_path):
    before = (run / "cases.jsonl").read_bytes()
    proc = gfbench_inproc("verify", "--out", str(run / "cases.jsonl"), cwd=tmp_path)
    usage_error(proc, "already exists", "--force")
    assert (run / "cases.jsonl").read_bytes() == before


@pytest.mark.parametrize("target", ["afile/x.json", "/dev/full", "/proc/gfbench/x.json"])
def test_6_bigarray_out_unwritable_is_refused_before_computing(tmp_path, target):
    (tmp_path / "afile").write_text("x")
    proc = gfbench_inproc(
        "bigarray", "--shape", "64", "64", "--chunks", "32", "32", "--out", target, cwd=tmp_path
    )
    usage_error(proc, "--out")
    assert "equals SciPy" not in proc.stderr  # nothing was computed


def test_report_out_refuses_to_overwrite_without_force(run, tmp_path):
    args = ("report", str(run), "--format", "md", "--out", "rep")
    assert gfbench_inproc(*args, cwd=tmp_path).returncode == 0
    before = snapshot(tmp_path / "rep")
    usage_error(gfbench_inproc(*args, cwd=tmp_path), "--force")
    assert snapshot(tmp_path / "rep") == before
    assert gfbench_inproc(*args, "--force", cwd=tmp_path).returncode == 0


# 7 -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["[1]", "null", '"run"', "3", "{", "\xff", "[" * 100000])
def test_7_run_json_not_an_object_is_refused_by_every_verb(run, base, tmp_path, text):
    (run / "run.json").write_bytes(text.encode("utf-8", "surrogateescape"))
    edit = snapshot(run)
    for args in (
        ("report", str(run), "--out", "r"),
        ("compare", str(base / "tiny_run"), str(run)),
        ("sweep", "--resume", str(run), "--no-progress"),
    ):
        usage_error(gfbench_inproc(*args, cwd=tmp_path), "run.json")
    assert snapshot(run) == edit


# 8 -------------------------------------------------------------------------------------------
def test_8_grid_not_utf8_is_a_usage_error(tmp_path):
    grid = write_grid(tmp_path, "latin1.toml", 'name = "caf\xe9"\n'.encode("latin-1"))
    usage_error(gfbench_inproc("sweep", "--grid", str(grid), "--dry-run", cwd=tmp_path), "UTF-8")


# 9 -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("spec", ["nosuchmodule:func", "json:nosuchfunction"])
def test_9_unimportable_scipy_patch_is_a_usage_error(tmp_path, spec):
    proc = run_gfbench(  # a process of its own: the hook imports the module it names
        "verify", "--group", "documented", cwd=tmp_path, env={"GFBENCH_SCIPY_PATCH": spec}
    )
    usage_error(proc, "GFBENCH_SCIPY_PATCH")
    assert "CHANGED" not in proc.stdout


# 11 ------------------------------------------------------------------------------------------
def test_11_a_case_over_the_memory_limit_is_refused_naming_it(tmp_path):
    grid = write_grid(
        tmp_path,
        "huge.toml",
        '[[group]]\nname = "huge"\nshape = [[100000, 100000]]\nsigma = [2.0]\n',
    )
    proc = gfbench_inproc("sweep", "--grid", str(grid), "--no-timing", "--out", "res", cwd=tmp_path)
    usage_error(proc, "huge", "100000x100000", "GiB", "--max-bytes")
    assert not (tmp_path / "res").exists()
    # the override: a dry run with a limit above the need is accepted (nothing is allocated)
    ok = gfbench_inproc(
        "sweep", "--grid", str(grid), "--dry-run", "--max-bytes", str(10**13), cwd=tmp_path
    )
    assert ok.returncode == 0, ok.stderr
    # and a limit below a small case's need refuses it
    small = write_grid(tmp_path, "small.toml", SHORT_GRID)
    low = gfbench_inproc(
        "sweep", "--grid", str(small), "--dry-run", "--max-bytes", "1000", cwd=tmp_path
    )
    usage_error(low, "tiny", "--max-bytes")
    usage_error(
        gfbench_inproc("sweep", "--dry-run", "--max-bytes", "0", cwd=tmp_path), "--max-bytes"
    )


def test_11_case_bytes_counts_input_output_and_scratch():
    from bench.sweep.cases import Case, case_bytes

    # uint8 in, float32 out: 1 + 4 bytes, plus 3 float64 scratch arrays, per element
    assert case_bytes(Case("scipy", "uint8->float32", (100, 10), 1.0)) == 1000 * (1 + 4 + 24)


# 12 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "field, value",
    [
        ("sigma", "abc"),
        ("status", "bogus"),
        ("status", None),
        ("shape", [-1, 3]),
        ("min_ns", -5),
        ("samples_ns", "many"),
        ("case_id", "../../x"),
        ("unstable", "yes"),
        ("sigma", [1e300]),
    ],
)
def test_12_bad_row_contents_name_the_file_line_and_field(run, tmp_path, field, value):
    edit_rows(run, lambda rows: rows[1].update({field: value}))
    proc = gfbench_inproc("report", str(run), "--out", "r", cwd=tmp_path)
    usage_error(proc, "cases.jsonl", "line 2", f"field {field!r}")
    assert not (tmp_path / "r").exists()


def test_12_a_row_without_status_is_refused_not_dropped(run, tmp_path):
    edit_rows(run, lambda rows: rows[0].pop("status"))
    usage_error(
        gfbench_inproc("report", str(run), "--out", "r", cwd=tmp_path), "line 1", "'status'"
    )


# 13 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args, needle",
    [
        (["--executor", "serial", "--workers", "2"], "--workers"),
        (["--executor", "nope"], "--executor"),
        (["--repeats", "0"], "--repeats"),
        (["--export", "xlsx"], "--export"),
    ],
)
def test_13_dry_run_runs_the_same_checks(tmp_path, args, needle):
    usage_error(gfbench_inproc("sweep", "--dry-run", *args, cwd=tmp_path), needle)


def test_13_exclude_that_removes_everything_is_blamed_on_exclude(tmp_path):
    grid = write_grid(tmp_path, "g.toml", SHORT_GRID + "[[exclude]]\nshape = [[16, 12]]\n")
    proc = gfbench_inproc("sweep", "--grid", str(grid), "--dry-run", cwd=tmp_path)
    usage_error(proc, "[[exclude]]")
    assert "--impl" not in proc.stderr


def test_13_csv_export_neutralises_formulas_and_keeps_numbers(run):
    def plant(rows):
        rows[0]["host"] = '=HYPERLINK("http://evil")'
        rows[0]["reason"] = "@SUM(1)"
        rows[1]["host"] = "+1+cmd|' /C calc'!A0"
        rows[1]["bias"] = -1.5

    edit_rows(run, plant)
    (csv,) = export(run, ["csv"])
    import pandas as pd

    frame = pd.read_csv(csv)
    assert frame.loc[0, "host"] == '\'=HYPERLINK("http://evil")'
    assert frame.loc[0, "reason"] == "'@SUM(1)"
    assert frame.loc[1, "host"].startswith("'+1+cmd")
    assert frame.loc[1, "bias"] == -1.5 and frame["bias"].dtype.kind == "f"
    assert spreadsheet_safe_cell("-2.5") == "-2.5" and spreadsheet_safe_cell(-3) == -3
    assert spreadsheet_safe_cell("-x") == "'-x"


def test_13_truncated_line_is_a_one_line_warning(run, tmp_path):
    with open(run / "cases.jsonl", "a") as fh:
        fh.write('{"case_id": "abc')
    proc = gfbench_inproc("report", str(run), "--format", "md", "--out", "r", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "gfbench report: warning:" in proc.stderr and "line 3 is incomplete" in proc.stderr
    assert "UserWarning" not in proc.stderr


def test_13_foreign_row_is_refused_not_counted(run, base, tmp_path):
    _interrupted(run)
    foreign = (base / "other_run" / "cases.jsonl").read_text().splitlines()[0]
    with open(run / "cases.jsonl", "a") as fh:
        fh.write(foreign + "\n")
    before = snapshot(run)
    proc = gfbench_inproc("sweep", "--resume", str(run), "--no-progress", cwd=tmp_path)
    usage_error(proc, "not a case of this run's grid")
    assert snapshot(run) == before


# more hostile inputs -------------------------------------------------------------------------
def test_matrix_json_folder_cannot_leave_the_matrix(base, tmp_path):
    matrix = tmp_path / "m"
    matrix.mkdir()
    (matrix / "matrix.json").write_text(
        json.dumps({"environments": [{"status": "ok", "folder": "../../etc"}]})
    )
    proc = gfbench_inproc("compare", str(matrix), str(base / "tiny_run"), cwd=tmp_path)
    usage_error(proc, "matrix.json", "folder")


@pytest.mark.parametrize(
    "document",
    [[1], {"tool": "gfbench verify", "tests": [1]}, {"tool": "x", "tests": []}],
)
def test_hostile_verify_json_is_refused(tmp_path, document):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    good = {"tool": "gfbench verify", "tests": [{"nodeid": "t", "outcome": "passed"}]}
    a.write_text(json.dumps(good))
    b.write_text(json.dumps(document))
    usage_error(gfbench_inproc("compare", str(a), str(b), cwd=tmp_path), "b.json")


def test_sweep_summary_on_stdout_progress_on_stderr(tmp_path):
    grid = write_grid(tmp_path, "g.toml", SHORT_GRID)
    proc = gfbench_inproc("sweep", "--grid", str(grid), "--no-timing", "--out", "res", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "complete: 2/2 cases" in proc.stdout and "speed vs scipy" in proc.stdout
    assert "complete: 2/2" not in proc.stderr


# the README's grid example and the shipped grids' full form ------------------------------------
def test_readme_minimal_grid_is_complete_and_valid(tmp_path):
    import re

    text = (REPO / "docs" / "sweep.md").read_text(encoding="utf-8")
    (example,) = re.findall(r"```toml\n(# my_grid\.toml\n.+?)```", text, flags=re.S)
    grid = write_grid(tmp_path, "my_grid.toml", example)
    proc = gfbench_inproc("sweep", "--grid", str(grid), "--dry-run", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    listing = json.loads(proc.stdout)
    assert listing["n_cases"] == 8  # 2 impls x 2 dtypes x 1 shape x 2 sigmas, as the README says
    case = listing["cases"][0]
    # the axes left out come from SciPy's defaults
    assert (case["mode"], case["truncate"], case["order"], case["cval"]) == ("reflect", 4.0, 0, 0.0)


def test_shipped_grids_keep_why_everywhere():
    from bench.sweep.grid import GRID_NAMES, load_grid, tomllib  # tomli on Python 3.10

    for name in GRID_NAMES:
        grid = load_grid(name)  # strict for shipped names
        assert grid.cases
        spec = tomllib.loads((REPO / "bench" / "sweep" / "grids" / f"{name}.toml").read_text())
        for group in spec["group"]:
            stripped = dict(spec, group=[{k: v for k, v in group.items() if k != "why"}])
            with pytest.raises(ValueError, match="needs a one-line reason"):
                load_grid(stripped, strict=True)
            load_grid(stripped, strict=False)  # a user's grid may leave it out


def test_user_grid_short_form_equals_the_full_form():
    from bench.sweep.grid import load_grid

    short = {"group": [{"name": "g", "shape": [[16, 12]], "sigma": [1.0, [1.0, 2.0]]}]}
    full = {
        "name": "custom",
        "why": "w",
        "group": [
            {
                "name": "g",
                "why": "w",
                **{
                    axis: {"values": values, "why": "w"}
                    for axis, values in {
                        "impl": ["scipy"],
                        "dtype": ["float64"],
                        "shape": [[16, 12]],
                        "sigma": [1.0, [1.0, 2.0]],
                        "mode": ["reflect"],
                        "truncate": [4.0],
                        "order": [0],
                        "cval": [0.0],
                    }.items()
                },
            }
        ],
    }
    ids = [c.case_id for c in load_grid(short).cases]
    assert ids == [c.case_id for c in load_grid(full, strict=True).cases] and len(ids) == 2


@pytest.mark.parametrize(
    "document",
    [
        [1],
        {"kind": "bigarray", "schema_version": 1, "modes": "all"},
        {
            "kind": "bigarray",
            "schema_version": 1,
            "modes": [{"mode": "wrap", "n_diff_pixels": "x"}],
        },
    ],
)
def test_hostile_bigarray_json_is_ignored_with_a_warning(run, tmp_path, document):
    (run / "bigarray.json").write_text(json.dumps(document))
    proc = gfbench_inproc("report", str(run), "--format", "md", "--out", "r", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "warning: ignoring" in proc.stderr and "Traceback" not in proc.stderr


def test_cases_jsonl_that_is_a_folder_is_refused(run, base, tmp_path):
    (run / "cases.jsonl").unlink()
    (run / "cases.jsonl").mkdir()
    usage_error(
        gfbench_inproc("compare", str(base / "tiny_run"), str(run), cwd=tmp_path), "cases.jsonl"
    )


@pytest.mark.parametrize("value", [10**30, [10**20, 3]])
def test_integers_beyond_int64_are_refused(run, tmp_path, value):
    edit_rows(
        run,
        lambda rows: (
            rows[0].update(npix=value) if isinstance(value, int) else rows[0].update(shape=value)
        ),
    )
    usage_error(gfbench_inproc("report", str(run), "--out", "r", cwd=tmp_path), "line 1")


def test_readme_report_example_command_refuses_to_overwrite_the_committed_example(run, tmp_path):
    example = REPO / "reports" / "example"
    before = snapshot(example)
    proc = gfbench_inproc("report", str(run), "--out", str(example), cwd=tmp_path)
    usage_error(proc, "already holds", "--force")
    assert snapshot(example) == before
