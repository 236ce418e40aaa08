"""``scripts/measure_instruction_sessions.py``: resume and summary, on fake session lines.

The sessions themselves run ``gfbench matrix`` for minutes each; here only the bookkeeping is
checked: which (session, scenario) pairs a resumed run still has to do, whether a session named
exactly the cases its change reaches, and the summary's counts and ranges.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest
from conftest import REPO

SCRIPT = REPO / "scripts" / "measure_instruction_sessions.py"
_spec = importlib.util.spec_from_file_location("measure_instruction_sessions", SCRIPT)
sessions = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sessions)

CASES = [f"{i:012x}" for i in range(4)]


def line(session: int, scenario: str, flagged: dict[str, str], ratios=(0.9999, 1.0001),
         **extra) -> dict:  # fmt: skip
    return {
        "session": session, "scenario": scenario,
        "affected": sessions.SCENARIOS[scenario][1], "cases": len(CASES), "flagged": flagged,
        "ratio_min": ratios[0], "ratio_max": ratios[1], "entry_ratio_min": 1.0,
        "entry_ratio_max": 1.0, "seconds": 300.0, "load_start": 3.0, "load_end": 5.0,
        "hog": True, **extra,
    }  # fmt: skip


ALL_SLOWER = dict.fromkeys(CASES, "slower")


def test_a_resumed_run_skips_what_is_done_and_retries_what_failed(tmp_path):
    path = tmp_path / "s.jsonl"
    failed = {**line(2, "python-work", {}), "error": "no compare.json"}
    done = [line(1, "aa", {}), line(1, "python-work", ALL_SLOWER), line(1, "native-work", {}),
            line(2, "aa", {}), failed]  # fmt: skip
    path.write_text("\n".join(json.dumps(d) for d in done) + '\n{"session": 3, "scen')  # torn
    lines = sessions.read_lines(path)
    assert len(lines) == 5  # the torn last line is ignored
    plan = sessions.todo(lines, 3, list(sessions.SCENARIOS))
    assert plan == [(2, ["python-work", "native-work"]), (3, ["aa", "python-work", "native-work"])]
    assert sessions.todo([], 1, ["aa"]) == [(1, ["aa"])]
    assert sessions.read_lines(tmp_path / "missing.jsonl") == []


@pytest.mark.parametrize(
    ("scenario", "flagged", "expected"),
    [
        ("aa", {}, True),
        ("aa", {CASES[0]: "slower"}, False),
        ("aa", {CASES[0]: "faster"}, False),
        ("python-work", ALL_SLOWER, True),
        ("python-work", {c: "slower" for c in CASES[:3]}, False),  # one affected case missed
        ("native-work", {**ALL_SLOWER, CASES[3]: "faster"}, False),  # the wrong direction
    ],
)
def test_only_the_affected_cases_must_be_named(scenario, flagged, expected):
    assert sessions.named_only_affected(line(1, scenario, flagged)) is expected


def test_the_summary_counts_sessions_flags_and_ranges():
    lines = [
        line(1, "aa", {}, (0.99995, 1.00012)),
        line(2, "aa", {CASES[1]: "slower"}, (0.9999, 1.012)),
        line(1, "python-work", ALL_SLOWER, (1.31, 1.77)),
        line(2, "python-work", ALL_SLOWER, (1.30, 1.75)),
        {**line(3, "python-work", {}), "error": "no compare.json"},
        line(1, "aa", {}, (1.0, 1.0)),  # a later line of the same session replaces the first
    ]
    summary = sessions.summarize(lines, sessions=20)
    aa, py = summary["aa"], summary["python-work"]
    assert (aa["sessions"], aa["of"], aa["cases_flagged_per_session"]) == (2, 20, [0, 1])
    assert aa["sessions_naming_only_the_affected_cases"] == 1
    assert aa["ratio_range"] == [0.9999, 1.012]
    assert aa["largest_abs_change"] == pytest.approx(0.012)
    assert py["sessions_naming_only_the_affected_cases"] == 2 and py["errors"] == 1
    assert py["ratio_range"] == [1.30, 1.77] and py["cases"] == [4]
    text = sessions.summary_text(summary)
    assert "aa: 2/20 sessions" in text and "0 flagged: 1 of 2" in text
    assert (
        "python-work: 2/20 sessions" in text and "every case slower, nothing else: 2 of 2" in text
    )


def test_summary_prints_the_header_and_the_figures(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps(line(1, "native-work", ALL_SLOWER, (1.08, 1.15))) + "\n")
    proc = subprocess.run([sys.executable, str(SCRIPT), "--summary", str(path)], cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "# load average" in proc.stdout
    assert "native-work: 1/20 sessions" in proc.stdout and "1.08000-1.15000" in proc.stdout
