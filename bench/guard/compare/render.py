"""What ``gfbench compare`` shows and writes: the text report, compare.json/.md and plots."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
from tabulate import tabulate as _tabulate

from bench.exitcodes import ExitCode
from bench.guard.compare.correctness import CHANGE_KINDS_FAILING
from bench.guard.compare.memory import SAME as MEMORY_SAME
from bench.guard.compare.result import Comparison, PairResult
from bench.guard.stats import verdicts as gate
from bench.store.safe_files import write_atomic
from bench.store.safe_text import markdown_fence, one_line, terminal


def _table(rows, headers, tablefmt: str = "simple") -> str:
    """tabulate, with every cell and header one line of inert text (labels, reasons and versions
    come from results files: no ANSI, CR or newline faking a line, at most 300 characters)."""
    return _tabulate(
        [
            [c if c is None or isinstance(c, (int, float)) else one_line(c, 300) for c in row]
            for row in rows
        ],
        headers=[one_line(h, 300) for h in headers],
        tablefmt=tablefmt,
    )


def _ratio_text(row: pd.Series) -> str:
    high = "inf" if not math.isfinite(row["ci_high"]) else f"{row['ci_high']:.2f}"
    return f"{row['ratio']:.3f} [{row['ci_low']:.2f}, {high}]"


def render_text(result: Comparison, *, limit: int = 30, tablefmt: str = "simple") -> str:
    """Human-readable report: per pair, environment, changes, API differences, timing."""
    out: list[str] = []
    for pair in result.pairs:
        out.append(one_line(f"== {pair.baseline}  ->  {pair.other} =="))
        sides = {side.label: side for side in result.sides}
        for role, label in (("A", pair.baseline), ("B", pair.other)):
            side = sides.get(label)
            if side is not None and side.built_from:
                out.append(f"{role} built from: {side.built_from}")
        if "env_vars" in pair.environment:
            shown = [" ".join(f"{k}={v}" for k, v in pair.environment["env_vars"][x].items())
                     or "(none)" for x in ("a", "b")]  # fmt: skip
            out.append(one_line(f"environment variables: {shown[0]} -> {shown[1]}"))
        versions = pair.environment.get("versions", {})
        if versions:
            out.append(
                one_line(
                    "environment: "
                    + ", ".join(f"{k} {v['a']} -> {v['b']}" for k, v in versions.items())
                )
            )
        for note in pair.notes:
            out.append(one_line(f"note: {note}"))
        if pair.api:
            out.append("\nAPI features that differ:")
            out.append(
                _table(
                    [[d["probe"], d["a"], d["b"]] for d in pair.api],
                    headers=["probe", pair.baseline, pair.other],
                    tablefmt=tablefmt,
                )
            )
        failing = pair.failing_changes
        other_changes = [c for c in pair.changes if c["kind"] not in CHANGE_KINDS_FAILING]
        out.append(
            f"\ncorrectness: {pair.cases_compared} cases compared, "
            f"{len(failing)} changed, {len(other_changes)} not comparable/missing"
        )
        shown = failing + other_changes
        if shown:
            out.append(
                _table(
                    [[c["kind"], c["case"], c["detail"]] for c in shown[:limit]],
                    headers=["change", "case", "detail"],
                    tablefmt=tablefmt,
                )
            )
            if len(shown) > limit:
                out.append(f"... and {len(shown) - limit} more (--limit, or --json for all)")
        if not pair.perf.empty:
            counts = pair.verdict_counts()
            out.append(
                f"\nperformance ({len(pair.perf)} timed cases, threshold "
                f"{result.threshold:.0%}, FDR {result.alpha:g}): "
                + ", ".join(f"{n} {v}" for v, n in counts.items())
            )
            by_impl = (
                pair.perf.assign(log_ratio=np.log(pair.perf["ratio"]))
                .groupby(["impl", "dtype"], dropna=False)["log_ratio"]
                .mean()
            )
            out.append(
                _table(
                    [[impl, dtype, f"{math.exp(v):.3f}"] for (impl, dtype), v in by_impl.items()],
                    headers=["impl", "dtype", "geomean ratio B/A"],
                    tablefmt=tablefmt,
                )
            )
            notable = pair.perf[pair.perf["verdict"] != gate.SAME].sort_values(
                "ratio", ascending=False
            )
            if not notable.empty:
                # every verdict explained: ratio, interval, rounds (units) used, and why
                out.append(
                    _table(
                        [
                            [
                                r["verdict"],
                                r["case"],
                                f"{r['best_a_ns'] / 1e6:.3f}",
                                f"{r['best_b_ns'] / 1e6:.3f}",
                                _ratio_text(r),
                                f"{r['n_a']}+{r['n_b']} {r['unit']}",
                                r["reason"],
                            ]
                            for _, r in notable.head(limit).iterrows()
                        ],
                        headers=[
                            "verdict",
                            "case",
                            "best A ms",
                            "best B ms",
                            "ratio [interval]",
                            "units (rounds)",
                            "why",
                        ],
                        tablefmt=tablefmt,
                    )
                )
                if len(notable) > limit:
                    out.append(f"... and {len(notable) - limit} more")
        out.extend(_memory_lines(pair, result.memory_threshold, limit=limit, tablefmt=tablefmt))
        if not pair.instructions.empty:
            out.extend(_instructions_text(pair.instructions, pair, limit, tablefmt))
        out.extend(_where_text(pair, limit, tablefmt))
        code = pair.exit_code
        why = (
            f", reason: {' and '.join(pair.regressions)}"
            if code == ExitCode.PERF_REGRESSION
            else ""
        )
        out.append(f"\nverdict: {code.name.lower()} (exit {int(code)}{why})\n")
    if result.factors:
        from bench.guard.compare.factors import render_factors

        out.append(render_factors(result.factors, limit=min(limit, 5)) + "\n")
    code = result.exit_code
    reasons = dict.fromkeys(r for pair in result.pairs for r in pair.regressions)
    why = f": {', '.join(reasons)}" if code == ExitCode.PERF_REGRESSION else ""
    out.append(f"overall: {code.name.lower()} (exit {int(code)}){why}")
    return "\n".join(out)


def _memory_lines(pair: PairResult, threshold: float, *, limit: int, tablefmt: str) -> list[str]:
    """The memory section: counts, then every case that is not "same", with A, B, ratio, floor."""
    if pair.memory.empty:
        return []
    counts = pair.memory_counts()
    floor = float(pair.memory["floor_bytes"].max())
    out = [
        f"\nmemory ({len(pair.memory)} cases, native peak RSS growth per call, threshold "
        f"{threshold:.0%}, floor {floor / 2**20:.1f} MiB): "
        + ", ".join(f"{n} {v}" for v, n in counts.items())
    ]
    notable = pair.memory[pair.memory["verdict"] != MEMORY_SAME].sort_values(
        "ratio", ascending=False
    )
    if not notable.empty:
        out.append(
            _table(
                [
                    [
                        r["verdict"],
                        r["case"],
                        f"{r['rss_a_bytes'] / 2**20:.2f}",
                        f"{r['rss_b_bytes'] / 2**20:.2f}",
                        f"{r['ratio']:.2f}",
                        r["reason"],
                    ]
                    for _, r in notable.head(limit).iterrows()
                ],
                headers=["memory", "case", "A MiB", "B MiB", "B/A", "why"],
                tablefmt=tablefmt,
            )
        )
        if len(notable) > limit:
            out.append(f"... and {len(notable) - limit} more")
    return out


def _instructions_text(
    frame: pd.DataFrame, pair: PairResult, limit: int, tablefmt: str
) -> list[str]:
    """The instruction-count table: every case that is not "same", or disagrees with time."""
    counts = pair.instruction_counts()
    lines = [
        f"\ninstructions ({len(frame)} counted cases, deterministic): "
        + ", ".join(f"{n} {v}" for v, n in counts.items())
    ]
    lines += _misses_text(frame)
    notable = frame[(frame["verdict"] != gate.SAME) | frame["agreement"].str.startswith("dis")]
    if notable.empty:
        return lines
    rows = [
        [
            r["verdict"],
            r["case"],
            f"{r['instructions_a']:,.0f}",
            f"{r['instructions_b']:,.0f}",
            f"{r['ratio']:.4f}",
            _entry_text(r),
            "" if pd.isna(r["time_ratio"]) else f"{r['time_ratio']:.3f} {r['time_verdict']}",
            r["agreement"],
        ]
        for _, r in notable.sort_values("ratio", ascending=False).head(limit).iterrows()
    ]
    headers = ["verdict", "case", "instr A", "instr B", "ratio", "native core", "wall time",
               "agreement"]  # fmt: skip
    lines.append(_table(rows, headers=headers, tablefmt=tablefmt))
    if len(notable) > limit:
        lines.append(f"... and {len(notable) - limit} more")
    return lines


def _where_text(pair: PairResult, limit: int, tablefmt: str) -> list[str]:
    """Per case slower on instructions: the functions whose counts changed most, A vs B."""
    from bench.guard.compare.where import HEADERS, UNITS, case_heading, table_rows

    if not pair.where:
        return []
    on_time = sum(entry.get("slower_on") == "time" for entry in pair.where)
    which = f"{len(pair.where) - on_time} cases slower on instructions" + (
        f", {on_time} slower on time alone" if on_time else ""
    )
    lines = [
        f"\nwhere ({which}; the functions whose own count changed most; self: the function "
        "alone, incl.: with its callees):"
    ]
    for entry in pair.where[:limit]:
        lines += ["", one_line(case_heading(entry))]
        for kind in ("native", "python"):
            if entry[kind]:
                lines.append(f"{UNITS[kind]}:")
                lines.append(_table(table_rows(entry[kind]), headers=HEADERS, tablefmt=tablefmt))
        lines.extend(one_line(f"missing: {text}") for text in entry["missing"])
        if entry.get("note"):
            lines.append(one_line(entry["note"]))
    if len(pair.where) > limit:
        lines.append(f"... and {len(pair.where) - limit} more cases (--limit, or --json)")
    return lines


def _misses_text(frame: pd.DataFrame) -> list[str]:
    """The cache misses of ``--cache-sim`` runs beside the verdict: the range of B/A per level
    over the counted cases, and the cases whose misses moved most (no verdict of their own)."""
    lines = []
    for level, column in (("L1", "l1_ratio"), ("last-level", "ll_ratio")):
        if column not in frame:
            continue
        ratios = frame[column].dropna().astype(float)
        if ratios.empty:
            continue
        worst = frame.loc[(ratios - 1).abs().idxmax()]
        lines.append(
            f"cache misses per call, {level} (valgrind's model cache, --cache-sim): B/A "
            f"{ratios.min():.4f}-{ratios.max():.4f} over {len(ratios)} cases; most moved: "
            f"{worst['case']} {worst[column]:.4f}"
        )
    return lines


def _entry_text(row: pd.Series) -> str:
    """The native core's ratio and where the change sits (whole-call counts only)."""
    ratio = row.get("entry_ratio")
    if ratio is None or pd.isna(ratio):
        return ""
    where = row.get("where")
    return f"{ratio:.4f}" + (f"; {where}" if isinstance(where, str) and where else "")


def write_outputs(result: Comparison, out_dir: Path) -> list[Path]:
    """Write compare.json, compare.md, github.md and per-family timing plots into ``out_dir``."""
    from bench.guard.compare import (
        plots as compare_plots,  # matplotlib is slow to import: only for --out
    )

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    json_path = out_dir / "compare.json"
    # temporaries under random names, renamed over the targets: never written through a link
    write_atomic(json_path, json.dumps(result.to_dict(), indent=2, default=str))
    md_path = out_dir / "compare.md"
    text = terminal(render_text(result, limit=10**6), limit=50 * 2**20)
    fence = markdown_fence(text)  # longer than any backtick run in a label: cannot be closed
    write_atomic(md_path, f"# gfbench compare\n\n{fence}\n{text}\n{fence}\n")
    # the short Markdown a CI job posts as a PR comment and job summary (--format github)
    from bench.guard.compare.github import render_github

    github_path = out_dir / "github.md"
    write_atomic(github_path, render_github(result, report=str(out_dir / "compare.md")))
    written += [json_path, md_path, github_path]
    written += compare_plots.plot_time_per_version(result.sides, out_dir)
    return written
