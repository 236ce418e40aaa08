"""Shared test helpers: the repository root, running ``gfbench`` as a user does, and the markers.

Helper modules of this folder (``synthetic_runs``, ``scipy_wheels``, ``fake_installer``, ...) are
importable because pytest puts ``tests/`` on ``sys.path`` (rootdir-relative, no package); test
files import what they share from those modules or from here, never from another test file.

Markers (registered in pyproject.toml) and what this file does with them:

- ``network`` and ``valgrind`` tests are also ``slow``: the fast loop ``pytest -m "not slow"``
  leaves out everything that downloads, builds environments or runs under valgrind.
- ``valgrind`` tests skip, saying why, where valgrind is absent.
- ``serial`` tests measure wall time and assert a verdict on it: under pytest-xdist they all run
  in one worker (``--dist loadgroup``), one after another, and a lock keeps them apart where
  xdist does not group them (`_one_serial_test_at_a_time`): never two at once.
- The serial and then the other slow tests are collected first, so the long ones start early.
- ``tests/perf`` (pytest-benchmark) is not collected by default: name a path in it, or pass
  ``--perf`` (CI does, with ``--benchmark-disable``, so every benchmark still runs once).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from filelock import FileLock

REPO = Path(__file__).resolve().parents[1]
TESTS_DIR = Path(__file__).resolve().parent
DATA_DIR = TESTS_DIR / "data"
PERF_DIR = TESTS_DIR / "perf"
PATCH_VAR = "GFBENCH_SCIPY_PATCH"
#: Real environments and wheels kept between test runs (seconds instead of minutes per build).
TEST_ENVS = Path.home() / ".cache" / "gfbench" / "test-envs"


def gfbench_env(patch: str | None = None, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A ``gfbench`` subprocess's environment: this checkout and tests/ importable; the patch."""
    env = {k: v for k, v in os.environ.items() if k != PATCH_VAR}
    paths = [str(REPO), str(TESTS_DIR), env.get("PYTHONPATH")]
    env["PYTHONPATH"] = os.pathsep.join(filter(None, paths))
    if patch is not None:
        env[PATCH_VAR] = patch
    env.update(extra or {})
    return env


def run_gfbench(
    *args: str,
    cwd: Path | None = None,
    patch: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess:
    """Run ``python -m bench ARGS`` as a user would; never raises on a non-zero exit."""
    return subprocess.run(
        [sys.executable, "-m", "bench", *args],
        cwd=cwd or REPO,
        env=gfbench_env(patch, env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def gfbench_inproc(
    *args: str,
    cwd: Path | None = None,
    patch: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess:
    """Run ``gfbench ARGS`` in this process: `run_gfbench`'s result, without its start-up.

    For tests of what the CLI does with its input (exit code, messages, files written): a
    subprocess pays Python's start-up and the imports of bench, SciPy and pandas (1-2 s of CPU
    each time), and a verb's once-per-process work (the report's pitfall measurements) again.
    ``bench.cli.main`` maps every exception to its exit code, as the process does; here the
    working directory and the environment (``gfbench_env``'s) are the subprocess's for the call
    and restored after it, and stdout/stderr are captured at the file descriptors, the verb's
    own child processes' output included (`_captured_output`). Not for what needs a process of
    its own: signals, ``peakrss.own_this_process``, the exit of the interpreter, ``sys.path``.

    ``patch`` (``GFBENCH_SCIPY_PATCH``) only with ``verify``: it checks the spec here and applies
    it in the reference suite's own subprocess; other verbs would patch SciPy in this process.
    ``timeout``: a call still running after that many seconds is interrupted (SIGALRM raises
    ``TimeoutError`` in it, which ``main`` reports as exit 5), so a regression that waits on the
    network fails the test instead of hanging the suite.
    """
    from bench.cli import main

    if patch is not None and args[:1] != ("verify",):
        raise ValueError(f"gfbench_inproc: a patch only for verify, not {args[:1]}")
    saved_env, saved_cwd = dict(os.environ), Path.cwd()
    alarm = timeout is not None and threading.current_thread() is threading.main_thread()
    if alarm:

        def expire(signum, frame) -> None:
            raise TimeoutError(f"gfbench_inproc: still running after {timeout} s")

        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        os.environ.clear()
        os.environ.update(gfbench_env(patch, env))
        os.chdir(cwd or REPO)
        with _captured_output() as captured:
            code = main(list(args))
    finally:
        if alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    out, err = captured
    return subprocess.CompletedProcess(["gfbench", *args], code, stdout=out, stderr=err)


@contextlib.contextmanager
def _captured_output() -> Iterator[list[str]]:
    """File descriptors 1 and 2, and ``sys.stdout``/``sys.stderr`` on them, into two temporary
    files for the block, as a subprocess's pipes would be: the verb's child processes (matrix
    hands its own stderr to the environments' runs) write there too. The yielded list holds
    the stdout and stderr text after the block, decoded as ``subprocess.run(text=True)`` does
    (UTF-8 here, universal newlines)."""
    captured: list[str] = []
    saved_streams = (sys.stdout, sys.stderr)
    for stream in saved_streams:
        stream.flush()
    saved_fds = [os.dup(1), os.dup(2)]
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        files = (out_file, err_file)
        streams = []
        try:
            for fd, file in zip((1, 2), files, strict=True):
                os.dup2(file.fileno(), fd)
                # line-buffered: Python's lines and a child's writes keep their order; closed
                # (the descriptor left open) in the finally below
                stream = open(fd, "w", encoding="utf-8", buffering=1, closefd=False)  # noqa: SIM115
                streams.append(stream)
            sys.stdout, sys.stderr = streams
            yield captured
        finally:
            for stream in streams:
                stream.close()
            sys.stdout, sys.stderr = saved_streams
            for fd, saved in zip((1, 2), saved_fds, strict=True):
                os.dup2(saved, fd)
                os.close(saved)
            for file in files:
                file.seek(0)
                text = io.TextIOWrapper(io.BytesIO(file.read()), encoding="utf-8", errors="replace")
                captured.append(text.read())


@contextlib.contextmanager
def shared_env_cache() -> Iterator[Path]:
    """Hold the cache of real test environments (``TEST_ENVS``) for one test.

    xdist workers, and other pytest sessions on the machine, would otherwise build the same
    environment into the same folder at once; the file lock makes them take turns.
    """
    TEST_ENVS.mkdir(parents=True, exist_ok=True)
    with FileLock(str(TEST_ENVS) + ".lock"):
        yield TEST_ENVS


@pytest.fixture
def env_cache() -> Iterator[Path]:
    """``TEST_ENVS``, held by this test alone (see `shared_env_cache`)."""
    with shared_env_cache() as path:
        yield path


#: whether this session deselects the slow tests (``-m "not slow"``: the fast loop); set by
#: `pytest_configure`, before any test module is imported
FAST_LOOP = False


def pytest_configure(config: pytest.Config) -> None:
    global FAST_LOOP
    FAST_LOOP = "not slow" in " ".join((config.option.markexpr or "").split())


def fuzz_examples(full: int) -> int:
    """Hypothesis examples for a fuzz test: ``full`` in the full suite, a third in the fast loop.

    The fuzz tests run hundreds of inputs through the verbs (seconds each); the fast loop keeps
    each of them, on fewer inputs, and the full suite (CI) runs every example.
    """
    return max(10, full // 3) if FAST_LOOP else full


@pytest.fixture(scope="session")
def synthetic_report(tmp_path_factory) -> dict:
    """The report (Markdown and HTML) of ``report_runs``' synthetic run, rendered once a session.

    Rendering draws seven plots (seconds); the tests that only read this report share it, and
    must not change it. Returns the run folder, the output folder, ``index.html`` and the rows.
    """
    import json

    import report_runs

    from bench.report import render_report

    base = tmp_path_factory.mktemp("synthetic-report")
    run = report_runs.write_run(base / "run")
    out = base / "out"
    index = render_report(run, out_dir=out, formats=("md", "html"))
    rows = [json.loads(line) for line in (run / "cases.jsonl").read_text().splitlines()]
    return {"run": run, "out": out, "index": index, "rows": rows}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--perf",
        action="store_true",
        default=False,
        help="also collect the benchmarks of tests/perf (not collected by default)",
    )


def _perf_named(config: pytest.Config) -> bool:
    """Whether a command-line path points into tests/perf (then it is collected as asked)."""
    for arg in config.args:
        path = Path(arg.split("::", 1)[0])
        path = (path if path.is_absolute() else Path(config.invocation_params.dir) / path).resolve()
        if path == PERF_DIR or PERF_DIR in path.parents:
            return True
    return False


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path == PERF_DIR and not (config.getoption("--perf") or _perf_named(config)):
        return True
    return None


NO_VALGRIND = "valgrind is not on PATH (apt-get install valgrind; .ci/run installs it)"


@pytest.hookimpl(tryfirst=True)  # before -m deselects and xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    no_valgrind = shutil.which("valgrind") is None
    for item in items:
        if item.get_closest_marker("network") or item.get_closest_marker("valgrind"):
            item.add_marker(pytest.mark.slow)
        if no_valgrind and item.get_closest_marker("valgrind"):
            item.add_marker(pytest.mark.skip(reason=NO_VALGRIND))
        if item.get_closest_marker("serial"):
            item.add_marker(pytest.mark.xdist_group("serial"))
    # The long ones first (the serial group, then the other slow tests): xdist hands out work in
    # collection order, and a 60-s test collected last runs alone while the other worker idles.
    # A stable sort, so each file's own order is kept.
    items.sort(key=lambda item: (not item.get_closest_marker("serial"),
                                 not item.get_closest_marker("slow")))  # fmt: skip


@pytest.fixture(autouse=True)
def _one_serial_test_at_a_time(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[None]:
    """Hold the session's serial lock while a ``serial`` test runs in an xdist worker.

    ``--dist loadgroup`` already runs them in one worker, one after another. The lock keeps them
    apart where it does not: a run without the flag, or pytest >= 9.2 with pytest-xdist <= 3.8,
    which drops the groups without a word (pytest-dev/pytest-xdist#1386). There a worker waits
    for the other's serial test instead of running beside it.
    """
    in_worker = hasattr(request.config, "workerinput")
    if request.node.get_closest_marker("serial") is None or not in_worker:
        yield
        return
    # the workers' base temporary folders share this parent, one per session
    with FileLock(str(tmp_path_factory.getbasetemp().parent / "serial-tests.lock")):
        yield
