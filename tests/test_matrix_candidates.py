"""``gfbench matrix --scipy`` candidates: wheels, indexes, ``current``, ``--env``.

The fast tests need no network: bad input must exit 2 before anything is built or
written, and the environment-variable dimension and ``current`` run with the local
`FakeInstaller` of test_matrix.py. The ``network`` tests build real environments with uv
from a released SciPy wheel and candidates repacked from it (tests/scipy_wheels.py): an
output change exits 1, an unchanged repack 0, a planted slowdown 3.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import scipy
import scipy_wheels
from conftest import REPO, gfbench_inproc, run_gfbench, shared_env_cache
from fake_installer import FakeInstaller

from bench.exitcodes import UsageError
from bench.guard.compare import command as compare
from bench.guard.matrix import candidates, environments
from bench.guard.matrix import command as matrix
from bench.guard.matrix import record as matrix_record
from bench.guard.matrix.candidates import Candidate
from bench.store import validate

GRID = REPO / "tests" / "data" / "matrix_grid.toml"
INSTALLED = scipy.__version__


def fake_wheel(folder: Path, name: str, *, metadata_name: str = "scipy") -> Path:
    """A zip named like a wheel, with only a METADATA file (enough for the checks)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    version = name.split("-")[1]
    with zipfile.ZipFile(path, "w") as archive:
        meta = f"Metadata-Version: 2.1\nName: {metadata_name}\nVersion: {version}\n"
        archive.writestr(f"scipy-{version}.dist-info/METADATA", meta)
    return path


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def this_platform_tag() -> str:
    from packaging.tags import sys_tags

    tag = next(iter(sys_tags()))
    return f"{tag.interpreter}-{tag.abi}-{tag.platform}"


# --------------------------------------------------------------------------- bad input: exit 2
@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "notes.txt", "does not exist"),
        (lambda d: write(d / "a.whl", b"x"), "is not a wheel"),
        (lambda d: fake_wheel(d, "numpy-2.0.0-py3-none-any.whl"), "wheel of 'numpy'"),
        (lambda d: fake_wheel(d, "scipy-1.17.1-cp27-cp27mu-win32.whl"), "is for cp27-cp27mu"),
        (
            lambda d: fake_wheel(d, f"scipy-1.17.1-{this_platform_tag()}.whl", metadata_name="x"),
            "its METADATA says x",
        ),
        (lambda d: write(d / f"scipy-1.17.1-{this_platform_tag()}.whl", b"PK"), "not a zip"),
        (lambda d: d, "holds 0 scipy-*.whl files"),
    ],
)
def test_bad_wheel_exit_2_nothing_written(tmp_path, make, message):
    (tmp_path / "in").mkdir()
    given = make(tmp_path / "in")
    # the bad wheel comes last: it must still fail before the release is looked up
    proc = gfbench_inproc("matrix", "--scipy", "1.17.1", "--scipy", str(given),
                          "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache"),
                          timeout=120)  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"--scipy '{given}'" in proc.stderr and message in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "cache").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--scipy", "1.17.1", "--index-url", "http://127.0.0.1:9/simple"],
            "--index-url http://127.0.0.1:9/simple: cannot reach the index",
        ),
        (
            ["--scipy", "1.17.1", "--extra-index-url", "ftp://example.invalid/simple"],
            "expected an http(s):// or file:// URL",
        ),
        (["--scipy", "1.17.1", "--env", "SCIPY_ARRAY_API"], "--env 'SCIPY_ARRAY_API'"),
        (["--scipy", "1.17.1", "--env", "PYTHONPATH=/tmp"], "PYTHONPATH is set by gfbench"),
        (["--scipy", "1.17.1,NOT A VAR"], "expected NAME=VALUE"),
    ],
)
def test_bad_index_or_env_exit_2(tmp_path, argv, message):
    proc = gfbench_inproc("matrix", *argv, "--out", str(tmp_path / "out"),
                          "--cache-dir", str(tmp_path / "cache"), timeout=120)  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr, proc.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "cache").exists()


def test_spec_parsing_and_labels():
    assert candidates.split_spec("1.17.1,SCIPY_ARRAY_API=1,X=a=b") == (
        "1.17.1", (("SCIPY_ARRAY_API", "1"), ("X", "a=b")))  # fmt: skip
    for good in ("1.18.0rc1", "1.18.0.dev0", "1.17", "latest"):
        assert candidates.parse_version_spec(good) in (good, "latest")
    with pytest.raises(UsageError, match=r"supports SciPy >= 1\.10"):
        candidates.parse_version_spec("1.9.3")
    wheel = Candidate(spec="w", kind="wheel", version="1.18.0.dev0+git.ab", wheel="/x/s.whl",
                      sha256="ab" * 32, env_vars=(("SCIPY_ARRAY_API", "1"),))  # fmt: skip
    assert matrix_record.env_label(wheel, "1.18.0.dev0+git.ab") == (
        "scipy-1.18.0.dev0+git.ab wheel:abababab SCIPY_ARRAY_API=1"
    )
    folders: set[str] = set()
    first = matrix_record.env_folder(wheel, folders)
    assert first == "scipy-1.18.0.dev0_git.ab-wheel-abababab-SCIPY_ARRAY_API_1"
    # matrix.json is validated when read back: every folder must be a safe identifier
    assert validate.IDENTIFIER.fullmatch(first)
    assert matrix_record.env_folder(wheel, folders) == first + "-2"
    assert environments.same_version("1.18.0.dev0+git20261201.abc", "1.18.0.dev0")
    assert not environments.same_version("1.18.0.dev1", "1.18.0.dev0")


def test_uv_comes_with_gfbench_and_auto_picks_it():
    import uv

    assert environments.find_uv() == str(uv.find_uv_bin())
    assert isinstance(environments.choose_installer("auto"), environments.UvInstaller)
    assert environments.choose_installer("pip").name == "pip"


# --------------------------------------------------------------------------- local, fake installer
def test_env_vars_are_a_dimension_recorded_and_shown_by_compare(tmp_path):
    fake = FakeInstaller(tmp_path / "installer.log")
    plain = Candidate(spec=INSTALLED, kind="release", version=INSTALLED)
    array_api = Candidate(spec=f"{INSTALLED},SCIPY_ARRAY_API=1", kind="release",
                          version=INSTALLED, env_vars=(("SCIPY_ARRAY_API", "1"),))  # fmt: skip
    out = matrix.run_matrix(scipy=[plain, array_api], grid=str(GRID), out=tmp_path / "r",
                            cache_dir=tmp_path / "c", installer=fake, run_verify=False,
                            timing="none", log=lambda m: None)  # fmt: skip
    record = json.loads((out / "matrix.json").read_text())
    a, b = record["environments"]
    assert a["status"] == b["status"] == "ok"
    assert a["env_path"] == b["env_path"]  # one environment serves both
    assert sum(line.startswith("create") for line in fake.log.read_text().splitlines()) == 1
    env_a = json.loads((out / a["folder"] / "env.json").read_text())
    env_b = json.loads((out / b["folder"] / "env.json").read_text())
    # what the process inside the environment saw, not only what was asked
    assert "SCIPY_ARRAY_API" not in env_a["environ"]
    assert env_b["environ"]["SCIPY_ARRAY_API"] == "1" and env_b["env_vars"] == {
        "SCIPY_ARRAY_API": "1"}  # fmt: skip
    assert env_b["provenance"]["index_url"] and env_b["provenance"]["resolved_version"] == INSTALLED
    assert env_b["build_s"] is not None and len(env_b["packages"]) > 10
    result = compare.compare([out])
    text = compare.render_text(result)
    assert "environment variables: (none) -> SCIPY_ARRAY_API=1" in text
    assert f"B built from: scipy=={INSTALLED} from https://" in text
    assert "SCIPY_ARRAY_API=1" in matrix_record.summary_table(out)


def test_current_builds_nothing_and_says_so(tmp_path):
    fake = FakeInstaller(tmp_path / "installer.log")
    out = matrix.run_matrix(scipy=["current"], grid=str(GRID), out=tmp_path / "r",
                            cache_dir=tmp_path / "c", installer=fake, run_verify=False,
                            timing="none", log=lambda m: None)  # fmt: skip
    env = json.loads((out / "matrix.json").read_text())["environments"][0]
    assert env["status"] == "ok" and env["kind"] == "current" and env["env_path"] is None
    assert env["versions"]["scipy"] == INSTALLED and env["sweep_exits"] == [0]
    assert not fake.log.exists()  # no environment created, nothing installed
    assert env["label"] == f"scipy-{INSTALLED} current"


@pytest.mark.slow  # over 5 s on a quiet machine: the full suite runs it
def test_relative_out_works_from_any_folder(tmp_path):
    """The README recipe's default ``--out results`` is relative; the processes inside the
    environments run in their own folders, so every path handed to them must be absolute."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "matrix", "--scipy", "current", "--grid", str(GRID),
         "--timing", "none", "--out", "rel", "--cache-dir", str(tmp_path / "c")],
        capture_output=True, text=True, cwd=tmp_path, timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    (matrix_dir,) = (tmp_path / "rel").iterdir()
    env = json.loads((matrix_dir / "matrix.json").read_text())["environments"][0]
    assert env["sweep_exits"] == [0]
    assert len(list((matrix_dir / env["folder"] / "runs").glob("*/run.json"))) == 1


# --------------------------------------------------------------------------- network: real builds
def _matrix(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    with shared_env_cache() as cache:
        return run_gfbench("matrix", *args, "--grid", str(GRID), "--out", str(tmp_path / "out"),
                           "--cache-dir", str(cache), "--installer", "uv", timeout=900)  # fmt: skip


@pytest.mark.network
def test_output_changing_candidate_exit_1_names_the_change(tmp_path):
    wheel = scipy_wheels.candidate_wheel("wider-kernel")
    proc = _matrix(tmp_path, "--scipy", scipy_wheels.RELEASE, "--scipy", str(wheel),
                   "--no-verify", "--timing", "none", "--compare")  # fmt: skip
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "scipy 1.17.1 -> 1.18.0.dev0+gfbench.wider" in proc.stdout
    assert f"B built from: wheel {wheel.name} sha256:" in proc.stdout
    # the float64 case's output moved (kernel radius 6 -> 7): named with its accuracy change
    assert "output    scipy float64 32x32 s=1.5 reflect" in proc.stdout, proc.stdout
    assert "matches_storage_model True -> False" in proc.stdout


@pytest.mark.network
def test_unchanged_repack_in_a_folder_exit_0_with_provenance(tmp_path):
    wheel = scipy_wheels.candidate_wheel("unchanged")
    proc = _matrix(tmp_path, "--scipy", scipy_wheels.RELEASE, "--scipy", str(wheel.parent),
                   "--timing", "none", "--compare", "--json")  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    record = json.loads(proc.stdout[: proc.stdout.rindex("}") + 1].split("\n== ")[0])
    base, cand = record["environments"]
    assert base["verify_exit"] == 0 and cand["verify_exit"] == 0  # the reference suite passes
    assert cand["version"] == "1.18.0.dev0+gfbench.unchanged"
    assert cand["provenance"]["wheel"] == wheel.name
    assert cand["provenance"]["sha256"] == candidates.sha256_of(wheel)
    assert base["provenance"]["resolved_version"] == scipy_wheels.RELEASE
    assert "no change" in proc.stdout or "overall: ok (exit 0)" in proc.stdout


@pytest.mark.network
@pytest.mark.serial
def test_planted_slowdown_flagged_slower_exit_3(tmp_path):
    wheel = scipy_wheels.candidate_wheel("slow")
    proc = _matrix(tmp_path, "--scipy", scipy_wheels.RELEASE, "--scipy", str(wheel),
                   "--no-verify", "--rounds", "3", "--compare")  # fmt: skip
    assert proc.returncode == 3, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "one A/B session, side by side sample by sample, paired by round" in proc.stdout
    assert "the median over its passes of B's sample / A's" in proc.stdout
    assert "2 slower" in proc.stdout, proc.stdout


@pytest.mark.network
def test_version_from_another_index_becomes_a_checked_wheel(tmp_path):
    wheel = scipy_wheels.candidate_wheel("unchanged")
    index = tmp_path / "index"
    (index / "scipy").mkdir(parents=True)
    (index / "scipy" / wheel.name).symlink_to(wheel)
    cache = tmp_path / "cache"
    (found,) = candidates.parse_candidates(
        ["1.18.0.dev0"], index_url=index.as_uri(), cache_dir=cache
    )
    assert found.kind == "wheel" and found.index_url == index.as_uri()
    assert found.version == "1.18.0.dev0+gfbench.unchanged"  # resolved, not the asked version
    assert found.sha256 == candidates.sha256_of(wheel)
    assert Path(found.wheel).is_relative_to(cache / "downloads")
    prov = found.provenance("1.18.0.dev0+gfbench.unchanged")
    assert prov["index_url"] == index.as_uri() and prov["wheel"] == wheel.name
    with pytest.raises(UsageError, match=r"no SciPy 1\.18\.0\.dev1 wheel .*newest there: "):
        candidates.parse_candidates(["1.18.0.dev1"], index_url=index.as_uri(), cache_dir=cache)


@pytest.mark.network
def test_nonexistent_version_exit_2_nothing_written(tmp_path):
    if not scipy_wheels.index_reachable():
        pytest.skip("PyPI is unreachable")
    proc = run_gfbench("matrix", "--scipy", "1.99.0", "--out", str(tmp_path / "out"),
                   "--cache-dir", str(tmp_path / "cache"), timeout=120)  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "--scipy '1.99.0': no SciPy 1.99.0 wheel for this Python" in proc.stderr
    assert "newest there: " in proc.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "cache").exists()
