"""The CLI shell: every verb has --help with examples, and usage errors exit 2."""

from __future__ import annotations

import pytest
from conftest import run_gfbench

from bench.cli import VERBS


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_every_verb_has_help_with_examples(verb):
    result = run_gfbench(verb, "--help")
    assert result.returncode == 0, result.stderr
    assert "example" in result.stdout.lower()
    assert f"gfbench {verb}" in result.stdout


def test_top_level_help_lists_every_verb():
    result = run_gfbench("--help")
    assert result.returncode == 0
    for verb in VERBS:
        assert verb in result.stdout


def test_unknown_verb_names_the_allowed_ones():
    result = run_gfbench("frobnicate")
    assert result.returncode == 2
    assert "frobnicate" in result.stderr
    assert "verify" in result.stderr and "sweep" in result.stderr


def test_no_verb_is_a_usage_error():
    assert run_gfbench().returncode == 2


def test_bad_option_is_a_usage_error():
    result = run_gfbench("verify", "--no-such-option")
    assert result.returncode == 2
    assert "--no-such-option" in result.stderr
