"""``gfbench compare --format github``: the PR comment, rendered by a real Markdown renderer.

The runs are synthetic (``synthetic_runs``) with whole-call instruction counts and the native
entry symbols' share beside them, as ``gfbench matrix --metric instructions`` writes them; a
planted change either around the native core (a Python-level slowdown: whole call +30%, core
unchanged) or inside it (+5% native work) must come out named, with its ratio and where it
sits, in a comment markdown-it-py renders into real tables.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import gfbench_inproc
from markdown_it import MarkdownIt
from synthetic_runs import case_params, make_rows, write_run

from bench.exitcodes import ExitCode
from bench.guard.compare.github import MARKER, render_github
from bench.guard.compare.result import compare

CASES = case_params(24)


def _rows(seed: int, *, python_extra: float = 0.0, native_extra: float = 0.0, dtype="uint8"):
    """Rows whose whole call is 2.2 M instructions, 2.0 M of them in the native core."""
    rows = make_rows(CASES, seed=seed)
    for i, row in enumerate(rows):
        hit = row["dtype"] == dtype
        core = 2.0e6 * (1 + i % 3) * (1 + (native_extra if hit else 0.0))
        around = 0.2e6 * (1 + i % 3)
        if hit:
            around += python_extra * (core + around)
        row["instructions"] = core + around
        row["instructions_entry"] = core
    return rows


def _run(folder: Path, rows, *, scope: str = "call") -> Path:
    path = write_run(folder, rows)
    meta = json.loads((path / "run.json").read_text())
    meta["instructions"] = {"scope": scope, "calls": 3}
    (path / "run.json").write_text(json.dumps(meta))
    return path


def _render(markdown: str):
    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    return md.parse(markdown), md.render(markdown)


def _table_rows(tokens) -> list[list[str]]:
    """Every table row as its cells' inline text (header rows included)."""
    rows, current, in_cell = [], None, False
    for tok in tokens:
        if tok.type == "tr_open":
            current = []
        elif tok.type in ("th_open", "td_open"):
            in_cell = True
        elif tok.type == "inline" and in_cell and current is not None:
            current.append(tok.content)
        elif tok.type in ("th_close", "td_close"):
            in_cell = False
        elif tok.type == "tr_close":
            rows.append(current)
    return rows


@pytest.fixture
def pair_runs(tmp_path):
    a = _run(tmp_path / "run-a", _rows(1))
    return tmp_path, a


def test_an_unchanged_pair_is_one_green_line_and_a_table_of_checks(pair_runs):
    tmp, a = pair_runs
    b = _run(tmp / "run-b", _rows(2))
    result = compare([a, b])
    text = render_github(result, report="https://ci.example/run/1")
    tokens, html = _render(text)
    assert text.startswith(MARKER + "\n")
    assert html.startswith(MARKER)  # passed through as an HTML comment: hidden on GitHub
    assert "gfbench: :white_check_mark: no change found (exit 0)" in text
    rows = _table_rows(tokens)
    checks = {r[0]: r for r in rows}
    assert checks["instructions (deterministic)"][1] == ":white_check_mark: same"
    n = len(CASES)
    assert checks["instructions (deterministic)"][2] == f"{n} same of {n} counted cases"
    assert "Slower and faster cases" not in text
    assert "Full report: https://ci.example/run/1" in text


def test_a_python_level_slowdown_is_named_with_ratio_and_where(pair_runs):
    tmp, a = pair_runs
    b = _run(tmp / "run-b", _rows(2, python_extra=0.30))
    result = compare([a, b])
    assert result.exit_code == ExitCode.PERF_REGRESSION
    text = render_github(result, limit=30)
    tokens, html = _render(text)
    assert "performance regression: instructions (exit 3)" in text
    assert "<details><summary>Slower and faster cases" in html
    case_rows = [r for r in _table_rows(tokens) if r and r[0] == "slower"]
    n_uint8 = sum(c["dtype"] == "uint8" for c in CASES)
    assert len(case_rows) == n_uint8
    for row in case_rows:
        assert "uint8" in row[1]
        assert float(row[2]) == pytest.approx(1.30, abs=1e-9)
        assert row[4].startswith("around the native core")  # the core did not change


def test_native_extra_work_is_placed_in_the_core(pair_runs):
    tmp, a = pair_runs
    b = _run(tmp / "run-b", _rows(2, native_extra=0.05, dtype="float64"))
    tokens, _ = _render(render_github(compare([a, b])))
    case_rows = [r for r in _table_rows(tokens) if r and r[0] == "slower"]
    assert case_rows and all("float64" in r[1] for r in case_rows)
    assert all(r[4].startswith("native core (100% of the change)") for r in case_rows)


def test_long_lists_are_cut_to_the_limit_and_the_size_cap(pair_runs):
    tmp, a = pair_runs
    rows = _rows(2)
    for row in rows:
        row["instructions"] *= 1.5
    b = _run(tmp / "run-b", rows)
    result = compare([a, b])
    text = render_github(result, limit=5)
    tokens, _ = _render(text)
    assert len([r for r in _table_rows(tokens) if r and r[0] == "slower"]) == 5
    assert f"... and {len(CASES) - 5} more in the full report" in text
    short = render_github(result, limit=5, max_chars=900)
    assert len(short) <= 900
    assert short.rstrip().endswith("(cut to fit a comment; see the full report)")


def test_different_scopes_are_not_compared(pair_runs):
    tmp, a = pair_runs
    b = _run(tmp / "run-b", _rows(2, python_extra=0.3), scope="entry")
    pair = compare([a, b]).pairs[0]
    assert pair.instructions.empty
    assert any("counted different things" in note for note in pair.notes)


def test_the_cli_prints_it_and_refuses_two_formats(pair_runs):
    tmp, a = pair_runs
    b = _run(tmp / "run-b", _rows(2, python_extra=0.3))
    proc = gfbench_inproc("compare", str(a), str(b), "--format", "github", "--report", "out/x.md")
    assert proc.returncode == ExitCode.PERF_REGRESSION, proc.stderr
    assert proc.stdout.startswith(MARKER)
    assert proc.stdout.rstrip().endswith("Full report: out/x.md")
    proc = gfbench_inproc("compare", str(a), str(b), "--format", "github", "--json")
    assert proc.returncode == 2
    assert "--json and --format github" in proc.stderr
