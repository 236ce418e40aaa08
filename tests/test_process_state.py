"""gfbench leaves its caller's process as it found it: the malloc thresholds, the warning hook.

``bench.sweep.peakrss.use_fixed_mmap_threshold`` is irreversible and slows later calls, so only
processes gfbench owns (the ``gfbench`` command, an executor's workers) may call it; ``cli.main``
shows warnings as one line only while its verb runs.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from conftest import DATA_DIR, run_gfbench

from bench import cli
from bench.sweep import peakrss, run_sweep

TINY = DATA_DIR / "tiny_grid.toml"


@pytest.fixture
def mallopt_calls(monkeypatch) -> list[str]:
    """Every call of ``use_fixed_mmap_threshold`` (recorded, not made) in this process."""
    calls: list[str] = []
    monkeypatch.setattr(peakrss, "use_fixed_mmap_threshold", lambda: calls.append("fix") or True)
    monkeypatch.setattr(peakrss, "_owned", False)  # as in any caller's process
    return calls


def _peak_rss_method(run_dir: Path) -> dict:
    return json.loads((run_dir / "run.json").read_text())["peak_rss_method"]


def test_run_sweep_in_process_leaves_the_allocator_alone(tmp_path, mallopt_calls):
    result = run_sweep(grid=TINY, impls=["scipy"], timing=False, progress=False, out=tmp_path)
    assert result.counts.get("ok", 0) > 0
    assert mallopt_calls == []
    method = _peak_rss_method(result.run_dir)
    assert method["fixed_mmap_threshold"] is False and "undercounted" in method["allocator"]


def test_an_owned_process_fixes_the_thresholds_and_says_so(tmp_path, mallopt_calls):
    peakrss.own_this_process()  # what the gfbench command's entry point does
    result = run_sweep(grid=TINY, impls=["scipy"], timing=False, progress=False, out=tmp_path)
    assert mallopt_calls  # once per case: the call is idempotent
    assert _peak_rss_method(result.run_dir)["fixed_mmap_threshold"] is True


def test_the_gfbench_command_owns_its_process(tmp_path):
    done = run_gfbench(
        "sweep", "--grid", str(TINY), "--impl", "scipy", "--no-timing", "--no-progress",
        "--json", "--out", str(tmp_path), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    run_dir = Path(json.loads(done.stdout)["run_dir"])
    assert _peak_rss_method(run_dir)["fixed_mmap_threshold"] is True


def test_main_restores_the_warning_hook(monkeypatch, capsys):
    def mine(*args, **kwargs) -> None:
        pass

    monkeypatch.setattr(warnings, "showwarning", mine)
    seen: list[object] = []

    def verb(args) -> int:
        seen.append(warnings.showwarning)
        warnings.warn("inside the verb", UserWarning, stacklevel=1)
        return 0

    monkeypatch.setattr(cli, "build_parser", _parser_running(verb))
    assert cli.main(["report", "anything"]) == 0
    assert seen and seen[0] is not mine  # the one-line display while the verb ran
    assert "gfbench report: warning: inside the verb" in capsys.readouterr().err
    assert warnings.showwarning is mine  # and the caller's hook back afterwards


def _parser_running(verb):
    import argparse

    def build(name: str) -> argparse.ArgumentParser:
        parser = argparse.ArgumentParser(prog=f"gfbench {name}")
        parser.add_argument("rest", nargs="*")
        parser.set_defaults(_main=verb, verb=name)
        return parser

    return build
