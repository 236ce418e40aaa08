"""``gfbench compare --format github``: a Markdown summary short enough for a PR comment.

One block per compared pair: the verdict line (exit code and reason), a table of the four
checks (outputs and API, instructions, wall time, memory), then the cases that changed --
changed outputs, slower and faster cases with the instruction ratio, the wall-time ratio and
its interval, and where an instruction change sits -- each list cut at ``limit`` rows and
folded in ``<details>``, and a link or path to the full report. GitHub caps a comment at
65,536 characters; the summary is cut well below that (``MAX_CHARS``).

The first line is a hidden marker (``MARKER``): a CI job finds its own earlier comment by it
and updates that comment on a re-run instead of adding a new one (examples/ci/scipy-pr.yml).
"""

from __future__ import annotations

import html
import math

import pandas as pd

from bench.exitcodes import ExitCode
from bench.guard.compare.memory import SAME as MEMORY_SAME
from bench.guard.compare.result import Comparison, PairResult
from bench.guard.stats import verdicts as gate

#: the hidden first line that identifies gfbench's own comment
MARKER = "<!-- gfbench-compare -->"
#: GitHub refuses comments over 65,536 characters; leave room for the job's own text
MAX_CHARS = 60_000
_ICON = {
    ExitCode.OK: ":white_check_mark:",
    ExitCode.CHANGED: ":x:",
    ExitCode.PERF_REGRESSION: ":warning:",
    ExitCode.INCONCLUSIVE: ":grey_question:",
}
_MEANING = {
    ExitCode.OK: "no change found",
    ExitCode.CHANGED: "outputs, dtypes or API changed",
    ExitCode.PERF_REGRESSION: "performance regression",
    ExitCode.INCONCLUSIVE: "too noisy to decide",
}


def _cell(text: object) -> str:
    """A table cell: pipes escaped, newlines flattened (they would end the row)."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(headers: list[str], rows: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(map(_cell, headers)) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _counts_text(counts: dict[str, int]) -> str:
    shown = [f"{n} {name}" for name, n in counts.items() if n]
    return ", ".join(shown) or "none"


def _interval(row: pd.Series) -> str:
    high = row["ci_high"]
    high_text = "inf" if not math.isfinite(high) else f"{high:.2f}"
    return f"{row['ratio']:.3f} [{row['ci_low']:.2f}, {high_text}]"


def _details(summary: str, lines: list[str]) -> list[str]:
    return ["", f"<details><summary>{summary}</summary>", "", *lines, "", "</details>"]


def _checks(pair: PairResult, result: Comparison) -> list[list[object]]:
    failing = pair.failing_changes
    rows: list[list[object]] = [
        [
            "outputs, dtypes, API",
            ":x: changed" if failing else ":white_check_mark: same",
            f"{len(failing)} of {pair.cases_compared} cases/checks changed",
        ]
    ]
    if not pair.instructions.empty:
        counts = pair.instruction_counts()
        icon = ":warning: slower" if counts[gate.SLOWER] else ":white_check_mark: same"
        rows.append([
            "instructions (deterministic)", icon,
            f"{_counts_text(counts)} of {len(pair.instructions)} counted cases",
        ])  # fmt: skip
    if not pair.perf.empty:
        counts = pair.verdict_counts()
        if counts[gate.SLOWER]:
            icon = ":warning: slower"
        elif pair.inconclusive_fraction > pair.max_inconclusive:
            icon = ":grey_question: inconclusive"
        else:
            icon = ":white_check_mark: same"
        rows.append([
            f"wall time (threshold {result.threshold:.0%})", icon,
            f"{_counts_text(counts)} of {len(pair.perf)} timed cases",
        ])  # fmt: skip
    if not pair.memory.empty:
        counts = pair.memory_counts()
        more = any(n for name, n in counts.items() if name.startswith("more"))
        rows.append([
            f"memory (threshold {result.memory_threshold:.0%})",
            ":warning: more" if more else ":white_check_mark: same",
            f"{_counts_text(counts)} of {len(pair.memory)} cases",
        ])  # fmt: skip
    return rows


def _changed_cases(pair: PairResult, limit: int) -> list[str]:
    """Slower and faster cases: instructions first (they decide), then wall time."""
    timed = {} if pair.perf.empty else {r["case_id"]: r for _, r in pair.perf.iterrows()}
    rows: list[list[object]] = []
    seen: set[str] = set()
    if not pair.instructions.empty:
        moved = pair.instructions[pair.instructions["verdict"] != gate.SAME]
        for _, r in moved.sort_values("ratio", ascending=False).iterrows():
            wall = timed.get(r["case_id"])
            rows.append([
                r["verdict"], r["case"], f"{r['ratio']:.4f}",
                "-" if wall is None else f"{_interval(wall)} {wall['verdict']}",
                r.get("where") or "-",
            ])  # fmt: skip
            seen.add(r["case_id"])
    if not pair.perf.empty:
        moved = pair.perf[pair.perf["verdict"].isin([gate.SLOWER, gate.FASTER])]
        for _, r in moved.sort_values("ratio", ascending=False).iterrows():
            if r["case_id"] not in seen:
                rows.append([f"{r['verdict']} (time)", r["case"], "-",
                             f"{_interval(r)} {r['verdict']}", "-"])  # fmt: skip
    if not rows:
        return []
    shown = rows[:limit]
    lines = _table(["verdict", "case", "instructions B/A", "wall time B/A [interval]", "where"],
                   shown)  # fmt: skip
    if len(rows) > limit:
        lines.append(f"\n... and {len(rows) - limit} more in the full report")
    return _details(f"Slower and faster cases ({len(rows)})", lines)


def _where(pair: PairResult, limit: int) -> list[str]:
    """Where the slower cases' work went: the top functions per case, folded."""
    from bench.guard.compare.where import HEADERS, UNITS, case_heading, table_rows

    if not pair.where:
        return []
    lines: list[str] = []
    for entry in pair.where[:limit]:
        # function names come from profiles (results are untrusted): no HTML reaches the page
        lines.append(f"**{html.escape(_cell(case_heading(entry)))}**")
        for kind in ("native", "python"):
            if entry[kind]:
                rows = [[f"<code>{html.escape(row[0])}</code>", *row[1:]]
                        for row in table_rows(entry[kind])]  # fmt: skip
                lines += ["", f"{UNITS[kind]}:", "", *_table(HEADERS, rows), ""]
        lines += [f"- missing: {html.escape(_cell(text))}" for text in entry["missing"]]
        if entry.get("note"):
            lines.append(f"- {html.escape(_cell(entry['note']))}")
        lines.append("")
    if len(pair.where) > limit:
        lines.append(f"... and {len(pair.where) - limit} more in the full report")
    return _details(f"Where the slower cases' instructions went ({len(pair.where)})", lines)


def _pair_lines(pair: PairResult, result: Comparison, limit: int) -> list[str]:
    code = pair.exit_code
    why = f": {', '.join(pair.regressions)}" if code == ExitCode.PERF_REGRESSION else ""
    lines = [
        f"**{_cell(pair.baseline)}** &rarr; **{_cell(pair.other)}**: "
        f"{_ICON[code]} {_MEANING[code]}{why} (exit {int(code)})",
        "",
        *_table(["check", "verdict", "cases"], _checks(pair, result)),
    ]
    failing = pair.failing_changes
    if failing:
        rows = [[c["kind"], c["case"], c["detail"]] for c in failing[:limit]]
        extra = [f"\n... and {len(failing) - limit} more"] if len(failing) > limit else []
        lines += _details(f"Changed outputs ({len(failing)})",
                          _table(["change", "case", "detail"], rows) + extra)  # fmt: skip
    lines += _changed_cases(pair, limit)
    lines += _where(pair, limit)
    if not pair.memory.empty:
        grown = pair.memory[pair.memory["verdict"] != MEMORY_SAME]
        if not grown.empty:
            rows = [[r["verdict"], r["case"], f"{r['rss_a_bytes'] / 2**20:.2f}",
                     f"{r['rss_b_bytes'] / 2**20:.2f}", f"{r['ratio']:.2f}"]
                    for _, r in grown.head(limit).iterrows()]  # fmt: skip
            lines += _details(
                f"Memory ({len(grown)})", _table(["memory", "case", "A MiB", "B MiB", "B/A"], rows)
            )
    disagree = (
        0 if pair.instructions.empty
        else int(pair.instructions["agreement"].str.startswith("disagree").sum())
    )  # fmt: skip
    if disagree:
        lines += [
            "",
            f"Instructions and wall time disagree on {disagree} cases: the count does "
            "not see cache misses, SIMD width, threads or waiting (see the full report).",
        ]
    return lines


def render_github(
    result: Comparison, *, report: str | None = None, limit: int = 10, max_chars: int = MAX_CHARS
) -> str:
    """The PR-comment Markdown of ``result``.

    Parameters
    ----------
    result
        A comparison (`bench.guard.compare.result.compare`).
    report
        A link or path to the full report (e.g. the CI run's artifact page), shown last.
    limit
        Rows per list of cases.
    max_chars
        Cut the summary (with a note) before it exceeds this many characters.
    """
    code = result.exit_code
    reasons = list(dict.fromkeys(r for p in result.pairs for r in p.regressions))
    why = f": {', '.join(reasons)}" if code == ExitCode.PERF_REGRESSION else ""
    lines = [MARKER, f"### gfbench: {_ICON[code]} {_MEANING[code]}{why} (exit {int(code)})", ""]
    for pair in result.pairs:
        lines += _pair_lines(pair, result, limit)
        lines.append("")
    if report:
        lines.append(f"Full report: {report}")
    text = "\n".join(lines).rstrip() + "\n"
    if len(text) > max_chars:
        cut = text[: max_chars - 200].rsplit("\n", 1)[0]
        text = cut + "\n\n... (cut to fit a comment; see the full report)\n"
    return text


__all__ = ["MARKER", "render_github"]
