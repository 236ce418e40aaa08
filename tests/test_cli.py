"""The CLI shell: every verb has --help with examples, and usage errors exit 2."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bench.cli import VERBS


def _gfbench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bench", *args], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_every_verb_has_help_with_examples(verb):
    result = _gfbench(verb, "--help")
    assert result.returncode == 0, result.stderr
    assert "example" in result.stdout.lower()
    assert f"gfbench {verb}" in result.stdout


def test_top_level_help_lists_every_verb():
    result = _gfbench("--help")
    assert result.returncode == 0
    for verb in VERBS:
        assert verb in result.stdout


def test_unknown_verb_names_the_allowed_ones():
    result = _gfbench("frobnicate")
    assert result.returncode == 2
    assert "frobnicate" in result.stderr
    assert "verify" in result.stderr and "sweep" in result.stderr


def test_no_verb_is_a_usage_error():
    assert _gfbench().returncode == 2


def test_bad_option_is_a_usage_error():
    result = _gfbench("verify", "--no-such-option")
    assert result.returncode == 2
    assert "--no-such-option" in result.stderr
