"""The report's reference section: the documented 7x7 example, and the run's verify result."""

from __future__ import annotations

import json
import re
from pathlib import Path

import report_runs

from bench.report import render_report
from reference.example import EXAMPLE_PRINTED


def _verify_document(*, failed_claim: str | None = None) -> dict:
    claims = {
        name: {"outcome": "failed" if name == failed_claim else "passed", "summary": f"{name} ok"}
        for name in ("printed-lines", "bits-vs-record", "bits-vs-oracle", "colour-axis")
    }
    return {
        "tool": "gfbench verify",
        "exit_code": 1 if failed_claim else 0,
        "environment": {"scipy": "9.9.9", "numpy": "8.8.8"},
        "groups": [
            {"group": "example", "cases": 4, "passed": 4 - bool(failed_claim),
             "failed": int(bool(failed_claim)), "skipped": 0},
            {"group": "sizes", "cases": 38, "passed": 38, "failed": 0, "skipped": 0},
        ],
        "example": {"name": "seed-7x7", "passed": failed_claim is None, "claims": claims},
    }  # fmt: skip


def _section(md: str) -> str:
    """The section's Markdown, table cells' padding collapsed to one space."""
    return re.sub(r" {2,}", " ", md.split("## Reference suite", 1)[1].split("\n## ", 1)[0])


def test_reference_section_shows_the_example_and_the_verify_table(tmp_path: Path) -> None:
    run = report_runs.write_run(tmp_path / "run")
    (run / "verify.json").write_text(json.dumps(_verify_document()), encoding="utf-8")
    render_report(run, out_dir=tmp_path / "out", formats=("md",))
    section = _section((tmp_path / "out" / "report.md").read_text())
    # the document's script, and the lines this SciPy printed while the report rendered
    assert 'filtered = gaussian_filter(image, sigma=1.0, mode="reflect")' in section
    for line in EXAMPLE_PRINTED:
        assert line in section
    assert "prints other lines than the document" not in section
    assert "| bits-vs-oracle | passed | bits-vs-oracle ok |" in section
    assert "gfbench verify on SciPy 9.9.9, numpy 8.8.8 (exit 0)" in section
    assert "| sizes | 38 | 38 | 0 | 0 |" in section


def test_a_failing_claim_is_flagged() -> None:
    from bench.report.model import Paragraph, Table
    from bench.report.reference import reference_section

    section = reference_section(_verify_document(failed_claim="bits-vs-record"))
    [claims] = [b for b in section.blocks if isinstance(b, Table) and "example" in b.caption]
    assert ("bits-vs-record", "failed", "bits-vs-record ok") in claims.rows
    warnings = [b.text for b in section.blocks if isinstance(b, Paragraph) and b.kind == "warning"]
    assert warnings == ["The documented example FAILS on this SciPy."]


def test_without_verify_json_the_example_still_shows(tmp_path: Path, capsys) -> None:
    run = report_runs.write_run(tmp_path / "run")
    (run / "verify.json").write_text('{"tool": "something else"}', encoding="utf-8")
    render_report(run, out_dir=tmp_path / "out", formats=("md",))
    assert "ignoring" in capsys.readouterr().err  # an unusable verify.json is named, not trusted
    section = _section((tmp_path / "out" / "report.md").read_text())
    assert EXAMPLE_PRINTED[3] in section
    assert "has no verify.json" in section
