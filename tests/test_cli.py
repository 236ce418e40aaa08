"""The CLI shell: every verb has --help with examples, and usage errors exit 2.

``bench.cli.main`` in this process (``gfbench_inproc``) for each verb; ``python -m bench`` in a
subprocess for the top level, so the process's own exit status is tested too."""

from __future__ import annotations

import pytest
from conftest import gfbench_inproc, run_gfbench

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
