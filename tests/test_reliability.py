"""Issue 20: links and special files in results folders, secrets, resource bounds, concurrency,
faults and the crash exit code, inert text, validation gaps.

One test (or one parametrized family) per numbered failure of the issue, named ``test_N_...``;
run as a user runs ``gfbench`` where the exit code is the point: through ``bench.cli.main`` in
this process (``gfbench_inproc``), and in a subprocess with a timeout where a regression would
hang (reading a FIFO or /dev/zero) or where the process itself is the point (SIGTERM, locks).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from conftest import REPO, gfbench_env, gfbench_inproc, run_gfbench

from bench.exitcodes import ExitCode, UsageError
from bench.store import safe_files
from bench.store.safe_text import markdown_fence, markdown_text, one_line, redact, redact_url

TINY_GRID = '[[group]]\nname = "tiny"\nshape = [[16, 12]]\nsigma = [1.0, 2.0, 3.0]\n'


def snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def usage_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in proc.stderr, (needle, proc.stderr)


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """One real untimed run of a 3-case grid (the sweep is the only way to get one)."""
    folder = tmp_path_factory.mktemp("reliability")
    (folder / "tiny.toml").write_text(TINY_GRID)
    proc = gfbench_inproc(
        "sweep", "--grid", "tiny.toml", "--no-timing", "--no-progress", "--out", "res", cwd=folder
    )
    assert proc.returncode == 0, proc.stderr
    (run,) = [p for p in (folder / "res").iterdir() if p.is_dir()]
    return run


@pytest.fixture
def run(base, tmp_path) -> Path:
    """A fresh copy of the base run, left "interrupted" with one case still to do."""
    target = tmp_path / "run"
    shutil.copytree(base, target)
    meta = json.loads((target / "run.json").read_text())
    meta["status"] = "interrupted"
    (target / "run.json").write_text(json.dumps(meta))
    lines = (target / "cases.jsonl").read_text().splitlines(keepends=True)
    (target / "cases.jsonl").write_text("".join(lines[:-1]))
    return target


def resume(
    run: Path, cwd: Path, *extra: str, timeout: float | None = None, own_process: bool = False
) -> subprocess.CompletedProcess:
    """``gfbench sweep --resume RUN`` in this process (interrupted after ``timeout`` seconds:
    a regression that blocks on a FIFO fails), or in a subprocess killed after ``timeout``."""
    args = ("sweep", "--resume", str(run), "--no-progress", *extra)
    if own_process:
        return run_gfbench(*args, cwd=cwd, timeout=timeout or 600)
    return gfbench_inproc(*args, cwd=cwd, timeout=timeout)


# 1 -- never write through a link, never read what is not a regular file ---------------------
def test_1_safe_files_never_follow_a_link(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    folder = tmp_path / "results"
    folder.mkdir()
    # a stale fixed-name temporary is no trap: temporaries are O_EXCL under random names
    (folder / "run.json.tmp").symlink_to(victim)
    (folder / "run.json").symlink_to(victim)
    with pytest.raises(UsageError, match="symbolic link"):
        safe_files.write_atomic(folder / "run.json", "{}\n")
    (folder / "run.json").unlink()
    safe_files.write_atomic(folder / "run.json", "{}\n")
    assert (folder / "run.json").read_text() == "{}\n" and not (folder / "run.json").is_symlink()
    (folder / "cases.jsonl").symlink_to(victim)
    with pytest.raises(UsageError, match="symbolic link"):
        safe_files.open_append(folder / "cases.jsonl")
    with pytest.raises(UsageError, match="symbolic link"):
        safe_files.truncate_to(folder / "cases.jsonl", 0)
    with pytest.raises(UsageError, match="symbolic link"):
        safe_files.read_capped(folder / "cases.jsonl")
    assert victim.read_text() == "precious\n"
    assert not list(folder.glob(".*.tmp")), "a temporary was left behind"


def test_1_safe_files_read_only_regular_files_under_caps(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    started = time.perf_counter()
    with pytest.raises(UsageError, match="FIFO"):
        safe_files.read_capped(fifo)  # O_NONBLOCK: refused at once, not blocked on the open
    assert time.perf_counter() - started < 30  # generous: only a hang fails this
    with pytest.raises(UsageError, match="device file"):
        safe_files.read_capped("/dev/zero")
    with pytest.raises(UsageError, match="folder"):
        safe_files.read_capped(tmp_path)
    big = tmp_path / "big.json"
    big.write_bytes(b"x" * 1000)
    with pytest.raises(UsageError, match="over the limit of 999 bytes"):
        safe_files.read_capped(big, max_bytes=999)
    lines = tmp_path / "lines.jsonl"
    lines.write_bytes(b"short\n" + b"y" * 100 + b"\nlast")
    with pytest.raises(UsageError, match="line 2 is longer than the limit of 50 bytes"):
        list(safe_files.iter_lines(lines, max_line=50))
    assert list(safe_files.iter_lines(lines, max_line=200)) == [
        b"short\n",
        b"y" * 100 + b"\n",
        b"last",
    ]
    outside = tmp_path / "outside.json"
    outside.write_text("{}")
    inside = tmp_path / "matrix"
    inside.mkdir()
    (inside / "runs").symlink_to(tmp_path)
    with pytest.raises(UsageError, match="leads outside"):
        safe_files.read_capped(inside / "runs" / "outside.json", root=inside)


@pytest.mark.parametrize("name", ["cases.jsonl", "timing-units.jsonl"])
def test_1_resume_refuses_a_linked_file_and_leaves_its_target_alone(run, tmp_path, name):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")  # one line: the old reader took it for a "cut last line"
    if (run / name).exists():
        (run / name).unlink()
    (run / name).symlink_to(victim)
    before = snapshot(run)
    usage_error(resume(run, tmp_path), name, "symbolic link")
    assert victim.read_text() == "precious\n"
    assert snapshot(run) == before


def test_1_resume_ignores_a_stale_tmp_link_and_finishes(run, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (run / "run.json.tmp").symlink_to(victim)
    proc = resume(run, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert victim.read_text() == "precious\n"
    assert json.loads((run / "run.json").read_text())["status"] == "complete"
    assert len((run / "cases.jsonl").read_text().splitlines()) == 3
    assert not (run / ".gfbench-reserve").exists()


def test_1_export_and_bigarray_never_write_through_links(run, tmp_path):
    from bench.store import export
    from bench.sweep.bigarray import results

    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    for name in ("cases.csv", "cases.parquet"):
        (run / name).symlink_to(victim)
        with pytest.raises(UsageError, match=f"{name}: is a symbolic link"):
            export(run, (name.split(".")[1],))
        (run / name).unlink()
    assert sorted(p.name for p in export(run, ("csv", "parquet"))) == ["cases.csv", "cases.parquet"]
    assert victim.read_text() == "precious\n"

    class Result:  # what results.write needs of a BigArrayResult
        def to_dict(self):
            return {"kind": "bigarray", "modes": []}  # the least the reader accepts

    (run / "bigarray.json.tmp").symlink_to(victim)
    path = results.write(Result(), run)
    assert json.loads(path.read_text())["kind"] == "bigarray" and not path.is_symlink()
    assert victim.read_text() == "precious\n"


def test_1_compare_out_counts_a_dangling_link_as_existing(base, tmp_path):
    out = tmp_path / "cmp"
    out.mkdir()
    (out / "compare.md").symlink_to(tmp_path / "nowhere.md")
    proc = gfbench_inproc("compare", str(base), str(base), "--out", str(out), cwd=tmp_path)
    usage_error(proc, "compare.md", "--force")
    assert not (tmp_path / "nowhere.md").exists()


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "folder"])
def test_1_special_files_in_a_run_are_refused_not_read(run, tmp_path, kind):
    cases = run / "cases.jsonl"
    cases.unlink()
    if kind == "fifo":
        os.mkfifo(cases)
    elif kind == "dev-zero":
        cases.symlink_to("/dev/zero")
    else:
        cases.mkdir()
    # /dev/zero in a process of its own: a regression would read it until memory runs out
    own = kind == "dev-zero"
    cli = run_gfbench if own else gfbench_inproc
    proc = cli("compare", str(run), str(run), cwd=tmp_path, timeout=120)
    usage_error(proc, "cases.jsonl")
    usage_error(resume(run, tmp_path, timeout=120, own_process=own), "cases.jsonl")


# 2 -- secrets ---------------------------------------------------------------------------------
def test_2_redact_every_url_userinfo():
    assert redact_url("https://alice:s3cret@pypi.example/simple/") == (
        "https://***@pypi.example/simple/"
    )
    assert redact_url("see http://token@x.y/a and https://ok.org/a@b") == (
        "see http://***@x.y/a and https://ok.org/a@b"
    )
    record = {"index_url": "https://u:p@h/s", "extra": ["http://v:q@h2/"], "n": 1}
    assert redact(record) == {"index_url": "https://***@h/s", "extra": ["http://***@h2/"], "n": 1}


def test_2_credentials_are_redacted_in_errors_but_kept_for_the_installer(tmp_path):

    url = "https://alice:s3cret@127.0.0.1:9/simple"
    proc = gfbench_inproc(
        "matrix",
        "--scipy",
        "1.99.0",
        "--index-url",
        url,
        "--no-verify",
        "--no-sweep",
        "--out",
        str(tmp_path / "m"),
        cwd=tmp_path,
        env={"GFBENCH_CACHE_DIR": str(tmp_path / "cache")},
    )
    assert proc.returncode == 2, proc.stderr
    assert "127.0.0.1:9" in proc.stderr and "s3cret" not in proc.stdout + proc.stderr


def test_2_matrix_records_are_redacted_but_the_installer_keeps_credentials(tmp_path, monkeypatch):
    import scipy
    from test_matrix import FakeInstaller, release

    from bench.guard.matrix import record as matrix_record
    from bench.guard.matrix.candidates import default_index
    from bench.guard.matrix.run import run_matrix

    url = "https://alice:s3cret@mirror.example/simple"
    monkeypatch.setenv("PIP_INDEX_URL", url)  # what uv and pip read their index (and login) from
    monkeypatch.delenv("UV_DEFAULT_INDEX", raising=False)
    assert default_index() == url  # the installer's environment is left as it is
    lines = []
    out = run_matrix(
        scipy=[release(scipy.__version__)],
        out=tmp_path / "m",
        cache_dir=tmp_path / "cache",
        installer=FakeInstaller(tmp_path / "log"),
        run_verify=False,
        run_sweep=False,
        log=lines.append,
    )
    record = json.loads((out / "matrix.json").read_text())
    (env,) = record["environments"]
    assert env["provenance"]["index_url"] == "https://***@mirror.example/simple"
    stored = (out / "matrix.json").read_text() + (out / env["folder"] / "env.json").read_text()
    table = matrix_record.summary_table(out)
    assert "s3cret" not in stored + table + "\n".join(lines)
    assert "***@mirror.example" in table


def test_2_env_json_from_elsewhere_is_redacted_in_compare(base, tmp_path):
    env = tmp_path / "env-a"
    shutil.copytree(base, env / "runs" / base.name)
    provenance = {
        "kind": "release",
        "resolved_version": "1.17.1",
        "index_url": "https://bob:hunter2@mirror.example/simple",
    }
    (env / "env.json").write_text(json.dumps({"label": "scipy 1.17.1", "provenance": provenance}))
    proc = gfbench_inproc("compare", str(env), str(base), cwd=tmp_path)
    assert proc.returncode in (0, 4), proc.stderr
    assert "A built from: scipy==1.17.1 from https://***@mirror.example/simple" in proc.stdout
    assert "hunter2" not in proc.stdout + proc.stderr


# 3 -- bounds, checked before work starts -------------------------------------------------------
def test_3_a_grid_of_a_million_cases_is_refused_naming_max_cases(tmp_path):
    # a 500-byte file: 100 sigmas x 100 cvals x 5 modes x 5 truncates x 4 orders = 1,000,000
    values = ", ".join(f"{1 + i / 100:.2f}" for i in range(100))
    grid = tmp_path / "huge.toml"
    grid.write_text(
        f'[[group]]\nname = "huge"\nshape = [[8, 8]]\nsigma = [{values}]\ncval = [{values}]\n'
        'mode = ["reflect", "wrap", "nearest", "mirror", "constant"]\n'
        "truncate = [1.0, 2.0, 3.0, 4.0, 5.0]\norder = [0, 1, 2, 3]\n"
    )
    proc = run_gfbench("sweep", "--grid", str(grid), "--dry-run", cwd=tmp_path, timeout=120)
    usage_error(proc, "--max-cases", "1000000 cases", "50000")


def test_3_a_stored_grid_of_millions_is_refused_on_resume(run, tmp_path):
    meta = json.loads((run / "run.json").read_text())
    meta["grid"]["spec"]["group"][0]["sigma"] = [1.0 + i / 1000 for i in range(3000)]
    meta["grid"]["spec"]["group"][0]["cval"] = [float(i) for i in range(3000)]
    (run / "run.json").write_text(json.dumps(meta))
    before = snapshot(run)
    usage_error(resume(run, tmp_path, timeout=120), "run.json", "--max-cases")
    assert snapshot(run) == before


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--repeats", "100000000000000000000"),
        ("--warmup", "100000000000000"),
        ("--processes", "100000"),
        ("--min-sample-ms", "1e308"),
    ],
)
def test_3_timing_options_have_maxima(tmp_path, option, value):
    (tmp_path / "tiny.toml").write_text(TINY_GRID)
    proc = gfbench_inproc("sweep", "--grid", "tiny.toml", option, value, "--dry-run", cwd=tmp_path)
    usage_error(proc, option, "allowed")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--shape", "99999999999", "99999999999"], "--shape/--chunks"),
        (["--truncate", "1e308"], "--truncate"),
        (["--shape", "65536", "65536", "--chunks", "65536"], "--max-bytes"),
    ],
)
def test_3_bigarray_bounds_before_any_graph(tmp_path, args, needle):
    proc = run_gfbench("bigarray", *args, cwd=tmp_path, timeout=120)
    usage_error(proc, needle)


def test_3_loops_from_timing_units_are_bounded(run, tmp_path):
    case_id = json.loads((run / "cases.jsonl").read_text().splitlines()[0])["case_id"]
    unit = {
        "worker": 0,
        "label": "x",
        "seed": 1,
        "ref_ns": None,
        "seconds": 1.0,
        "units": {case_id: {"samples_ns": [100.0], "loops": 10**15}},
        "errors": {},
    }
    (run / "timing-units.jsonl").write_text(json.dumps(unit) + "\n")
    before = snapshot(run)
    usage_error(resume(run, tmp_path, timeout=120), "timing-units.jsonl", "loops")
    assert snapshot(run) == before


def test_3_a_zip_bomb_metadata_is_read_with_a_cap(tmp_path):
    from packaging.tags import sys_tags

    from bench.guard.matrix.candidates import MAX_METADATA_BYTES, check_wheel

    tag = next(iter(sys_tags()))
    wheel = tmp_path / f"scipy-1.17.1-{tag.interpreter}-{tag.abi}-{tag.platform}.whl"
    with zipfile.ZipFile(wheel, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        header = b"Metadata-Version: 2.1\nName: scipy\nVersion: 1.17.1\n\n"
        archive.writestr("scipy-1.17.1.dist-info/METADATA", header + bytes(8 * MAX_METADATA_BYTES))
    assert wheel.stat().st_size < MAX_METADATA_BYTES / 100  # a bomb: small on disk
    with pytest.raises(UsageError, match="METADATA is over"):
        check_wheel(wheel, {tag}, argument="--scipy")


# 4 -- concurrency -----------------------------------------------------------------------------
_HOLD_LOCK = """
import sys, time
from pathlib import Path
from bench.store.locks import RunLock
lock = RunLock(Path(sys.argv[1]))
print("locked", flush=True)
time.sleep(120)
"""


def test_4_a_locked_run_folder_refuses_a_second_resume(run, tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(run)],
        env=gfbench_env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        before = snapshot(run)
        proc = resume(run, tmp_path)
        usage_error(proc, "is being written by", "locked")
        assert snapshot(run) == before
    finally:
        holder.kill()
        holder.wait()
    # the kernel dropped the dead holder's lock: no stale lock file to clean up
    assert resume(run, tmp_path).returncode == 0


def test_4_two_resumes_started_together_one_runs(run, tmp_path):
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bench", "sweep", "--resume", str(run), "--no-progress"],
            cwd=tmp_path,
            env=gfbench_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [p.communicate(timeout=300) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes in ([0, 0], [0, 2]), results  # 0, 0: the second started after the first ended
    rows = [json.loads(line) for line in (run / "cases.jsonl").read_text().splitlines()]
    assert len(rows) == len({r["case_id"] for r in rows}) == 3  # never two writers


_BUILD_ENV = """
import sys, time
from pathlib import Path
from bench.guard.matrix import environments as envbuild
from bench.guard.matrix.candidates import Candidate

class SlowFake(envbuild.Installer):
    name = "slowfake"
    def create(self, python, env_dir):
        with open(sys.argv[2], "a") as fh:
            fh.write("create\\n")
        (env_dir / "bin").mkdir(parents=True)
        time.sleep(3)  # a build long enough for the second process to arrive meanwhile
        (env_dir / "bin" / "python").write_text("")
    def install(self, env_dir, requirements, *, no_deps=False, reinstall=False):
        pass
    def build_wheel(self, root, out_dir):
        wheel = out_dir / "gfbench-0.1.0-py3-none-any.whl"
        wheel.write_bytes(b"fake")
        return wheel

root = envbuild.project_root()
builder = envbuild.EnvBuilder(SlowFake(), sys.executable, Path(sys.argv[1]), root)
env_dir, reused, _ = builder.ensure(Candidate(spec="1.10.1", kind="release", version="1.10.1"))
print("reused" if reused else "built", flush=True)
"""


def test_4_a_second_environment_builder_waits_then_reuses(tmp_path):
    log = tmp_path / "installer.log"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _BUILD_ENV, str(tmp_path / "cache"), str(log)],
            env=gfbench_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert sorted(out.strip() for out, _ in outs) == ["built", "reused"], outs
    assert log.read_text().splitlines() == ["create"]  # built once, never deleted by the other


# 5 -- refusals change nothing -----------------------------------------------------------------
@pytest.mark.parametrize(
    "content",
    [
        b'{"worker": "x"}\n',
        b"\xff\xfe not utf-8\n",
        b'{"worker": 1' + b"0" * 400 + b"}\n",
        b"[" * 900 + b"]" * 900 + b"\n",
    ],
    ids=["bad-field", "bad-utf8", "huge-int", "deep"],
)
def test_5_bad_timing_units_refuse_the_resume_before_any_write(run, tmp_path, content):
    (run / "timing-units.jsonl").write_bytes(content)
    before = snapshot(run)
    usage_error(resume(run, tmp_path), "timing-units.jsonl")
    assert snapshot(run) == before  # no "resumes" entry, no finished_at, no wall_seconds


def test_5_timing_units_that_are_a_folder_refuse_the_resume(run, tmp_path):
    (run / "timing-units.jsonl").mkdir()
    before = snapshot(run)
    usage_error(resume(run, tmp_path), "timing-units.jsonl", "folder")
    assert snapshot(run) == before


# 6 -- the crash exit code, SIGTERM, a full disk -------------------------------------------------
def test_6_an_uncaught_exception_is_exit_5_with_the_traceback_in_a_file(tmp_path, monkeypatch):
    from bench import cli
    from bench.guard.compare import command as compare

    def boom(*args, **kwargs):
        raise RuntimeError("timing worker of scipy exited -9: killed")

    import tempfile

    monkeypatch.setattr(compare, "compare", boom)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    code = cli.main(["compare", str(tmp_path), str(tmp_path)])
    assert code == ExitCode.FAILED == 5
    (trace,) = tmp_path.glob("gfbench-compare-crash-*.txt")
    assert "RuntimeError: timing worker of scipy exited -9" in trace.read_text()
    assert "Traceback" in trace.read_text()


@pytest.mark.slow
def test_6_sigterm_leaves_the_run_interrupted_and_resumable(tmp_path):
    (tmp_path / "tiny.toml").write_text(TINY_GRID)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench",
            "sweep",
            "--grid",
            "tiny.toml",
            "--processes",
            "1",
            "--repeats",
            "200",
            "--min-sample-ms",
            "50",
            "--no-progress",
            "--out",
            "res",
        ],
        cwd=tmp_path,
        env=gfbench_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 120
    while time.time() < deadline and not list((tmp_path / "res").glob("*/run.json")):
        time.sleep(0.2)
    time.sleep(2)  # inside the timing phase
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == ExitCode.INTERRUPTED, err
    (run_json,) = (tmp_path / "res").glob("*/run.json")
    meta = json.loads(run_json.read_text())
    assert meta["status"] == "interrupted" and meta["pid"] is None


def _unshare_ok() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True, check=False)
    return probe.returncode == 0


@pytest.mark.skipif(not _unshare_ok(), reason="needs unshare -rm (user namespaces) for a tmpfs")
def test_6_a_full_disk_sweep_is_exit_5_and_leaves_the_run_interrupted(tmp_path):
    # a real full disk: a 160 KiB tmpfs in a private mount namespace holds run.json, the
    # 64 KiB reserve and some rows of a 150-case grid (~1.3 KB a row), then ENOSPC
    grid = tmp_path / "many.toml"
    grid.write_text(
        '[[group]]\nname = "many"\nshape = [[8, 8]]\nsigma = ['
        + ", ".join(f"{1 + i / 100:.2f}" for i in range(150))
        + "]\n"
    )
    disk = tmp_path / "disk"
    disk.mkdir()
    script = (
        f"mount -t tmpfs -o size=160k tmpfs {disk} && {sys.executable} -m bench sweep "
        f"--grid {grid} --no-timing --no-progress --out {disk}/res; code=$?; "
        f"cp -r {disk}/res {tmp_path}/copy; exit $code"
    )
    proc = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script],
        cwd=tmp_path,
        env=gfbench_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == ExitCode.FAILED, proc.stderr[-3000:]
    assert "the disk is full" in proc.stderr and "Traceback" not in proc.stderr
    (run_json,) = (tmp_path / "copy").glob("*/run.json")
    meta = json.loads(run_json.read_text())
    assert meta["status"] == "interrupted"
    done = len((run_json.parent / "cases.jsonl").read_text().splitlines())
    assert 0 < done < 150


def test_6_matrix_fails_when_an_environment_could_not_be_built(tmp_path, monkeypatch):
    from test_matrix import FakeInstaller, release

    from bench.cli import build_parser
    from bench.guard.matrix import command as matrix
    from bench.guard.matrix.run import run_matrix

    fake = FakeInstaller(tmp_path / "installer.log")

    def with_fake(**kwargs):
        import scipy

        kwargs |= {"installer": fake, "scipy": [release(scipy.__version__), release("1.10.1")]}
        return run_matrix(**kwargs)

    monkeypatch.setattr(matrix, "run_matrix", with_fake)
    args = build_parser("matrix").parse_args(
        [
            "--scipy",
            "1.10.1",
            "--no-verify",
            "--no-sweep",
            "--out",
            str(tmp_path / "m"),
            "--cache-dir",
            str(tmp_path / "cache"),
        ]
    )
    assert matrix.main(args) == ExitCode.FAILED


# 7 -- text from results files is text in every renderer ----------------------------------------
def test_7_markdown_html_and_terminal_text_is_inert():
    hostile = "![x](http://evil/a.png) <img src=x> **b** [l](u)\n# heading\r\x1b[2Jfake"
    md = markdown_text(hostile)
    assert "![x](" not in md and "<img" not in md and "\n" not in md and "\x1b" not in md
    assert "\\[l\\](u)" in md and "\\*\\*b\\*\\*" in md
    assert markdown_text("uint8->float32 scipy_fft 12.5") == "uint8->float32 scipy_fft 12.5"
    line = one_line("label\roverall: ok (exit 0)\n\x1b[31mred\x1b[0m\x07")
    assert line == "label\\roverall: ok (exit 0)\\nred\\x07"
    assert markdown_fence("a ```` b") == "`````"
    assert len(one_line("r" * 10**6)) < 2100


@pytest.mark.slow  # over 5 s on a quiet machine: the full suite runs it
def test_7_report_and_compare_keep_results_text_inert(run, tmp_path):
    meta = json.loads((run / "run.json").read_text())
    meta["host"] = "![pwn](http://evil.example/a.png)"
    (run / "run.json").write_text(json.dumps(meta))
    rows = [json.loads(x) for x in (run / "cases.jsonl").read_text().splitlines()]
    reason = "\x1b[2J\rboom\n```\noverall: ok (exit 0)" + "r" * 10**6
    rows[0] |= {"status": "error", "reason": reason, "out_dtype": None, "output_sha256": None}
    (run / "cases.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    other = tmp_path / "other"
    shutil.copytree(run, other)
    proc = gfbench_inproc(
        "report", str(run), "--out", str(tmp_path / "rep"), "--format", "md", cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    report = (tmp_path / "rep" / "report.md").read_text()
    assert "](http://evil.example" not in report.replace("\\](http://evil.example", "")
    assert "\x1b" not in report and "r" * 30_000 not in report
    label = tmp_path / "env"
    shutil.copytree(run, label / "runs" / run.name)
    (label / "env.json").write_text(json.dumps({"label": "A\n```\n# injected\x1b[2J"}))
    proc = gfbench_inproc(
        "compare", str(label), str(other), "--out", str(tmp_path / "cmp"), cwd=tmp_path
    )
    assert proc.returncode in (0, 1, 4), proc.stderr
    for text in (proc.stdout, (tmp_path / "cmp" / "compare.md").read_text()):
        assert "\x1b" not in text and "\r" not in text and "r" * 3000 not in text
        assert "\n# injected" not in text
    md = (tmp_path / "cmp" / "compare.md").read_text()
    fence = md.split("\n")[2]
    assert fence.startswith("```") and md.rstrip().endswith(fence)
    assert md.count(fence) == 2  # nothing in between closes it


# 8 -- validation closes its gaps ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("field", "value"),
    [("min_ns", 0), ("npix", 0), ("median_ns", 1e300), ("cval", 1e308)],
)
def test_8_zero_and_extreme_row_values_are_refused(run, tmp_path, field, value):
    rows = [json.loads(x) for x in (run / "cases.jsonl").read_text().splitlines()]
    rows[0][field] = value
    (run / "cases.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    proc = gfbench_inproc("report", str(run), "--out", str(tmp_path / "rep"), cwd=tmp_path)
    usage_error(proc, "cases.jsonl", field)


def test_8_deep_nesting_is_refused_in_every_json(run, tmp_path):
    deep = "[" * 900 + "]" * 900
    text = (run / "run.json").read_text()
    (run / "run.json").write_text(text.rstrip()[:-1] + f', "deep": {deep}}}')
    usage_error(gfbench_inproc("report", str(run), cwd=tmp_path), "run.json", "nests deeper")


def test_8_schema_versions_and_paths_of_guard_files(base, tmp_path):
    verify = tmp_path / "v.json"
    verify.write_text(json.dumps({"tool": "gfbench verify", "schema": 99, "tests": []}))
    usage_error(gfbench_inproc("compare", str(verify), str(verify), cwd=tmp_path), "schema")
    matrix = tmp_path / "matrix"
    matrix.mkdir()
    (matrix / "matrix.json").write_text(json.dumps({"schema_version": 99, "environments": []}))
    usage_error(gfbench_inproc("compare", str(matrix), str(base), cwd=tmp_path), "schema_version")
    env = tmp_path / "env"
    (env / "runs").mkdir(parents=True)
    (env / "runs" / "elsewhere").symlink_to(base)  # a run outside the matrix environment
    (env / "env.json").write_text(json.dumps({"label": "x"}))
    usage_error(gfbench_inproc("compare", str(env), str(base), cwd=tmp_path), "leads outside")


def test_8_grid_cval_is_bounded(tmp_path):
    (tmp_path / "g.toml").write_text(TINY_GRID.replace("sigma", "cval = [1e308]\nsigma"))
    usage_error(gfbench_inproc("sweep", "--grid", "g.toml", "--dry-run", cwd=tmp_path), "cval")


def test_8_guard_schema_constants_match_the_writers():
    from bench.guard import verify
    from bench.guard.matrix import record as matrix_record
    from bench.store.validate import guard_files

    assert guard_files.VERIFY_SCHEMA_VERSION == verify.SCHEMA_VERSION
    assert guard_files.MATRIX_SCHEMA_VERSION == matrix_record.SCHEMA_VERSION


def test_repo_root_is_this_checkout():
    assert (REPO / "bench" / "store" / "safe_files.py").is_file()
