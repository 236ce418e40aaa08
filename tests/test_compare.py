"""``gfbench compare`` on synthetic runs that follow ``bench.store``, with the expected exit codes.

The synthetic timings imitate the measured noise of the 2-core VMs (per-process luck of a
few percent, small within-process noise); see ``synthetic_runs.py``.
"""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO, gfbench_inproc
from synthetic_runs import case_params, make_rows, write_run

from bench.exitcodes import ExitCode, UsageError
from bench.guard.compare import command as compare
from bench.guard.compare import correctness as changes
from bench.guard.compare import sides as compare_inputs
from bench.guard.compare import timing as compare_perf
from bench.guard.stats import verdicts as gate

CASES = case_params(40)


def _pair(tmp_path: Path, *, a_kwargs=None, b_kwargs=None, edit_b=None) -> tuple[Path, Path]:
    rows_a = make_rows(CASES, seed=1, **(a_kwargs or {}))
    rows_b = make_rows(CASES, seed=2, **(b_kwargs or {}))
    if edit_b is not None:
        edit_b(rows_b)
    return (
        write_run(tmp_path / "run-a", rows_a),
        write_run(tmp_path / "run-b", rows_b, scipy="1.14.1"),
    )


def _cli(*args: str) -> subprocess.CompletedProcess:
    """``gfbench compare ARGS`` through ``bench.cli.main`` in this process."""
    return gfbench_inproc("compare", *map(str, args), cwd=REPO, timeout=120)


@pytest.mark.parametrize(
    ("slowdown", "expected", "verdict"),
    [
        (1.0, ExitCode.OK, gate.SAME),  # identical code, fresh noise
        (1.20, ExitCode.PERF_REGRESSION, gate.SLOWER),
        (1.50, ExitCode.PERF_REGRESSION, gate.SLOWER),
    ],
)
def test_slowdowns_get_expected_exit_code(tmp_path, slowdown, expected, verdict):
    a, b = _pair(tmp_path, b_kwargs={"slowdown": slowdown})
    result = compare.compare([a, b])
    assert result.exit_code == expected
    perf = result.pairs[0].perf
    assert len(perf) == len(CASES)
    assert (perf["verdict"] == verdict).all(), perf["verdict"].value_counts()
    # the ratio estimate brackets the injected slowdown within the simulated noise
    median_ratio = float(perf["ratio"].median())
    assert median_ratio == pytest.approx(slowdown, rel=0.03)
    assert (perf["unit"] == gate.UNIT_PROCESS).all()


def test_a_real_change_below_the_threshold_is_never_slower(tmp_path):
    # 5% slower, 5 processes of 2% luck: "same" needs the whole 90% interval inside +-10%,
    # which most cases reach and a few (interval ending at 1.10-1.12) do not: undecided
    a, b = _pair(tmp_path, b_kwargs={"slowdown": 1.05})
    perf = compare.compare([a, b]).pairs[0].perf
    assert (perf["verdict"] != gate.SLOWER).all()
    assert (perf["verdict"] == gate.SAME).mean() >= 0.8
    undecided = perf[perf["verdict"] == gate.INCONCLUSIVE]
    assert (undecided["ci_high"] > 1.10).all() and (undecided["ci_low"] > 1.0).all()
    assert undecided["reason"].str.contains("reaches above 1.10").all()


def test_too_noisy_is_inconclusive_not_flagged(tmp_path):
    # 30% per-process luck: a 20% slowdown cannot be told from noise with 5 processes
    noisy = {"process_sd": 0.30}
    a, b = _pair(tmp_path, a_kwargs=noisy, b_kwargs={**noisy, "slowdown": 1.2})
    result = compare.compare([a, b])
    counts = result.pairs[0].verdict_counts()
    assert counts[gate.SLOWER] == 0
    assert counts[gate.INCONCLUSIVE] > 0.5 * len(CASES)
    assert result.exit_code == ExitCode.INCONCLUSIVE


def test_busy_machine_is_inconclusive_not_flagged(tmp_path):
    # samples inside each process vary by ~30%: a load phase, which can cover all the
    # processes of a case and fake a slowdown, so a 50% "slowdown" is not trusted
    busy = {"sample_sd": 0.4}
    a, b = _pair(tmp_path, a_kwargs=busy, b_kwargs={**busy, "slowdown": 1.5})
    result = compare.compare([a, b])
    perf = result.pairs[0].perf
    assert (perf["within_cv_b"] >= gate.UNSTEADY_CV).all()
    assert (perf["verdict"] == gate.INCONCLUSIVE).all()
    assert perf["reason"].str.contains("unsteady").all()
    assert result.exit_code == ExitCode.INCONCLUSIVE


def test_interleaved_sides_are_time_matched_so_busy_cases_can_be_flagged(tmp_path):
    # the same busy samples, but timed A B / B A in one session: the load hit both alike
    busy = {"sample_sd": 0.4}
    rows_a = make_rows(CASES, seed=1, **busy)
    rows_b = make_rows(CASES, seed=2, slowdown=1.5, **busy)
    stamp = "20260101T000000Z-interleaved"
    a = write_run(tmp_path / "a" / stamp, rows_a, interleaved=True)
    b = write_run(tmp_path / "b" / stamp, rows_b, interleaved=True)
    pair = compare.compare([a, b]).pairs[0]
    assert any("time-matched" in note for note in pair.notes)
    assert (pair.perf["verdict"] == gate.SLOWER).mean() > 0.9
    # different sessions (run ids): not time-matched, so not trusted
    c = write_run(tmp_path / "c" / "other-interleaved", rows_b, interleaved=True)
    assert (compare.compare([a, c]).pairs[0].perf["verdict"] == gate.INCONCLUSIVE).all()


def _untimed(row: dict) -> dict:
    """The row an A/B session writes for a case it could not time."""
    gone = ("samples_ns", "n_samples", "loops", "processes", "min_ns", "median_ns", "mean_ns",
            "stdev_ns", "iqr_ns", "ci_low_ns", "ci_high_ns")  # fmt: skip
    return {**{k: v for k, v in row.items() if k not in gone}, "status": "error",
            "reason": "scipy-1.17.1: timing: RuntimeError: worker died"}  # fmt: skip


@pytest.mark.parametrize("failed", [1, len(CASES)])
def test_cases_a_session_could_not_time_are_inconclusive_never_ok(tmp_path, failed):
    """An A/B session whose worker failed on some cases (or all: a broken harness) writes them
    as errors on both sides and lists them in run.json; compare must not call that "ok"."""
    rows_a, rows_b = make_rows(CASES, seed=1), make_rows(CASES, seed=2)
    lost = {row["case_id"] for row in rows_a[:failed]}
    rows_a = [_untimed(r) if r["case_id"] in lost else r for r in rows_a]
    rows_b = [_untimed(r) if r["case_id"] in lost else r for r in rows_b]
    stamp = "20260101T000000Z-interleaved"
    runs = [write_run(tmp_path / side / stamp, rows, interleaved=True)
            for side, rows in (("a", rows_a), ("b", rows_b))]  # fmt: skip
    for run in runs:
        meta = json.loads((run / "run.json").read_text())
        meta["interleave_failures"] = dict.fromkeys(lost, "scipy-1.17.1: timing: RuntimeError: x")
        (run / "run.json").write_text(json.dumps(meta))
    pair = compare.compare(runs).pairs[0]
    assert set(pair.not_timed) == lost
    assert pair.inconclusive_fraction == pytest.approx(
        (failed + pair.verdict_counts()[gate.INCONCLUSIVE]) / len(CASES)
    )
    assert any(f"{failed} case(s) could not be timed" in note for note in pair.notes)
    if failed == len(CASES):
        assert pair.perf.empty and pair.exit_code == ExitCode.INCONCLUSIVE
    assert pair.to_dict()["not_timed"] == pair.not_timed


def test_a_bad_interleave_failures_field_is_refused_naming_it(tmp_path):
    stamp = "20260101T000000Z-interleaved"
    run = write_run(tmp_path / "a" / stamp, make_rows(CASES[:2], seed=1), interleaved=True)
    meta = json.loads((run / "run.json").read_text())
    meta["interleave_failures"] = ["not", "an", "object"]
    (run / "run.json").write_text(json.dumps(meta))
    with pytest.raises(UsageError, match="interleave_failures"):
        compare.compare([run, run])


def test_one_regressed_case_among_many_is_found_and_named(tmp_path):
    a, b = _pair(tmp_path, b_kwargs={"slowdown": 1.3, "slow_cases": [7]})
    result = compare.compare([a, b])
    perf = result.pairs[0].perf
    slower = perf[perf["verdict"] == gate.SLOWER]
    assert list(slower["case_id"]) == [CASES[7]["case_id"]]
    assert result.exit_code == ExitCode.PERF_REGRESSION


def test_improvement_is_not_a_regression(tmp_path):
    a, b = _pair(tmp_path, b_kwargs={"slowdown": 0.7})
    result = compare.compare([a, b])
    assert result.exit_code == ExitCode.OK
    assert result.pairs[0].verdict_counts()[gate.FASTER] == len(CASES)


def test_output_change_exit_1_with_accuracy_delta(tmp_path):
    target = CASES[2]  # a uint8 case

    def edit(rows):
        for row in rows:
            if row["case_id"] == target["case_id"]:
                row["output_sha256"] = "0" * 64
                row["bias"] = -0.5
                row["max_grey_levels"] = 1.0

    a, b = _pair(tmp_path, edit_b=edit)
    result = compare.compare([a, b])
    assert result.exit_code == ExitCode.CHANGED
    failing = result.pairs[0].failing_changes
    assert [c["case_id"] for c in failing] == [target["case_id"]]
    assert failing[0]["kind"] == changes.OUTPUT
    assert failing[0]["accuracy"]["bias"] == {"a": -1.0, "b": -0.5, "change": 0.5}
    assert "max_grey_levels 2 -> 1" in failing[0]["detail"]


def test_dtype_and_status_changes_are_changes_but_unavailable_is_not(tmp_path):
    def edit(rows):
        rows[0]["out_dtype"] = "float32"
        rows[1]["status"], rows[1]["reason"] = "unsupported", "axes= needs SciPy >= 1.11"
        rows[3]["status"], rows[3]["reason"] = "unavailable", "opencv not installed"

    a, b = _pair(tmp_path, edit_b=edit)
    pair = compare.compare([a, b]).pairs[0]
    kinds = {c["case_id"]: c["kind"] for c in pair.changes}
    assert kinds[CASES[0]["case_id"]] == changes.DTYPE
    assert kinds[CASES[1]["case_id"]] == changes.STATUS
    assert kinds[CASES[3]["case_id"]] == changes.NOT_COMPARABLE
    assert pair.exit_code == ExitCode.CHANGED
    assert "axes= needs SciPy >= 1.11" in next(
        c["detail"] for c in pair.changes if c["case_id"] == CASES[1]["case_id"]
    )


def test_samples_are_split_into_their_worker_processes():
    # bench.sweep.timing.sampling pools worker samples in process order, `repeats` per process
    rows = [
        {"samples_ns": [30.0, 20.0, 25.0, 10.0, 11.0, 12.0], "processes": 2},
        {"samples_ns": [40.0, 44.0], "processes": 0},  # a second round, in-process
    ]
    timing = compare_perf.side_units(rows)
    assert timing.minima == (20.0, 10.0, 40.0)
    assert len(timing.samples) == 8
    # the noisiest process: stdev/mean of 30, 20, 25
    assert timing.within_cv == pytest.approx(5.0 / 25.0)
    # a row whose samples cannot be split evenly: no process units for this case
    odd = compare_perf.side_units([{"samples_ns": [1.0, 2.0, 3.0], "processes": 2}])
    assert odd.minima == () and len(odd.samples) == 3


def test_single_process_falls_back_to_samples_and_says_so(tmp_path):
    kw = {"processes": 1, "per_process": 9}
    a, b = _pair(tmp_path, a_kwargs=kw, b_kwargs=kw)
    pair = compare.compare([a, b]).pairs[0]
    assert (pair.perf["unit"] == gate.UNIT_SAMPLE).all()
    assert (pair.perf["verdict"] == gate.SAME).all()
    assert any("between-process noise is not measured" in n for n in pair.notes)


def test_single_process_slowdown_is_inconclusive_not_a_regression(tmp_path):
    # one process per side cannot tell a slow process (1.7x swings here) from slow code
    kw = {"processes": 1, "per_process": 9}
    a, b = _pair(tmp_path, a_kwargs=kw, b_kwargs={**kw, "slowdown": 1.3})
    result = compare.compare([a, b])
    assert (result.pairs[0].perf["verdict"] == gate.INCONCLUSIVE).all()
    assert result.exit_code == ExitCode.INCONCLUSIVE


def test_rounds_of_a_matrix_env_are_process_units(tmp_path):
    # matrix --rounds 3 with 1 process each: three single-process runs per side
    def env(name: str, seed0: int, slowdown: float) -> Path:
        folder = tmp_path / name
        for k in range(3):
            rows = make_rows(CASES, seed=seed0 + k, processes=1, per_process=5, slowdown=slowdown)
            write_run(folder / "runs" / f"run-{k}", rows)
        (folder / "env.json").write_text(json.dumps({"label": name, "versions": {}}))
        return folder

    a, b = env("scipy-a", 10, 1.0), env("scipy-b", 20, 1.25)
    pair = compare.compare([a, b]).pairs[0]
    assert (pair.perf["unit"] == gate.UNIT_PROCESS).all()
    assert (pair.perf["n_a"] == 3).all()
    assert pair.exit_code == ExitCode.PERF_REGRESSION


@pytest.fixture(scope="module")
def verify_doc() -> dict:
    """A real `gfbench verify --json` document (golden and probe groups: a few seconds)."""
    proc = gfbench_inproc(
        "verify", "--json", "--group", "golden", "--group", "probes", cwd=REPO, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def _tests(doc: dict, marker: str) -> list[dict]:
    return [t for t in doc["tests"] if marker in t["nodeid"]]


def test_verify_results_identical_exit_0(tmp_path, verify_doc):
    a = tmp_path / "a.json"
    b = tmp_path / "b.json"
    a.write_text(json.dumps(verify_doc))
    b.write_text(json.dumps(verify_doc))
    result = compare.compare([a, b])
    assert result.exit_code == ExitCode.OK
    assert result.pairs[0].changes == []
    assert result.pairs[0].cases_compared == len(verify_doc["tests"])


def test_verify_results_probe_capability_and_golden_differences(tmp_path, verify_doc):
    old = copy.deepcopy(verify_doc)
    # what SciPy < 1.10 looks like: no radius= keyword, so a radius probe raises TypeError
    old["capabilities"]["radius"] = False
    accepted = next(
        t for t in _tests(old, "::test_probe[") if t["details"]["observed"].get("accepted")
    )
    accepted["details"]["observed"] = {
        "accepted": False,
        "exception": "TypeError",
        "message": "gaussian_filter() got an unexpected keyword argument 'radius'",
    }
    raising = next(
        t for t in _tests(old, "::test_probe[") if t["details"]["observed"].get("accepted") is False
    )
    raising["details"]["observed"]["message"] = "an older message"
    golden = next(t for t in _tests(old, "::test_golden[") if t["outcome"] == "passed")
    golden["details"]["observed"]["sha256"] = "0" * 64
    golden["details"]["observed"]["sum"] += 1.0
    a, b = tmp_path / "old.json", tmp_path / "new.json"
    a.write_text(json.dumps(old))
    b.write_text(json.dumps(verify_doc))

    result = compare.compare([a, b])
    pair = result.pairs[0]
    assert result.exit_code == ExitCode.CHANGED
    api = {d["probe"]: d for d in pair.api}
    assert api["radius= keyword"]["a"] == "not available"
    assert api["radius= keyword"]["b"] == "accepted"
    assert api[accepted["case"]]["a"].startswith("raises TypeError")
    assert api[accepted["case"]]["b"].startswith("accepted ->")
    kinds = {c["case"]: (c["kind"], c.get("change")) for c in pair.changes}
    assert kinds[f"probe {raising['case']}"] == (changes.PROBE, "message")
    assert kinds[f"golden {golden['case']}"] == (changes.GOLDEN, "bits")
    assert len(pair.failing_changes) == 4  # capability, 2 probes, 1 golden case
    text = compare.render_text(result)
    assert "API features that differ" in text and "radius= keyword" in text


def test_not_a_verify_json_is_usage_error(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text(json.dumps({"hello": 1}))
    with pytest.raises(UsageError, match="gfbench verify --json"):
        compare_inputs.load_sides([bad, bad])


def test_three_sides_each_against_the_first(tmp_path):
    a, b = _pair(tmp_path)
    c = write_run(tmp_path / "run-c", make_rows(CASES, seed=3, slowdown=1.3), scipy="1.17.1")
    result = compare.compare([a, b, c])
    assert [p.other for p in result.pairs] == ["run-b", "run-c"]
    assert [p.exit_code for p in result.pairs] == [ExitCode.OK, ExitCode.PERF_REGRESSION]
    assert result.exit_code == ExitCode.PERF_REGRESSION


# ----------------------------------------------------------------- the CLI, as a user runs it
def test_cli_identical_exit_0_and_json(tmp_path):
    a, b = _pair(tmp_path)
    proc = _cli(a, b, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["exit_code"] == 0
    assert data["comparisons"][0]["verdict_counts"]["same"] == len(CASES)
    assert data["comparisons"][0]["environment"]["versions"]["scipy"] == {
        "a": "1.17.1",
        "b": "1.14.1",
    }


@pytest.mark.slow
def test_cli_regression_exit_3_table_and_plots(tmp_path):
    a, b = _pair(tmp_path, b_kwargs={"slowdown": 1.2})
    out = tmp_path / "cmp"
    proc = _cli(a, b, "--out", out)
    assert proc.returncode == 3, proc.stderr
    assert "slower" in proc.stdout and "overall: perf_regression (exit 3)" in proc.stdout
    pngs = sorted(out.glob("time_*.png"))
    assert [p.name for p in pngs] == ["time_2d.png", "time_3d.png"]
    for png in pngs:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((out / "compare.json").read_text())["exit_code"] == 3


def test_cli_output_changed_exit_1_names_case(tmp_path):
    def edit(rows):
        rows[5]["output_sha256"] = "f" * 64

    a, b = _pair(tmp_path, edit_b=edit)
    proc = _cli(a, b)
    assert proc.returncode == 1
    assert changes.case_label(make_rows(CASES, seed=0)[5]) in proc.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [(["missing-a", "missing-b"], "does not exist"), ([], "at least two")],
)
def test_cli_bad_input_exit_2(tmp_path, args, message):
    a, _ = _pair(tmp_path)
    argv = [tmp_path / x for x in args] if args else [a]
    proc = _cli(*argv)
    assert proc.returncode == 2
    assert message in proc.stderr


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"threshold": -0.1}, "--threshold"),
        ({"threshold": float("nan")}, "--threshold"),
        ({"alpha": 0.9}, "--alpha"),
        ({"max_inconclusive": 2.0}, "--max-inconclusive"),
    ],
)
def test_bad_gate_options_are_usage_errors(tmp_path, options, message):
    a, b = _pair(tmp_path)
    with pytest.raises(UsageError, match=message):
        compare.compare([a, b], **options)


def test_not_a_run_folder_is_usage_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="not a run folder"):
        compare_inputs.load_sides([tmp_path / "empty", tmp_path / "empty"])


def _busy_side(label: str, timed: bool):
    from bench.guard.compare.sides import Side

    rows = []
    for cid in ("a", "b"):
        samples = [1e6, 1.05e6, 1.1e6, 1.2e6, 1.0e6, 1.1e6] if timed else None
        rows.append({
            "case_id": cid, "status": "ok", "impl": "scipy", "dtype": "float64", "family": "2d",
            "shape": [8, 8], "sigma": 1.0, "mode": "reflect", "out_dtype": "float64",
            "min_ns": min(samples) if timed else None, "samples_ns": samples,
            "processes": 3 if timed else None, "n_samples": len(samples) if timed else None,
            "output_sha256": f"sha-{cid}",
        })  # fmt: skip
    meta = {"load_average": [8.0, 6.0, 4.0], "cpu": {"cores_logical": 2}}
    return Side(label=label, path="-", frame=pd.DataFrame(rows), metas=(meta,))


@pytest.mark.parametrize("timed", [True, False])
def test_load_note_only_where_wall_time_was_measured(timed):
    """A load average of 4x the cores is worth a note beside timings; an untimed or counted
    comparison (outputs, instructions) does not depend on the load, so it gets none."""
    from bench.guard.compare.result import compare_sides

    pair = compare_sides(_busy_side("A", timed), _busy_side("B", timed))
    notes = [n for n in pair.notes if "load average of 4.0x its cores" in n]
    assert len(notes) == (2 if timed else 0), pair.notes
