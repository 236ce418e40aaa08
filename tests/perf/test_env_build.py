"""Environment builds of ``gfbench matrix`` (pytest-benchmark; CI runs them once, disabled).

Targets (issue 12): a cached environment reused in under 2 s (everything matrix does per
environment before verify: check, harness fingerprint, the version report from inside
it), and a new SciPy version built in under 15 s with uv (a fresh environment cache; uv's
own download cache as the machine has it). Both need PyPI the first time (``network``).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from bench.guard.matrix import command as matrix
from bench.guard.matrix.candidates import Candidate
from bench.guard.matrix.environments import EnvBuilder, UvInstaller, find_uv, project_root

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import scipy_wheels

TEST_ENVS = Path.home() / ".cache" / "gfbench" / "test-envs"
RELEASE = Candidate(spec=scipy_wheels.RELEASE, kind="release", version=scipy_wheels.RELEASE)

pytestmark = pytest.mark.network


@pytest.fixture(scope="module")
def uv() -> UvInstaller:
    found = find_uv()
    assert found, "uv is a dependency of gfbench: it must be found"
    if not scipy_wheels.index_reachable():
        pytest.skip("PyPI is unreachable: cannot build an environment")
    return UvInstaller(uv=found)


def test_cached_environment_reused(benchmark, uv, tmp_path):
    EnvBuilder(uv, sys.executable, TEST_ENVS, project_root()).ensure(RELEASE)  # warm it
    calls = iter(range(10**6))

    def reuse() -> dict:
        # matrix folders are named by the second they start: one parent folder per call
        out = matrix.run_matrix(scipy=[RELEASE], out=tmp_path / str(next(calls)),
                                cache_dir=TEST_ENVS,
                                installer=uv, run_verify=False, run_sweep=False,
                                log=lambda m: None)  # fmt: skip
        return json.loads((out / "matrix.json").read_text())["environments"][0]

    env = benchmark(reuse)
    assert env["status"] == "ok" and env["reused"] is True
    assert env["versions"]["scipy"] == scipy_wheels.RELEASE


def test_new_scipy_version_built_with_uv(benchmark, uv, tmp_path):
    rounds = iter(range(1000))

    def fresh_cache():
        cache = tmp_path / f"cache-{next(rounds)}"
        # the harness wheel of this checkout is built once per code change, not per version
        wheels = TEST_ENVS / "wheels"
        if wheels.is_dir():
            shutil.copytree(wheels, cache / "wheels")
        return (EnvBuilder(uv, sys.executable, cache, project_root()),), {}

    def build(builder: EnvBuilder):
        return builder.ensure(RELEASE)

    env_dir, reused, seconds = benchmark.pedantic(build, setup=fresh_cache, rounds=2)
    assert reused is False and (env_dir / "gfbench-env.json").is_file()
    assert seconds > 0
