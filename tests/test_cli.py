"""The CLI shell: every verb has --help with examples, and usage errors exit 2.

``bench.cli.main`` in this process (``gfbench_inproc``) for each verb; ``python -m bench`` in a
subprocess for the top level, so the process's own exit status is tested too."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import REPO, gfbench_inproc, run_gfbench

from bench.cli import VERBS


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_every_verb_has_help_with_examples(verb):
    result = gfbench_inproc(verb, "--help")
    assert result.returncode == 0, result.stderr
    assert "example" in result.stdout.lower()
    assert f"gfbench {verb}" in result.stdout


def test_top_level_help_lists_every_verb():
    result = run_gfbench("--help")  # `python -m bench` itself, as installed
    assert result.returncode == 0
    for verb in VERBS:
        assert verb in result.stdout


def test_unknown_verb_names_the_allowed_ones():
    result = gfbench_inproc("frobnicate")
    assert result.returncode == 2
    assert "frobnicate" in result.stderr
    assert "verify" in result.stderr and "sweep" in result.stderr


def test_no_verb_is_a_usage_error():
    assert run_gfbench().returncode == 2  # the process's exit status


def test_bad_option_is_a_usage_error():
    result = gfbench_inproc("verify", "--no-such-option")
    assert result.returncode == 2
    assert "--no-such-option" in result.stderr


def test_no_verb_imports_scipy_stats_to_start():
    """scipy.stats costs ~1 s of CPU to import: only the functions that compute with it import
    it, so `--help`, usage errors and verbs that never test anything start without it."""
    code = (
        "import importlib, sys\n"
        "for module in sys.argv[1:]:\n"
        "    importlib.import_module(module)\n"
        "print(sorted(m for m in sys.modules if m.startswith('scipy.stats')))\n"
    )
    modules = [module for module, _ in VERBS.values()]
    done = subprocess.run(
        [sys.executable, "-c", code, *modules],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
