"""``gfbench sweep`` as a user runs it: in a subprocess, checking exit codes, output and files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import gfbench_inproc, run_gfbench

from bench import cli, store
from bench.sweep import run_sweep
from bench.sweep.grid import AXES, load_grid

TINY = Path(__file__).parent / "data" / "tiny_grid.toml"
FAST = ["--min-sample-ms", "1", "--processes", "2", "--repeats", "3", "--no-progress"]


def run_dirs(out: Path) -> list[Path]:
    return sorted(p for p in out.iterdir() if (p / "run.json").exists()) if out.exists() else []


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    cwd = tmp_path_factory.mktemp("sweep")
    proc = gfbench_inproc(
        "sweep", "--grid", str(TINY), *FAST, "--json", "--export", "csv,parquet", cwd=cwd
    )
    return proc, cwd


def test_a_sweep_produces_a_complete_run(tiny_run):
    proc, cwd = tiny_run
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] == "complete"
    run_dir = Path(result["run_dir"])
    assert run_dir.parent == cwd / "results"  # the default --out
    n_cases = len(load_grid(TINY).cases)
    assert result["n_cases"] == n_cases == sum(result["counts"].values())
    frame = store.load(run_dir)
    assert len(frame) == n_cases and frame.case_id.is_unique
    # every grid axis, timing statistics, accuracy metrics and environment metadata
    for column in (
        *AXES,
        "min_ns",
        "median_ns",
        "iqr_ns",
        "ci_low_ns",
        "ci_high_ns",
        "samples_ns",
        "max_abs_error",
        "rmse",
        "bias",
        "peak_mem_bytes",
        "gbytes_per_s",
        "bound_fraction",
    ):
        assert column in frame.columns, column
    meta = frame.attrs["run"]
    for key in ("versions", "cpu", "threads", "blas", "bandwidth_gbs", "git_commit", "timing"):
        assert key in meta, key
    assert meta["bandwidth_gbs"] > 0 and meta["threads"]["OMP_NUM_THREADS"] is not None
    assert 0 <= meta["accuracy_fraction"] < 1
    statuses = set(frame.status)
    assert {"ok", "unsupported"} <= statuses and "error" not in statuses
    scipy_u8 = frame[(frame.impl == "scipy") & (frame.dtype == "uint8")]
    assert scipy_u8.bias.between(-1.1, -0.85).all()  # about -1 grey level
    assert scipy_u8.matches_storage_model.all()
    f32 = frame[(frame.impl == "scipy") & (frame.dtype == "float32")]
    assert f32.max_abs_error.between(1e-7, 1e-4).all()
    ok = frame[frame.status == "ok"]
    # 2 workers x 3 passes; one reference-workload time per worker (drift correction)
    assert ok.n_samples.eq(6).all() and ok.processes.eq(2).all()
    assert (ok.min_ns <= ok.median_ns).all()
    assert ok.ref_ns.map(len).eq(2).all()
    workers = store.read_workers(run_dir)
    assert [w.worker for w in workers] == [0, 1] and all(w.ref_ns > 0 for w in workers)
    assert set(workers[0].units) == set(ok.case_id)
    assert (run_dir / "cases.csv").exists() and (run_dir / "cases.parquet").exists()


def test_summary_table_on_the_terminal(tmp_path, capsys):
    code = in_process(
        "--grid",
        str(TINY),
        "--impl",
        "scipy,pillow",
        "--dtype",
        "uint8",
        "--no-timing",
        "--no-progress",
        "--out",
        str(tmp_path),
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    # the summary is a result: stdout, so `gfbench sweep > log` keeps it (issue 10)
    assert "speed vs scipy" in captured.out and "pillow" in captured.out
    assert "speed vs scipy" not in captured.err
    frame = store.load(tmp_path)
    assert set(frame.impl) == {"scipy", "pillow"} and set(frame.dtype) == {"uint8"}
    assert frame.min_ns.isna().all() and frame[frame.status == "ok"].bias.notna().all()


BAD_GRIDS = {
    "unknown_key": ('colour = "red"\n', ["unknown key 'colour'"]),
    "wrong_type": ("sigma = { values", ["sigma must be a number", "'wide'"]),
    "empty_axis": ("empty", ["'values' is empty"]),
    "unknown_mode": ("mode", ["unknown mode 'reflect101'", "allowed: reflect, constant"]),
    "unknown_dtype": ("dtype", ["unknown dtype 'float16'", "allowed: float64"]),
    "unknown_impl": ("impl", ["unknown impl 'numba'", "allowed: scipy, opencv-1t"]),
    "syntax": ("syntax", ["not valid TOML"]),
}


def bad_grid(kind: str) -> str:
    text = TINY.read_text()
    if kind == "unknown_key":
        return 'colour = "red"\n' + text
    if kind == "wrong_type":
        return text.replace("sigma = { values = [1.5]", 'sigma = { values = ["wide"]')
    if kind == "empty_axis":
        return text.replace("shape = { values = [[24, 20]]", "shape = { values = []", 1)
    if kind == "unknown_mode":
        return text.replace('mode = { values = ["nearest"]', 'mode = { values = ["reflect101"]')
    if kind == "unknown_dtype":
        return text.replace('"float32", "uint8", "int32"', '"float32", "float16"')
    if kind == "unknown_impl":
        return text.replace('"scipy", "opencv-1t"', '"scipy", "numba", "opencv-1t"', 1)
    return text.replace("[[group]]", "[[group]", 1)


def in_process(*args: str) -> int:
    """The same CLI entry point without a new interpreter (start-up costs seconds)."""
    return cli.main(["sweep", *args])


@pytest.mark.parametrize("kind", sorted(BAD_GRIDS))
def test_malformed_grid_exits_2_naming_file_key_and_allowed_values(tmp_path, kind, capsys):
    grid = tmp_path / f"{kind}.toml"
    grid.write_text(bad_grid(kind))
    out = tmp_path / "out"
    if kind in ("unknown_key", "unknown_mode", "syntax"):  # a few as a user runs them
        proc = run_gfbench("sweep", "--grid", str(grid), "--out", str(out), *FAST, cwd=tmp_path)
        code, stderr = proc.returncode, proc.stderr
    else:
        code, stderr = in_process("--grid", str(grid), "--out", str(out), *FAST), ""
        stderr = capsys.readouterr().err
    assert code == 2, stderr
    assert str(grid) in stderr
    for needle in BAD_GRIDS[kind][1]:
        assert needle in stderr
    assert not out.exists()  # nothing written


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--impl", "numba"], "--impl: unknown value 'numba'; allowed: scipy"),
        (["--dtype", "float16"], "--dtype: unknown value 'float16'; allowed: float64"),
        (["--processes", "-1"], "--processes"),
        (["--export", "xlsx"], "--export: unknown format 'xlsx'"),
        (["--grid", "nope"], "neither a grid name (quick, full, guard)"),
        (["--resume", "r", "--grid", "quick"], "do not combine it with --grid"),
        (["--resume", "no-such-run"], "--resume: 'no-such-run' is not a run folder"),
    ],
)
def test_bad_options_exit_2(tmp_path, args, needle, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    if args[0] in ("--impl", "--resume"):  # a few as a user runs them
        proc = run_gfbench("sweep", *args, "--out", str(tmp_path / "out"), cwd=tmp_path)
        code, stderr = proc.returncode, proc.stderr
    else:
        code = in_process(*args, "--out", str(tmp_path / "out"))
        stderr = capsys.readouterr().err
    assert code == 2, stderr
    assert needle in stderr
    assert not run_dirs(tmp_path / "out")


def test_unwritable_out_fails_before_measuring(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    proc = run_gfbench(
        "sweep", "--grid", str(TINY), "--out", str(blocker / "results"), cwd=tmp_path
    )
    assert proc.returncode == 2
    assert "--out: cannot write results under" in proc.stderr
    assert "unstable" not in proc.stderr and "speed vs scipy" not in proc.stderr


def test_unwritable_out_is_refused_before_any_measurement(tmp_path, monkeypatch):
    from bench.exitcodes import UsageError
    from bench.sweep import machine, measure

    def must_not_run(*args, **kwargs):
        raise AssertionError("measured before checking --out")

    monkeypatch.setattr(machine, "measure_bandwidth", must_not_run)
    monkeypatch.setattr(measure, "run_case", must_not_run)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(UsageError, match="--out"):
        run_sweep(grid=TINY, out=blocker / "results", progress=False)


def test_dry_run_lists_cases_and_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert in_process("--grid", str(TINY), "--dry-run", "--json") == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing["n_cases"] == len(load_grid(TINY).cases) == len(listing["cases"])
    assert not (tmp_path / "results").exists()


def test_truncated_last_line_is_recomputed_on_resume(tmp_path):
    out = tmp_path / "out"
    run_sweep(grid=TINY, impls=["scipy"], timing=False, progress=False, out=out)
    (run_dir,) = run_dirs(out)
    cases = run_dir / "cases.jsonl"
    data = cases.read_bytes()
    cases.write_bytes(data[:-25])  # killed mid-write
    proc = run_gfbench("sweep", "--resume", str(run_dir), "--no-progress", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "incomplete" in proc.stderr and "recomputed" in proc.stderr
    frame = store.load(run_dir)
    ids = [json.loads(line)["case_id"] for line in cases.read_text().splitlines()]
    assert (
        len(ids)
        == len(set(ids))
        == len(frame)
        == len(load_grid(TINY).filtered(impls=["scipy"]).cases)
    )
    assert store.load_run_meta(run_dir)["status"] == "complete"


@pytest.mark.slow  # over 5 s on a quiet machine: the full suite runs it
def test_sigint_midway_then_resume_ends_with_every_case_exactly_once(tmp_path, capsys):
    out = tmp_path / "out"
    impls = ["scipy", "fft"]  # cheap to import: the test spends its time in the sweep
    cmd = [sys.executable, "-m", "bench", "sweep", "--grid", str(TINY), "--out", str(out)]
    cmd += ["--impl", ",".join(impls), "--min-sample-ms", "20", "--repeats", "2"]
    cmd += ["--processes", "0", "--no-progress"]  # timed case by case: interrupted mid-rows
    proc = subprocess.Popen(
        cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 90
    lines = 0
    while time.monotonic() < deadline and proc.poll() is None:
        dirs = run_dirs(out)
        if dirs:
            cases = dirs[0] / "cases.jsonl"
            lines = cases.read_text().count("\n") if cases.exists() else 0
            if lines >= 3:
                break
        time.sleep(0.02)
    assert proc.poll() is None, "the sweep finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "stopping after the current case" in stderr
    (run_dir,) = run_dirs(out)
    meta = store.load_run_meta(run_dir)
    assert meta["status"] == "interrupted" and meta["finished_at"]
    partial = store.load(run_dir)
    total = len(load_grid(TINY).filtered(impls=impls).cases)
    assert lines <= len(partial) < total

    capsys.readouterr()
    code = in_process("--resume", run_dir.name, "--out", str(out), "--no-progress", "--json")
    captured = capsys.readouterr()
    assert code == 0, captured.err
    result = json.loads(captured.out)
    assert result["n_measured"] == total - len(partial)
    lines_now = (run_dir / "cases.jsonl").read_text().splitlines()
    ids = [json.loads(line)["case_id"] for line in lines_now]
    assert len(ids) == len(set(ids)) == total
    meta = store.load_run_meta(run_dir)
    assert meta["status"] == "complete" and len(meta["resumes"]) == 1
    assert meta["timing"]["min_sample_s"] == 0.02  # the stored settings, not the defaults
    assert store.load(run_dir).n_samples.dropna().eq(2).all()


def test_processes_option_and_pinned_thread_variables(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "2"}
    env.pop("OPENBLAS_NUM_THREADS", None)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "sweep",
            "--grid",
            str(TINY),
            "--impl",
            "scipy",
            "--dtype",
            "float32",
            "--processes",
            "2",
            "--min-sample-ms",
            "1",
            "--repeats",
            "2",
            "--no-progress",
            "--out",
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    frame = store.load(tmp_path)
    ok = frame[frame.status == "ok"]
    assert len(ok) >= 1 and ok.processes.eq(2).all() and ok.n_samples.eq(4).all()
    threads = store.load_run_meta(tmp_path)["threads"]
    assert threads["OMP_NUM_THREADS"] == "2"  # the user's choice is kept
    assert threads["OPENBLAS_NUM_THREADS"] == "1"  # unset ones are pinned to 1


def test_resume_refuses_a_run_another_live_sweep_is_writing(tmp_path):
    import socket

    from bench.exitcodes import UsageError

    result = run_sweep(grid=TINY, impls=["pillow"], timing=False, progress=False, out=tmp_path)
    run_json = result.run_dir / "run.json"
    meta = json.loads(run_json.read_text())
    meta.update(status="running", pid=os.getppid(), host=socket.gethostname())
    run_json.write_text(json.dumps(meta))
    cases = result.run_dir / "cases.jsonl"
    cut = cases.read_bytes()[:-10]
    cases.write_bytes(cut)  # as if the other sweep were mid-write
    with pytest.raises(UsageError, match="still being written by process"):
        run_sweep(resume=result.run_dir, progress=False)
    assert cases.read_bytes() == cut  # its file is left alone


def test_nice_is_applied_recorded_and_restored(tmp_path, capsys):
    before = os.getpriority(os.PRIO_PROCESS, 0)
    target = min(before + 3, 19)
    result = run_sweep(
        grid=TINY,
        impls=["fft"],
        dtypes=["float32"],
        nice=target,
        min_sample_s=0.001,
        repeats=2,
        progress=False,
        out=tmp_path,
    )
    assert store.load_run_meta(result.run_dir)["timing"]["nice"] == target
    assert os.getpriority(os.PRIO_PROCESS, 0) == before
    assert in_process("--nice", "50", "--out", str(tmp_path / "x")) == 2
    assert "--nice: got 50; allowed: -20" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


@pytest.mark.slow  # over 5 s on a quiet machine: the full suite runs it
def test_sigint_in_the_timing_phase_keeps_finished_workers_and_resume_starts_the_rest(tmp_path):
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "bench", "sweep", "--grid", str(TINY), "--out", str(out),
           "--impl", "scipy,fft", "--min-sample-ms", "5", "--repeats", "3", "--processes", "4",
           "--no-progress"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        dirs = run_dirs(out)
        if dirs and len(store.read_workers(dirs[0])) >= 1:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the sweep finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    (run_dir,) = run_dirs(out)
    assert store.load_run_meta(run_dir)["status"] == "interrupted"
    finished = store.read_workers(run_dir)
    assert 1 <= len(finished) < 4
    assert store.load(run_dir).empty  # rows come after the timing phase
    proc = subprocess.run([*cmd[:4], "--resume", str(run_dir), "--no-progress"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    workers = store.read_workers(run_dir)
    assert len(workers) == 4 and workers[: len(finished)] == finished  # nothing redone
    frame = store.load(run_dir)
    ok = frame[frame.status == "ok"]
    assert len(frame) == len(load_grid(TINY).filtered(impls=["scipy", "fft"]).cases)
    assert ok.processes.eq(4).all() and ok.n_samples.eq(12).all()
