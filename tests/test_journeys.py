"""The user's journeys, end to end through the CLI (issue 18).

Each test runs the commands the README and docs/ show, as a user does (``run_gfbench``:
``python -m bench ...``), on ``tests/data/journey_grid.toml``: a small grid that keeps every
kind of case of the shipped quick grid (colour, 3-D, every dtype, the output dtypes, a per-axis
sigma, every mode, cval, derivatives, truncate), so the shapes of real data flow through the
store, the A/B session and compare. ``test_the_journey_grid_keeps_every_kind_of_case`` holds
it to that.

Marked ``slow`` and ``journey`` (CI runs them). The ``network`` ones build real environments
with uv (SciPy 1.17.1 from the index, and candidates repacked from the installed SciPy:
tests/scipy_wheels.py) into the test environments' cache the other real-build tests use
(``conftest.TEST_ENVS``; ``GFBENCH_JOURNEY_CACHE`` names another), so an environment several
tests need is built once per machine; gfbench locks each environment while it builds it.

Timing verdicts need data in proportion to the noise: on the 2-core development VM at a load
average of 16-18 an A/A session of this grid left all 28 cases inconclusive after 15 rounds
(intervals such as 0.81..2.31), and on the CI runner of 2026-12-03 (this suite's other tests
running beside it under xdist) the uint16 session ended its 15 rounds with every case
inconclusive, intervals about +-15% (exit 4). On this VM on the afternoon of 2026-12-03, with
nothing else running, its calls switched between two speeds 2.4x apart, and the A/A session of
7 passes per round ended 45 rounds with 22 cases open; with 21 passes and the paired-median unit
(docs/timing.md, "A round's units") it passed in 160 s, and the uint16 one in 120 s.
So the timed journeys do what docs/ci.md tells a user on a noisy runner: more rounds
(``--max-rounds``, ``TIMED``). The sequential design spends its alpha over every look, and a
decided case leaves the rounds, so a quiet machine still stops after 3-4 rounds. They assert
the verdicts the issue asks for (0 for A/A, 3 naming only uint16 cases for a 30% uint16
slowdown) and, when they fail, print every verdict line.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import scipy_wheels
from conftest import DATA_DIR, TEST_ENVS, run_gfbench

from bench import store
from bench.sweep.grid import load_grid

GRID = DATA_DIR / "journey_grid.toml"
JOURNEY = [pytest.mark.slow, pytest.mark.journey]
QUIET = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
#: a noisy runner's session (docs/ci.md): up to 45 rounds, three times the default, so an
#: interval about +-15% wide after 15 rounds narrows to about +-9%
TIMED = ("--max-rounds", "45")


def _kinds(grid) -> dict[str, set]:
    cases = grid.cases
    return {
        "family": {c.family for c in cases},
        "dtype": {c.dtype for c in cases},
        "mode": {c.mode for c in cases},
        "order": {c.order for c in cases},
        "per-axis sigma": {isinstance(c.sigma, tuple) for c in cases},
        "cval": {c.cval != 0 for c in cases},
        "truncate": {c.truncate for c in cases},
        "channels": {c.channels for c in cases},
    }


def test_the_journey_grid_keeps_every_kind_of_case():
    quick, journey = _kinds(load_grid("quick")), _kinds(load_grid(str(GRID)))
    for kind, values in quick.items():
        assert values <= journey[kind], (kind, values - journey[kind])
    # and every kind reaches SciPy, the subject of the matrix (which times --impl scipy)
    scipy_only = _kinds(load_grid(str(GRID)).filtered(impls=["scipy"], dtypes=None))
    assert scipy_only == journey


@pytest.fixture(scope="session")
def session_env() -> dict[str, str]:
    """Variables of every journey: the shared environment cache, pinned threads."""
    cache = os.environ.get("GFBENCH_JOURNEY_CACHE") or str(TEST_ENVS)
    return {"GFBENCH_CACHE_DIR": cache, **QUIET}


def _ok(proc, code: int = 0) -> str:
    # every verdict line first: the tail alone hides the cases a timed journey is about
    verdicts = "\n".join(
        re.findall(r"^(?:slower|faster|same|inconclusive|output)\s.*$", proc.stdout, re.M)
    )
    assert proc.returncode == code, (
        f"exit {proc.returncode}, expected {code}\n{verdicts}\n...\n"
        + proc.stdout[-3000:]
        + proc.stderr[-3000:]
    )
    return proc.stdout


def _run_dir(parent: Path) -> Path:
    (run,) = [p for p in parent.iterdir() if (p / "run.json").is_file()]
    return run


# ------------------------------------------------------------------------------ local journeys
@pytest.mark.slow
@pytest.mark.journey
def test_sweep_report_compare(tmp_path, session_env):
    """gfbench sweep -> report -> compare, as docs/sweep.md, report.md and compare.md show."""
    out = _ok(run_gfbench("sweep", "--grid", str(GRID), "--impl", "scipy,opencv-1t",
                          "--no-timing", "--export", "csv,parquet", "--out", str(tmp_path / "a"),
                          "--no-progress", env=session_env))  # fmt: skip
    assert re.search(r"^scipy\s+28\s+0\s+0\s+0", out, re.M), out
    run_a = _run_dir(tmp_path / "a")
    assert (run_a / "cases.csv").is_file() and (run_a / "cases.parquet").is_file()
    frame = store.load(run_a)
    assert len(frame) == 36 and set(frame[frame["impl"] == "scipy"]["status"]) == {"ok"}
    rgb = frame[frame["family"] == "rgb"]
    assert list(rgb["channels"]) == [3, 3]

    report = _ok(run_gfbench("report", str(run_a), "--out", str(tmp_path / "rep"),
                             env=session_env))  # fmt: skip
    assert str(tmp_path / "rep" / "index.html") in report
    assert (tmp_path / "rep" / "report.md").is_file()

    # the same grid again: nothing changed (exit 0); SciPy's mirror mode altered: exit 1
    _ok(run_gfbench("sweep", "--grid", str(GRID), "--impl", "scipy", "--no-timing", "--out",
                    str(tmp_path / "b"), "--no-progress", env=session_env))  # fmt: skip
    _ok(run_gfbench("sweep", "--grid", str(GRID), "--impl", "scipy", "--no-timing", "--out",
                    str(tmp_path / "c"), "--no-progress", env=session_env,
                    patch="scipy_variants:mirror_as_reflect"))  # fmt: skip
    run_b, run_c = _run_dir(tmp_path / "b"), _run_dir(tmp_path / "c")
    # b (SciPy only) as the baseline: a's OpenCV rows are only in the candidate, which fails
    # nothing ("missing"); the other way round they would be "lost", a change
    same = _ok(run_gfbench("compare", str(run_b), str(run_a), env=session_env))
    assert "0 changed" in same and "overall: ok (exit 0)" in same, same
    changed = _ok(run_gfbench("compare", str(run_b), str(run_c), env=session_env), 1)
    lines = re.findall(r"^output\s+(scipy .*?)\s{2,}", changed, re.M)
    assert lines == ["scipy float64 40x40 s=2 mirror"], changed
    assert "overall: changed (exit 1)" in changed


@pytest.mark.slow
@pytest.mark.journey
def test_run_and_its_verify_json(tmp_path, session_env):
    """gfbench run: verify table, sweep summary, findings and the report's path; exit 0.

    The one end-to-end test of `gfbench run` (it also took over tests/test_report_run.py's
    checks of the report it writes: one real run of this kind costs ~20 s of CPU)."""
    out = _ok(run_gfbench("run", "--grid", str(GRID), "--results", str(tmp_path / "results"),
                          "--reports", str(tmp_path / "reports"), env=session_env))  # fmt: skip
    assert "example (seed 7x7)" in out and "verify: OK" in out
    run_dir = _run_dir(tmp_path / "results")
    index = tmp_path / "reports" / run_dir.name / "index.html"
    assert out.strip().splitlines()[-1] == f"report: {index}"
    assert index.is_file() and (index.parent / "report.md").is_file()
    rows = (run_dir / "cases.jsonl").read_text().splitlines()
    assert len(rows) == len(load_grid(str(GRID)).cases) == 36
    md = (index.parent / "report.md").read_text()
    assert f"# gfbench report: {run_dir.name}" in md
    assert "**Speed summary**" in md and "### Integer outputs are truncated" in md
    # the verify result run wrote is what compare reads: identical -> exit 0
    verify = run_dir / "verify.json"
    same = _ok(run_gfbench("compare", str(verify), str(verify), env=session_env))
    assert "overall: ok (exit 0)" in same


@pytest.mark.slow
@pytest.mark.journey
def test_dask_sweep_gives_the_serial_rows(tmp_path, session_env):
    """docs/dask.md: gfbench sweep --executor dask --workers 2 --no-timing."""
    _ok(run_gfbench("sweep", "--grid", str(GRID), "--impl", "scipy", "--no-timing", "--out",
                    str(tmp_path / "serial"), "--no-progress", env=session_env))  # fmt: skip
    _ok(run_gfbench("sweep", "--grid", str(GRID), "--impl", "scipy", "--no-timing",
                    "--executor", "dask", "--workers", "2", "--out", str(tmp_path / "dask"),
                    "--no-progress", env=session_env))  # fmt: skip
    serial, dask = store.load(tmp_path / "serial"), store.load(tmp_path / "dask")
    key = ["case_id", "output_sha256", "out_dtype", "channels"]
    rows = [f.sort_values("case_id")[key].fillna(-1).to_dict("records") for f in (serial, dask)]
    assert rows[0] == rows[1]
    same = _ok(run_gfbench("compare", str(_run_dir(tmp_path / "serial")),
                           str(_run_dir(tmp_path / "dask")), env=session_env))  # fmt: skip
    assert "overall: ok (exit 0)" in same


@pytest.mark.slow
@pytest.mark.journey
def test_bigarray(tmp_path, session_env):
    """docs/dask.md: gfbench bigarray --shape ... --chunks ... --mode ... --out DIR."""
    out = _ok(run_gfbench("bigarray", "--shape", "512", "512", "--chunks", "128", "--mode",
                          "wrap", "--mode", "reflect", "--dtype", "uint16", "--out",
                          str(tmp_path), env=session_env))  # fmt: skip
    assert "wrap" in out and "reflect" in out
    data = json.loads((tmp_path / "bigarray.json").read_text())
    assert [m["mode"] for m in data["modes"]] == ["wrap", "reflect"]
    wrap, reflect = data["modes"]
    # docs/dask.md: every mode equals SciPy bit for bit except wrap, which differs only within
    # one radius of the array's edges (dask-image wraps onto the far side, SciPy per block)
    assert reflect["equals_scipy"] and reflect["n_diff_pixels"] == 0
    assert not wrap["equals_scipy"] and wrap["n_diff_pixels"] > 0 and wrap["n_diff_interior"] == 0


@pytest.mark.slow
@pytest.mark.journey
@pytest.mark.serial
def test_timed_ab_session_on_every_kind_of_case(tmp_path, session_env):
    """The path of issue 18's exit 2: an A/B session (two environments, here this interpreter
    twice) writes timed rows from a pandas frame, colour case included, and compare reads them.
    No network; its verdict is A/A (0, or 4 on a busy machine), never 2."""
    proc = run_gfbench("matrix", "--scipy", "current", "--scipy", "current,GFBENCH_JOURNEY=b",
                       "--grid", str(GRID), "--no-verify", "--max-rounds", "5", "--compare",
                       "--out", str(tmp_path), env=session_env)  # fmt: skip
    assert proc.returncode in (0, 4), proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "performance (28 timed cases" in proc.stdout
    (matrix_dir,) = tmp_path.glob("matrix-*")
    timed = sorted(matrix_dir.glob("*/runs/*-interleaved"))
    assert len(timed) == 2
    loops = []
    for run in timed:
        rows = [json.loads(line) for line in (run / "cases.jsonl").read_text().splitlines()]
        assert sorted(r["channels"] for r in rows if r["family"] == "rgb") == [3, 3]
        assert all(type(r["channels"]) is int for r in rows if r["channels"] is not None)
        assert all(r["processes"] >= 3 for r in rows)
        loops.append({r["case_id"]: r["loops"] for r in rows})
    # one loop count per case, shared by both environments (bench.sweep.timing.paired)
    assert loops[0] == loops[1] and all(n >= 1 for n in loops[0].values())
    again = run_gfbench("compare", str(matrix_dir), env=session_env)
    assert again.returncode == proc.returncode, again.stderr[-2000:]
    # compare replays the session's own looks on its own units: a case it calls decided got no
    # round after that look, and an open one got them all
    received = {r["case_id"]: r["processes"] for r in rows}
    (pair,) = json.loads((matrix_dir / "compare" / "compare.json").read_text())["comparisons"]
    for perf in pair["performance"]:
        decided = perf["verdict"] != "inconclusive"
        assert received[perf["case_id"]] == (perf["rounds"] if decided else 5), perf


# ------------------------------------------------------------------------------ candidate wheels
def _wheel_matrix(tmp_path: Path, env: dict, *args: str):
    return run_gfbench("matrix", "--scipy", scipy_wheels.RELEASE, *args, "--grid", str(GRID),
                       "--no-verify", "--out", str(tmp_path), env=env, timeout=1800)  # fmt: skip


def _perf_lines(stdout: str, verdict: str) -> list[str]:
    return re.findall(rf"^{verdict}\s+(scipy .*?)\s{{2,}}", stdout, re.M)


@pytest.mark.slow
@pytest.mark.journey
@pytest.mark.network
@pytest.mark.serial
def test_identical_code_under_a_new_version_exit_0(tmp_path, session_env):
    wheel = scipy_wheels.candidate_wheel("unchanged")
    proc = _wheel_matrix(tmp_path, session_env, "--scipy", str(wheel), "--compare", *TIMED)
    out = _ok(proc, 0)
    assert "performance (28 timed cases" in out and "0 slower" in out
    assert "overall: ok (exit 0)" in out


@pytest.mark.slow
@pytest.mark.journey
@pytest.mark.network
@pytest.mark.serial
def test_uint16_only_slowdown_exit_3_names_only_uint16_cases(tmp_path, session_env):
    wheel = scipy_wheels.candidate_wheel("slow-uint16")
    out = _ok(_wheel_matrix(tmp_path, session_env, "--scipy", str(wheel), "--compare", *TIMED), 3)
    slower = _perf_lines(out, "slower")
    assert slower and all("uint16" in case for case in slower), slower
    assert "overall: slower (exit 3)" in out or "(exit 3)" in out


@pytest.mark.slow
@pytest.mark.journey
@pytest.mark.network
def test_an_output_change_exit_1_names_it_with_and_without_compare(tmp_path, session_env):
    wheel = scipy_wheels.candidate_wheel("wider-kernel")
    plain = _wheel_matrix(tmp_path / "a", session_env, "--scipy", str(wheel), "--timing", "none")
    assert "verdict: exit 1 (changed)" in _ok(plain, 1)
    out = _ok(_wheel_matrix(tmp_path / "b", session_env, "--scipy", str(wheel), "--timing",
                            "none", "--compare"), 1)  # fmt: skip
    changed = re.findall(r"^output\s+(scipy .*?)\s{2,}", out, re.M)
    assert len(changed) >= 20, out  # the radius rule moved: nearly every output changes
    assert "scipy 1.17.1 -> 1.18.0.dev0+gfbench.wider" in out


@pytest.mark.slow
@pytest.mark.journey
@pytest.mark.network
def test_three_releases_then_compare_finds_axes_and_the_1_12_keyerror(tmp_path, session_env):
    """docs/compare.md: gfbench matrix --scipy 1.10.1 --scipy 1.12.0 --scipy 1.17.1, then
    gfbench compare of its folder: exit 1, naming the axes= difference (1.10 has no axes=)
    and SciPy 1.12.0's KeyError on string output dtypes."""
    proc = run_gfbench("matrix", "--scipy", "1.10.1", "--scipy", "1.12.0", "--scipy", "1.17.1",
                       "--grid", str(GRID), "--timing", "none", "--out", str(tmp_path),
                       env=session_env, timeout=3600)  # fmt: skip
    assert proc.returncode == 1, proc.stdout[-4000:] + proc.stderr[-4000:]
    (matrix_dir,) = tmp_path.glob("matrix-*")
    out = _ok(run_gfbench("compare", str(matrix_dir), env=session_env), 1)
    assert "axes" in out, out[-4000:]
    assert "KeyError" in out, out[-4000:]


@pytest.mark.slow
@pytest.mark.journey
@pytest.mark.network
@pytest.mark.valgrind
def test_history_of_two_releases_with_instruction_counts(tmp_path, session_env):
    """README and docs/attribution.md: gfbench history, on the committed example's grid, with
    --metric both. Two releases whose gaussian_filter code is the same (1.17.0, 1.17.1): the
    outputs are identical, and the instruction counts, which do not depend on the load, move by
    less than the 1% a step needs; the folder is one compare reads."""
    grid = "reports/history/grid.toml"
    proc = run_gfbench("history", "--since", "1.17.0", "--until", "1.17.1", "--grid", grid,
                       "--max-rounds", "3", "--metric", "both", "--out", str(tmp_path),
                       env=session_env, timeout=1800)  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    (matrix_dir,) = tmp_path.glob("matrix-*")
    folder = matrix_dir / "history"
    record = json.loads((folder / "history.json").read_text())
    assert record["metric"] == "both"
    families = {(r["family"], r["dtype"]) for r in record["table"]}
    cases = load_grid(grid).cases
    assert families == {(c.family, c.dtype) for c in cases}
    assert len(record["table"]) == 2 * len(families)  # every family x dtype in both releases
    assert all(r["instructions"] and r["instructions"] > 1e5 for r in record["table"])
    for line in record["sentences"]:
        assert "instructions: no step of >= 1% between neighbours" in line, line
        assert "outputs identical across versions" in line, line
    md = (folder / "history.md").read_text()
    assert "scipy-1.17.0" in md and "scipy-1.17.1" in md
    # the timeline draws the units the session's gate used
    assert "A release's time in one round: the first release's minimum x the median" in md
    assert sorted(p.name for p in folder.glob("*.png")) == sorted(
        f"history_{family}.png" for family in {c.family for c in cases}
    )
    again = run_gfbench("compare", str(matrix_dir), env=session_env)
    assert again.returncode in (0, 4), again.stdout[-3000:] + again.stderr[-3000:]
    assert f"correctness: {len(cases)} cases compared, 0 changed" in again.stdout
    assert f"instructions ({len(cases)} counted cases, deterministic): 0 slower" in again.stdout
