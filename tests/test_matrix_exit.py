"""``gfbench matrix``'s exit code (issue 18): the comparison's verdict, with or without
``--compare``, combined with what the matrix saw itself (a failed build, a failed verify).

The environments here build nothing: ``current`` twice, the second with a variable (a separate
environment of the matrix, run by this interpreter), and ``GFBENCH_SCIPY_PATCH`` in one of them
to change an output; a failed build uses the local `FakeInstaller` of test_matrix.py.
"""

from __future__ import annotations

import argparse
import json
import re

import pytest
from conftest import DATA_DIR, gfbench_inproc
from test_matrix import INSTALLED, FakeInstaller, release

from bench.guard.matrix import command
from bench.guard.matrix.record import own_exit, worst_exit

GRID = DATA_DIR / "matrix_grid.toml"


def _env(status="ok", verify=None, sweeps=(0,), label="a"):
    return {"label": label, "spec": label, "status": status, "error": "boom" if status != "ok"
            else None, "verify_exit": verify, "sweep_exits": list(sweeps)}  # fmt: skip


@pytest.mark.parametrize(
    ("codes", "expected"),
    [((0, 0), 0), ((0, 4), 4), ((4, 3), 3), ((3, 1, 4), 1), ((), 0), ((0, 1), 1)],
)
def test_worst_exit_is_compares_order(codes, expected):
    assert worst_exit(*codes) == expected


@pytest.mark.parametrize(
    ("envs", "code", "named"),
    [
        ([_env(), _env(label="b")], 0, []),
        ([_env(), _env(status="install-failed", label="b")], 4, ["b: install-failed: boom"]),
        ([_env(), _env(status="duplicate", label="b")], 0, []),
        ([_env(verify=1), _env(label="b")], 1, ["a: verify exited 1"]),
        ([_env(sweeps=(0, 130)), _env(label="b")], 4, ["a: a sweep exited 0,130"]),
        ([_env(verify=1), _env(status="install-failed", label="b")], 1, None),
    ],
)
def test_own_exit(envs, code, named):
    got, why = own_exit({"environments": envs})
    assert got == code
    if named is not None:
        assert why == named


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_a_build_that_fails_is_exit_5_with_and_without_compare(tmp_path, monkeypatch, capfd):
    fake = FakeInstaller(tmp_path / "installer.log")
    real = command.run_matrix

    def with_fake(**kwargs):
        # 1.10.1 has no wheel for FakeInstaller: its build fails as pip's would
        kwargs.update(scipy=[release(INSTALLED), release("1.10.1")], installer=fake)
        return real(**kwargs)

    monkeypatch.setattr(command, "run_matrix", with_fake)
    for extra in ([], ["--compare"]):
        argv = ["--scipy", INSTALLED, "--scipy", "1.10.1", "--grid", str(GRID), "--no-verify",
                "--timing", "none", "--out", str(tmp_path / "out"), "--cache-dir",
                str(tmp_path / "cache"), *extra]  # fmt: skip
        # never a pass, and not "inconclusive": gfbench failed to test it (issue 20)
        assert command.main(_args(*argv)) == 5
        err = capfd.readouterr().err
        assert "scipy-1.10.1" in err or "1.10.1: install-failed" in err, err
        assert "No matching distribution found for scipy==1.10.1" in err


@pytest.mark.slow
def test_matrix_exits_with_the_comparisons_verdict_without_compare(tmp_path):
    """An output change in the second environment: 1 without --compare (a verdict line), and
    with --compare (the change named); the same folder through `gfbench compare`: 1 too."""
    patched = "current,GFBENCH_SCIPY_PATCH=scipy_variants:mirror_as_reflect"
    base = ["matrix", "--scipy", "current", "--scipy", patched, "--grid", str(GRID),
            "--no-verify", "--timing", "none"]  # fmt: skip
    grid = DATA_DIR / "journey_grid.toml"  # has a mirror-mode case
    base[base.index(str(GRID))] = str(grid)
    plain = gfbench_inproc(*base, "--out", str(tmp_path / "a"))
    assert plain.returncode == 1, plain.stdout[-2000:] + plain.stderr[-2000:]
    verdict = re.search(r"verdict: exit 1 \(changed\); what changed: gfbench compare (\S+)",
                        plain.stdout)  # fmt: skip
    assert verdict, plain.stdout[-2000:]
    again = gfbench_inproc("compare", verdict.group(1))
    assert again.returncode == 1, again.stdout[-2000:] + again.stderr[-2000:]
    with_compare = gfbench_inproc(*base, "--compare", "--out", str(tmp_path / "b"))
    assert with_compare.returncode == 1
    assert re.search(r"output\s+scipy float64 40x40 s=2 mirror", with_compare.stdout), (
        with_compare.stdout[-3000:]
    )
    assert "reflect" not in re.findall(r"output\s+scipy .*", with_compare.stdout)[0]
    record = json.loads(next((tmp_path / "b").glob("*/matrix.json")).read_text())
    assert [e["status"] for e in record["environments"]] == ["ok", "ok"]
