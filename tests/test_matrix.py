"""``gfbench matrix``: version validation, caching, failure reporting, interleaving.

The fast tests use `FakeInstaller`: real venvs (``python -m venv --without-pip``) whose
"installation" is a ``.pth`` file onto this checkout and the dev environment's
site-packages, so everything after installing -- the cache, the refresh on a harness
change, ``bench.cli.envrunner`` inside the env, the version check, matrix.json, the A B A B
order -- runs the same code as a real build. ``test_matrix_real.py`` builds a real one.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, gfbench_inproc
from fake_installer import INSTALLED, FakeInstaller

from bench.exitcodes import UsageError
from bench.guard.ab_session import DEFAULT_SETTINGS
from bench.guard.compare import command as compare
from bench.guard.matrix import command as matrix
from bench.guard.matrix import environments as envbuild
from bench.guard.matrix import plan as matrix_plan
from bench.guard.matrix import record as matrix_record
from bench.guard.matrix import run as matrix_run
from bench.guard.matrix.candidates import Candidate


def release(version: str, spec: str | None = None) -> Candidate:
    """A release candidate as parse_candidates makes it, without asking an index."""
    return Candidate(spec=spec or version, kind="release", version=version)


@pytest.fixture
def fake(tmp_path):
    return FakeInstaller(tmp_path / "installer.log")


def _log_lines(fake: FakeInstaller) -> list[str]:
    return fake.log.read_text().splitlines() if fake.log.exists() else []


@pytest.mark.parametrize("spec", ["1.10.1", "1.14", "1.15.0rc1", "latest", "LATEST"])
def test_valid_versions(spec):
    assert matrix_plan.parse_scipy_spec(spec) in (spec, "latest")


@pytest.mark.parametrize(
    "spec",
    [
        "1.10.1; rm -rf /",
        "1.10.1 --index-url http://x",
        ">=1.10",
        "1.10.*",
        "v1.10",
        "1",
        "",
        "1.9.3",
        "../1.10.1",
    ],
)
def test_invalid_versions_are_usage_errors(spec):
    with pytest.raises(UsageError, match="--scipy"):
        matrix_plan.parse_scipy_spec(spec)


def test_cli_bad_version_exit_2_nothing_written(tmp_path):
    proc = gfbench_inproc(
        "matrix", "--scipy", "1.10.1", "--scipy", "one.two", "--out", str(tmp_path / "out"),
        "--cache-dir", str(tmp_path / "cache"), cwd=REPO, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "--scipy 'one.two' is not a version" in proc.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "cache").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--grid", "no-such-grid"], "no-such-grid"),
        (["--impl", "nope"], "--impl nope"),
        (["--budget-s", "-5"], "--budget-s must be a number of seconds > 0"),
        (["--budget-s", "nan"], "--budget-s must be a number of seconds > 0"),
        (["--rounds", "4", "--max-rounds", "3"], "--max-rounds must be an int >= --rounds (4)"),
        (["--threshold", "0"], "--threshold must be in (0, 10)"),
    ],
)
def test_cli_bad_grid_or_impl_exit_2_before_building(tmp_path, argv, message):
    proc = gfbench_inproc(
        "matrix", "--scipy", "1.10.1", *argv, "--out", str(tmp_path / "out"),
        "--cache-dir", str(tmp_path / "cache"), cwd=REPO, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "cache").exists()


def test_build_cache_reuse_and_failure_reported(tmp_path, fake):
    cache = tmp_path / "cache"
    out = matrix.run_matrix(
        scipy=[release(INSTALLED), release("1.10.1")],
        out=tmp_path / "r",
        cache_dir=cache,
        installer=fake,
        run_verify=False,
        run_sweep=False,
        log=lambda m: None,
    )
    record = json.loads((out / "matrix.json").read_text())
    good, bad = record["environments"]
    assert good["status"] == "ok" and good["reused"] is False
    assert good["versions"]["scipy"] == INSTALLED
    assert good["versions"]["numpy"] == __import__("numpy").__version__
    env_json = json.loads((out / good["folder"] / "env.json").read_text())
    assert env_json["versions"]["scipy"] == INSTALLED and "packages" in env_json
    # the version that cannot be installed is reported, not fatal, and leaves no broken env
    assert bad["status"] == "install-failed"
    assert "No matching distribution found for scipy==1.10.1" in bad["error"]
    assert not (cache / f"{Path(good['env_path']).name.split('-scipy-')[0]}-scipy-1.10.1").exists()

    # second matrix: the environment is reused, nothing is created or installed again
    before = len(_log_lines(fake))
    out2 = matrix.run_matrix(
        scipy=[release(INSTALLED)],
        out=tmp_path / "r2",
        cache_dir=cache,
        installer=fake,
        run_verify=False,
        run_sweep=False,
        log=lambda m: None,
    )
    env = json.loads((out2 / "matrix.json").read_text())["environments"][0]
    assert env["reused"] is True and env["status"] == "ok"
    assert _log_lines(fake)[before:] == []


def test_harness_change_reinstalls_harness_only(tmp_path, fake, monkeypatch):
    cache = tmp_path / "cache"
    common = {
        "scipy": [release(INSTALLED)],
        "cache_dir": cache,
        "installer": fake,
        "run_verify": False,
        "run_sweep": False,
        "log": lambda m: None,
    }
    compiled: list[str] = []  # the environments whose bytecode was compiled, in order
    monkeypatch.setattr(envbuild, "compile_bytecode", lambda python: compiled.append(python))
    matrix.run_matrix(out=tmp_path / "a", **common)
    assert len(compiled) == 1  # the new environment, once its harness is in
    matrix.run_matrix(out=tmp_path / "a2", **common)
    assert len(compiled) == 1  # reused as it was: nothing to compile
    before = len(_log_lines(fake))
    monkeypatch.setattr(envbuild, "harness_fingerprint", lambda root: "changed-code")
    matrix.run_matrix(out=tmp_path / "b", **common)
    new = _log_lines(fake)[before:]
    assert not any(line.startswith("create") for line in new)
    assert any("--no-deps --reinstall" in line for line in new)
    assert compiled == [compiled[0]] * 2  # the new harness: the same environment again


def test_compile_bytecode_writes_what_the_named_modules_import(tmp_path, monkeypatch):
    env = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    python = envbuild.Installer().env_python(env)
    purelib = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip())  # fmt: skip
    (purelib / "pkg").mkdir()
    (purelib / "pkg" / "__init__.py").write_text("")
    (purelib / "pkg" / "mod.py").write_text("from pkg import used\n")
    for name in ("used", "unused"):
        (purelib / "pkg" / f"{name}.py").write_text("X = 1\n")
    (purelib / "pkg" / "broken.py").write_text("def (\n")  # best effort: the rest still goes
    # the caller's choice not to write bytecode is about its own imports, not the environment's
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    envbuild.compile_bytecode(python, ["pkg.broken", "absent", "pkg.mod"])
    tag = subprocess.run([str(python), "-c", "import sys; print(sys.implementation.cache_tag)"],
                         capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    cached = purelib / "pkg" / "__pycache__"
    assert (cached / f"mod.{tag}.pyc").is_file() and (cached / f"used.{tag}.pyc").is_file()
    assert not (cached / f"unused.{tag}.pyc").exists()  # never imported: left alone


def test_the_warm_imports_cover_every_worker_gfbench_starts():
    """Every module gfbench runs with ``python -m`` (in an environment, a worker or the CLI
    there) is imported, so compiled, when the environment's bytecode is written."""
    source = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "bench").rglob("*.py"))
    spawned = set(re.findall(r'"-m",\s*"(bench\.[\w.]+)"', source))
    spawned |= set(re.findall(r'start_worker\([^)]*?"(bench\.[\w.]+)"', source))
    assert {"bench.sweep.timing.paired", "bench.sweep.callcount"} <= spawned  # the scan works
    code = "import importlib, sys\nfor m in sys.argv[1:]:\n    importlib.import_module(m)\n"
    code += "print(' '.join(sys.modules))"
    ours = [m for m in envbuild.WARM_IMPORTS if m.startswith("bench")]
    loaded = subprocess.run([sys.executable, "-c", code, *ours], capture_output=True, text=True,
                            check=True, cwd=REPO).stdout.split()  # fmt: skip
    assert spawned <= set(loaded), sorted(spawned - set(loaded))


def test_latest_resolving_to_a_listed_version_is_not_built_twice(tmp_path, fake):
    out = matrix.run_matrix(
        scipy=[release(INSTALLED), Candidate(spec="latest", kind="latest", version=INSTALLED)],
        out=tmp_path / "r",
        cache_dir=tmp_path / "c",
        installer=fake,
        run_verify=False,
        run_sweep=False,
        log=lambda m: None,
    )
    envs = json.loads((out / "matrix.json").read_text())["environments"]
    assert [e["status"] for e in envs] == ["ok", "duplicate"]


def test_rounds_interleave_a_b_a_b(tmp_path, fake, monkeypatch):
    calls: list[str] = []
    real_run = subprocess.run

    def spy(cmd, *args, **kwargs):
        if "bench.cli.envrunner" in cmd and "sweep" in cmd:
            calls.append(Path(kwargs["cwd"]).name)
            return subprocess.CompletedProcess(cmd, 0)
        return real_run(cmd, *args, **kwargs)

    monkeypatch.setattr(matrix_run.subprocess, "run", spy)
    cache = tmp_path / "c"
    out = matrix.run_matrix(
        scipy=[release(INSTALLED)],
        out=tmp_path / "r",
        cache_dir=cache,
        installer=fake,
        run_verify=False,
        rounds=3,
        timing="sweeps",
        log=lambda m: None,
    )
    assert calls == [f"scipy-{INSTALLED}"] * 3
    record = json.loads((out / "matrix.json").read_text())
    assert record["interleave"] is True
    assert record["environments"][0]["sweep_exits"] == [0, 0, 0]


def test_interleave_order_with_two_environments():
    seen: list[str] = []
    ready = [
        matrix_record.EnvResult(spec="a", version="a", folder="A", status="ok", env_path="x"),
        matrix_record.EnvResult(spec="b", version="b", folder="B", status="ok", env_path="y"),
    ]
    for interleave, expected in ((True, "ABABAB"), (False, "AAABBB")):
        seen.clear()
        order = matrix_run.sweep_order(ready, rounds=3, interleave=interleave)
        seen.extend(r.folder for _, r in order)
        assert "".join(seen) == expected


def test_envrunner_versions_reports_installed_packages():
    proc = subprocess.run(
        [sys.executable, "-m", "bench.cli.envrunner", "versions"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    info = json.loads(proc.stdout)
    assert info["versions"]["scipy"] == INSTALLED
    assert info["python"] == ".".join(map(str, sys.version_info[:3]))


def test_envrunner_bad_usage_exit_2():
    proc = subprocess.run(
        [sys.executable, "-m", "bench.cli.envrunner", "frobnicate"],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    assert proc.returncode == 2 and "usage" in proc.stderr


SESSION_PASSES = DEFAULT_SETTINGS.repeats


@pytest.mark.slow  # over 5 s on a quiet machine: the full suite runs it
def test_end_to_end_interleaved_timing_then_compare(tmp_path, fake):
    """Two environments (here: two caches of the installed SciPy), untimed sweeps, then
    every case timed in alternating worker processes; compare reads the result."""
    runs = []
    for name in ("one", "two"):
        out = matrix.run_matrix(
            scipy=[release(INSTALLED)], grid=str(REPO / "tests" / "data" / "matrix_grid.toml"),
            out=tmp_path / name, cache_dir=tmp_path / f"cache-{name}", installer=fake,
            run_verify=False, rounds=2, log=lambda m: None,
        )  # fmt: skip
        record = json.loads((out / "matrix.json").read_text())
        env = record["environments"][0]
        assert env["status"] == "ok" and env["sweep_exits"] == [0]
        assert record["timing"] == "cases"
        # the design the session ran, as its timed runs store it
        assert record["sequential"]["paired"] and record["sequential"]["unit"] == "paired-median"
        timed = Path(record["interleaved_runs"][env["label"]])
        rows = [json.loads(line) for line in (timed / "cases.jsonl").read_text().splitlines()]
        assert len(rows) == 2
        for row in rows:
            # one environment: its --rounds 2, each worker the session's passes; a reference
            # time per round
            assert row["processes"] == 2 and row["n_samples"] == 2 * SESSION_PASSES
            assert len(row["ref_ns"]) == 2
            assert row["output_sha256"] and row["min_ns"] > 0
        table = matrix_record.summary_table(out)
        assert INSTALLED in table and " ok " in table
        runs.append(out / env["folder"])
    pair = compare.compare(runs).pairs[0]
    assert pair.failing_changes == []  # same SciPy: identical outputs
    assert len(pair.perf) == 2
    assert (pair.perf["unit"] == "process").all() and (pair.perf["n_a"] == 2).all()


def test_rebuild_case_round_trips_and_refuses_mismatches():
    from bench.guard.ab_session import rebuild_case
    from bench.sweep.cases import Case

    case = Case(impl="scipy", dtype="uint8", shape=(16, 12, 3), sigma=(1.0, 2.0),
                channel_axis=2, group="rgb")  # fmt: skip
    row = {**case.params(), "case_id": case.case_id, "ndim": 3, "group": "rgb"}
    assert rebuild_case(row) == case
    assert rebuild_case({**row, "case_id": "0" * 12}) is None
