"""Assemble the report's sections from a run's DataFrame and run.json metadata."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from bench.report import findings as findings_mod
from bench.report import frames, pitfalls, plots, reference, tables
from bench.report.model import Document, Paragraph, Section, Table

# Error budgets for the recommendation, on the 0..255 inputs every case uses (bench.sweep.inputs):
# one grey level is the smallest visible step of an integer image; 1e-3 is a thousandth of a
# grey level, loose enough for float32 (~1e-5 on this data) and tight enough to exclude
# approximations such as Pillow's box blurs.
BUDGET_GREY_LEVELS = 1.0
BUDGET_ABS = 1e-3


def build_document(
    df: pd.DataFrame,
    meta: Mapping,
    out_dir: Path,
    *,
    budget_grey_levels: float = BUDGET_GREY_LEVELS,
    budget_abs: float = BUDGET_ABS,
    bigarray: pd.DataFrame | None = None,
    verify: Mapping | None = None,
) -> Document:
    """Build every section; plots are written into ``out_dir`` as they are made.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per case, as :func:`bench.store.load` returns it.
    meta : Mapping
        The run's ``run.json``.
    out_dir : pathlib.Path
        The report folder (must exist).
    budget_grey_levels, budget_abs : float
        Error budgets of the recommendation for integer and float outputs.
    bigarray : pandas.DataFrame, optional
        ``bench.sweep.bigarray.load()`` of the run folder's ``bigarray.json``, when there is one.
    verify : Mapping, optional
        The run folder's ``verify.json`` (``bench.report.reference.load_verify``); the
        reference section shows the documented example with or without it.
    """
    frame = frames.prepare(df)
    run_id = str(meta.get("run_id") or "unknown run")
    budgets = {"budget_grey_levels": budget_grey_levels, "budget_abs": budget_abs}
    return Document(
        title=f"gfbench report: {run_id}",
        sections=(
            _answer_section(frame, out_dir, **budgets),
            _run_section(frame, meta),
            _speed_section(frame, meta, out_dir),
            _accuracy_section(
                frame, out_dir, budget_grey_levels=budget_grey_levels, budget_abs=budget_abs
            ),
            *([_bigarray_section(bigarray)] if bigarray is not None else []),
            _pitfalls_section(frame),
            reference.reference_section(None if verify is None else dict(verify)),
        ),
    )


def _bigarray_section(result: pd.DataFrame) -> Section:
    """Per mode: does dask-image on a chunked array equal SciPy (``gfbench bigarray``)?"""
    spec = result.attrs.get("bigarray", {}).get("spec", {})
    equal = result[result["equals_scipy"].astype(bool)]["mode"].tolist()
    differ = result[~result["equals_scipy"].astype(bool)]
    blocks: list = [
        Paragraph(
            f"dask-image on a chunked array (shape {spec.get('shape')}, chunks "
            f"{spec.get('chunks')}, {spec.get('dtype')}, sigma {spec.get('sigma')}), every "
            "output block checked against SciPy on its overlapping tile. Equal to SciPy bit for "
            f"bit: {', '.join(equal) if equal else 'no mode'}."
        )
    ]
    for row in differ.itertuples():
        where = (
            "all within one kernel radius of the array edge"
            if int(row.n_diff_interior) == 0
            else f"{int(row.n_diff_interior)} of them away from the edges"
        )
        blocks.append(
            Paragraph(
                f"{row.mode}: differs from SciPy in {int(row.n_diff_pixels)} pixels ({where}), "
                f"by up to {float(row.max_abs_diff):.4g}.",
                "warning",
            )
        )
    headers = ("mode", "equals SciPy", "max |diff|", "pixels differing", "away from edges")
    rows = tuple(
        (
            str(r.mode),
            "yes" if bool(r.equals_scipy) else "no",
            f"{float(r.max_abs_diff):.4g}",
            str(int(r.n_diff_pixels)),
            str(int(r.n_diff_interior)),
        )
        for r in result.itertuples()
    )
    blocks.append(Table("Chunked filtering vs SciPy, per mode", headers, rows))
    return Section("Big arrays (dask-image, chunked)", tuple(blocks))


SUMMARY = "What should I use?"


def _answer_section(
    frame: pd.DataFrame, out_dir: Path, *, budget_grey_levels: float, budget_abs: float
) -> Section:
    """The report's opening: the recommendation table, the findings with their evidence, the
    Pareto plot and the integer-pitfall plot."""
    budgets = {"budget_grey_levels": budget_grey_levels, "budget_abs": budget_abs}
    answer_list = findings_mod.answers(frame, **budgets)
    blocks: list = []
    if answer_list:
        blocks.append(
            tables.to_table(
                findings_mod.recommendation_frame(answer_list),
                "Recommendation: fastest implementation within the error budget, per dtype",
            )
        )
    blocks += [Paragraph(text) for text in findings(frame, **budgets)]
    blocks.append(plots.pareto(frame, out_dir, **budgets))
    errors, description = pitfalls.integer_error_samples(frame)
    blocks.append(plots.integer_histograms(errors, frame, out_dir, description))
    return Section(SUMMARY, tuple(blocks))


def findings(frame: pd.DataFrame, *, budget_grey_levels: float, budget_abs: float) -> list[str]:
    """The report's headline sentences, each computed from the prepared frame with its evidence.

    Per output dtype (and size/sigma band where the answer changes): the fastest implementation
    within the error budget, whether SciPy meets the budget, and the fastest overall; then the
    budgets explained, the wide-sigma crossover, SciPy's uint8 bias, SciPy's float32-vs-float64
    speed (with its spread, or as not established) and how many rows were unstable.
    """
    lines = []
    bias = pitfalls.run_integer_bias(frame)
    scipy_bias = bias.get("run_bias_mean[scipy]")
    found = findings_mod.answers(
        frame, budget_grey_levels=budget_grey_levels, budget_abs=budget_abs
    )
    for answer in found:
        lines.append(
            findings_mod.sentence(
                answer, scipy_bias=scipy_bias if answer.dtype == "uint8" else None
            )
        )
    if found:
        lines.append(findings_mod.budget_text(budget_grey_levels, budget_abs))
    lines += findings_mod.crossovers(frame)
    if "run_bias_mean[scipy]" in bias:
        lines.append(
            f"SciPy uint8 blurs (order 0) are biased by {bias['run_bias_mean[scipy]']:+.3f} grey "
            f"levels on average over {bias['run_cases[scipy]']} cases (truncation toward zero)."
        )
    ratio = findings_mod.ratio_finding(
        pitfalls.speed_ratios(frame, "scipy", "float32"),
        "SciPy float32 speed relative to float64 (same cases)",
    )
    if ratio:
        lines.append(ratio)
    unstable = tables.unstable_table(frame)
    if len(unstable):
        lines.append(
            f"{int(unstable['unstable'].sum())} of {len(frames.timed_rows(frame))} timed rows "
            f"are flagged unstable: compare minimum times, or rerun on a quieter machine."
        )
    if not lines:
        lines.append("This run holds no successful rows to summarise.")
    return lines


def _run_section(frame: pd.DataFrame, meta: Mapping) -> Section:
    grid = meta.get("grid") or {}
    grid_name = grid.get("name", "unnamed") if isinstance(grid, Mapping) else str(grid)
    blocks: list = [
        Paragraph(
            f"Run {meta.get('run_id')} of grid {grid_name!s}, started {meta.get('started_at')}, "
            f"finished {meta.get('finished_at') or 'never (still running or interrupted)'}: "
            f"{len(frame)} rows, {int((frame['status'] == 'ok').sum())} ok."
        )
    ]
    if meta.get("status") != "complete":
        blocks.append(
            Paragraph(
                f"The run's status is {meta.get('status')!s}, not complete: some cases of the grid "
                f"are missing from this report.",
                "warning",
            )
        )
    unstable = tables.unstable_table(frame)
    timed = frames.timed_rows(frame)
    if len(unstable):
        blocks.append(
            Paragraph(
                f"{int(unstable['unstable'].sum())} of {len(timed)} timed rows are flagged "
                f"unstable by the sweep: treat their times with caution.",
                "warning",
            )
        )
        blocks.append(tables.to_table(unstable, "Unstable measurements per implementation"))
        blocks.append(
            tables.to_table(tables.unstable_rows(frame), "Unstable rows, each with its reason")
        )
    if timed.empty:
        blocks.append(Paragraph("This run holds no timing (no ok rows with times).", "missing"))
    setup: list = [
        tables.to_table(tables.environment_table(meta), "Environment"),
        tables.to_table(tables.grid_table(meta), "Grid"),
    ]
    groups = tables.grid_groups_table(meta, frame)
    if len(groups):
        setup.append(tables.to_table(groups, "Grid groups"))
    blocks.append(Section("Environment and grid", tuple(setup), level=3, collapsed=True))
    blocks.append(tables.to_table(tables.status_table(frame), "Rows per implementation and status"))
    hosts = _hosts_table(frame, meta)
    if hosts is not None:
        blocks.append(hosts)
    problems = tables.problems_table(frame)
    if len(problems):
        blocks.append(tables.to_table(problems, "Cases that did not run, and why"))
    if (frame["status"] == "ok").sum() == 0:
        blocks.append(
            Paragraph(
                "No case of this run succeeded: there is nothing to time or judge. The speed and "
                "accuracy sections are empty; the pitfalls below are measured when the report is "
                "rendered and do not depend on the run.",
                "missing",
            )
        )
    return Section("Run", tuple(blocks))


def _hosts_table(frame: pd.DataFrame, meta: Mapping) -> Table | None:
    """Rows per machine, when a distributed sweep ran on more than one host."""
    if "host" not in frame.columns or frame["host"].nunique() < 2:
        return None
    machines = meta.get("machines") or {}
    rows = []
    for host, group in frame.groupby("host"):
        info = machines.get(host, {}) if isinstance(machines, Mapping) else {}
        cpu = (info.get("cpu") or {}).get("model", "") if isinstance(info, Mapping) else ""
        bandwidth = info.get("bandwidth_gbs") if isinstance(info, Mapping) else None
        rows.append(
            (
                str(host),
                str(len(group)),
                str(int((group["status"] == "ok").sum())),
                str(cpu),
                f"{float(bandwidth):.1f}" if bandwidth else "",
            )
        )
    return Table(
        "Rows per machine (times compare only within one machine)",
        ("host", "rows", "ok", "CPU", "copy GB/s"),
        tuple(rows),
    )


def _speed_section(frame: pd.DataFrame, meta: Mapping, out_dir: Path) -> Section:
    speed = tables.speed_table(frame)
    blocks: list = []
    if speed.empty:
        blocks.append(Paragraph("No timed rows: no speed summary.", "missing"))
    else:
        blocks.append(
            Paragraph(
                "Per implementation and dtype: the median over cases of each case's median time, "
                "the smallest per-case minimum, the median throughput, the geometric-mean "
                "speedup over SciPy float64 on the cases both ran, and the median fraction of the "
                "machine's time bound (1 = as fast as memory bandwidth or compute allows)."
            )
        )
        blocks.append(tables.to_table(speed, "Speed summary"))
    blocks += [
        plots.time_vs_pixels(frame, out_dir),
        plots.time_vs_sigma(frame, out_dir),
        plots.roofline(frame, out_dir, meta),
    ]
    return Section("Speed", tuple(blocks))


def _accuracy_section(
    frame: pd.DataFrame, out_dir: Path, *, budget_grey_levels: float, budget_abs: float
) -> Section:
    accuracy = tables.accuracy_table(frame)
    blocks: list = []
    if accuracy.empty:
        blocks.append(Paragraph("No rows carry an accuracy measurement.", "missing"))
    else:
        blocks.append(
            tables.to_table(accuracy, "Accuracy against the oracle (order 0, worst over cases)")
        )
    derivatives = tables.accuracy_table(frame, derivatives=True)
    if len(derivatives):
        blocks.append(
            tables.to_table(
                derivatives, "Accuracy of derivative orders (order > 0, worst over cases)"
            )
        )
    blocks.append(plots.error_vs_sigma(frame, out_dir))
    border = tables.border_table(frame)
    if len(border):
        blocks.append(
            tables.to_table(border, "Interior error and border error per mode (worst, order 0)")
        )
    blocks.append(plots.border_vs_interior(frame, out_dir))
    recommendations = tables.recommendation_table(
        frame, budget_grey_levels=budget_grey_levels, budget_abs=budget_abs
    )
    if recommendations.empty:
        blocks.append(
            Paragraph("No rows carry both timing and accuracy: no recommendation.", "missing")
        )
    else:
        blocks.append(
            Paragraph(
                f"Recommendation: for each dtype, size and sigma, the fastest implementation "
                f"whose worst error stays within the budget: {budget_grey_levels:g} grey level(s) "
                f"for integer outputs, {budget_abs:g} (absolute, on 0..255 data) for float "
                f"outputs. Times are medians over the group's modes; errors the worst of them."
            )
        )
        blocks.append(tables.to_table(recommendations, "Fastest implementation within budget"))
    other = frames.accuracy_rows(frame)
    other = other[frames.output_dtype_differs(other)]
    if len(other):
        pairs = sorted({f"{r.impl} {r.dtype} (returns {r.out_dtype})" for r in other.itertuples()})
        blocks.append(
            Paragraph(
                "Not recommended for their dtype, because they return another one: "
                + "; ".join(pairs)
                + "."
            )
        )
    return Section("Accuracy", tuple(blocks))


def _pitfalls_section(frame: pd.DataFrame) -> Section:
    intro = Paragraph(
        "Each pitfall below shows a minimal snippet and what it printed when this report was "
        "rendered, the consequence (measured then, or taken from this run's rows), and the fix."
    )
    found = pitfalls.all_pitfalls(frame)
    return Section("Pitfalls", (intro, *(p.section() for p in found)))
