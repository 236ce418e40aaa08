"""Render a run as a report: Markdown tables, PNG plots and a self-contained HTML page.

The verb ``gfbench report``: ``add_arguments`` and ``main``; its ``--help`` text is
`HELP`. Why it works this way: docs/report.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.exitcodes import ExitCode, UsageError
from bench.report.model import Paragraph
from bench.store.safe_files import check_not_link

#: the description ``gfbench report --help`` shows (bench.cli reads it)
HELP = """Render a run as a report: Markdown tables, PNG plots and a self-contained HTML page.

Examples:
  gfbench report results/20261127T093000Z-quick
  gfbench report results                       # the latest run in results/
  gfbench report results/RUN --out reports/example --force   # replace an existing report
  gfbench report results/RUN --format md
  gfbench report results/RUN --json            # paths, files, warnings, what is missing
  gfbench report results/RUN --budget-grey-levels 0.5 --budget-abs 1e-6

The report folder holds report.md, index.html (CSS inline, images embedded, no external
references) and the PNG plots. A missing or empty run, or one written by an older schema,
is refused with exit code 2, and so is an --out folder that already holds a report, unless
--force, or whose parent folder is missing. Without --out the report goes to the run's own
folder reports/<run-id>/; rendering the same run again replaces it.
"""

FORMATS = ("md", "html")
PLOT_FILES = (
    "time_vs_pixels.png",
    "time_vs_sigma.png",
    "roofline.png",
    "error_vs_sigma.png",
    "integer_errors.png",
    "border_vs_interior.png",
    "pareto.png",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the ``gfbench report`` options."""
    from bench.report.document import BUDGET_ABS, BUDGET_GREY_LEVELS

    parser.add_argument(
        "run", metavar="RUN", help="a run folder (holding run.json and cases.jsonl)"
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        type=Path,
        default=None,
        help="report folder; its parent must exist (default: reports/<run-id>, the run's "
        "own folder, whose report a new rendering of the same run replaces)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace the report files already in the report folder (refused otherwise)",
    )
    parser.add_argument(
        "--format",
        default="md,html",
        help="comma-separated output formats among: md, html (default: md,html)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print where the report is, its files, warnings and what is missing, as JSON",
    )
    parser.add_argument(
        "--budget-grey-levels",
        metavar="LEVELS",
        type=float,
        default=BUDGET_GREY_LEVELS,
        help="error budget of the recommendation for integer outputs, in grey levels "
        f"(default {BUDGET_GREY_LEVELS:g})",
    )
    parser.add_argument(
        "--budget-abs",
        metavar="ERROR",
        type=float,
        default=BUDGET_ABS,
        help=f"error budget for float outputs, absolute on 0..255 data (default {BUDGET_ABS:g})",
    )


def parse_formats(text: str) -> tuple[str, ...]:
    """``"md,html"`` -> ``("md", "html")``; anything else is a :class:`UsageError`."""
    chosen = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    unknown = [f for f in chosen if f not in FORMATS]
    if not chosen or unknown:
        raise UsageError(
            f"--format: {text!r} is not valid; allowed values: comma-separated {', '.join(FORMATS)}"
        )
    return chosen


@dataclass(frozen=True)
class Rendered:
    """What one rendering wrote: the main page, the folder, the files, and what the report
    warns about or could not show."""

    path: Path
    out_dir: Path
    files: tuple[str, ...]
    warnings: tuple[str, ...]
    missing: tuple[str, ...]
    findings: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {
            "report": str(self.path),
            "out_dir": str(self.out_dir),
            "files": list(self.files),
            "warnings": list(self.warnings),
            "missing": list(self.missing),
            "findings": list(self.findings),
        }


def main(args: argparse.Namespace) -> int:
    """CLI entry point: render, then print where the report is."""
    rendered = render(
        Path(args.run),
        out_dir=args.out,
        formats=parse_formats(args.format),
        budget_grey_levels=args.budget_grey_levels,
        budget_abs=args.budget_abs,
        force=args.force,
    )
    if args.json:
        print(json.dumps(rendered.to_json(), indent=1))
    else:
        print(f"report: {rendered.path}")
    return ExitCode.OK


def check_run(run_path: Path) -> tuple[Path, dict]:
    """Refuse what the reporter cannot read, naming the problem; return the run folder and
    its run.json.

    Raises
    ------
    bench.exitcodes.UsageError
        No run folder, run.json unreadable or of another schema version (from
        :mod:`bench.store`), or no cases.
    """
    from bench import store

    run_dir = store.resolve_run(run_path, option="RUN")
    meta = store.load_run_meta(run_dir)
    cases = run_dir / store.CASES_FILE
    if not cases.is_file() or not cases.read_bytes().strip():
        raise UsageError(f"RUN: {run_dir} holds no cases ({cases.name} is missing or empty)")
    return run_dir, meta


def _bigarray_result(run_dir: Path):
    """The run's ``bigarray.json`` (written by ``gfbench bigarray --out RUN``), if any."""
    path = run_dir / "bigarray.json"
    if not path.exists():
        return None
    from bench.sweep import bigarray

    try:
        return bigarray.load(path)
    except (ValueError, KeyError, OSError) as exc:
        from bench.store.safe_text import one_line

        print(f"gfbench report: warning: ignoring {path}: {one_line(exc, 500)}", file=sys.stderr)
        return None


def render_report(
    run_path: Path,
    *,
    out_dir: Path | None = None,
    formats: Sequence[str] = FORMATS,
    budget_grey_levels: float | None = None,
    budget_abs: float | None = None,
    force: bool = False,
) -> Path:
    """Render the report of one run; return ``index.html`` (``report.md`` without HTML).

    The Python API of ``gfbench report``; see :func:`render` for the parameters.
    """
    return render(
        run_path,
        out_dir=out_dir,
        formats=formats,
        budget_grey_levels=budget_grey_levels,
        budget_abs=budget_abs,
        force=force,
    ).path


def render(
    run_path: Path,
    *,
    out_dir: Path | None = None,
    formats: Sequence[str] = FORMATS,
    budget_grey_levels: float | None = None,
    budget_abs: float | None = None,
    force: bool = False,
) -> Rendered:
    """Render the report of one run.

    Parameters
    ----------
    run_path : pathlib.Path
        The run folder.
    out_dir : pathlib.Path, optional
        The report folder, created if missing (its parent must exist). Default
        ``reports/<run-id>``, the run's own folder: a report already there is replaced.
    formats : sequence of {"md", "html"}
        What to write besides the PNGs.
    budget_grey_levels, budget_abs : float, optional
        Error budgets of the recommendation (integer outputs in grey levels, float outputs
        absolute); defaults in :mod:`bench.report.document`.
    force : bool
        Replace the report files already in a given ``out_dir``; without it such a folder is
        refused (UsageError) before anything is rendered.

    Returns
    -------
    Rendered
        ``path`` is ``index.html`` when HTML was written, else ``report.md``.
    """
    from bench import store
    from bench.report import document, html, markdown

    formats = parse_formats(",".join(formats))
    budgets = {
        "budget_grey_levels": document.BUDGET_GREY_LEVELS
        if budget_grey_levels is None
        else budget_grey_levels,
        "budget_abs": document.BUDGET_ABS if budget_abs is None else budget_abs,
    }
    for name, value in budgets.items():
        if not (math.isfinite(value) and value >= 0):
            raise UsageError(
                f"--{name.replace('_', '-')}: must be a finite number >= 0, got {value}"
            )
    from bench.outputs import check_out_dir
    from bench.store.validate import child_path

    run_dir, meta = check_run(Path(run_path))
    default_out = out_dir is None
    if default_out:  # run_id is untrusted: it matched IDENTIFIER on load; stay in reports/
        out_dir = child_path("reports", meta["run_id"], what=f"{run_dir / 'run.json'}: run_id")
    frame = store.load(run_dir)  # validates every row before anything is created
    if frame.empty:
        raise UsageError(f"RUN: {run_dir} holds no readable cases")
    outputs = ("report.md", "index.html", *PLOT_FILES)
    if default_out and any((out_dir / name).exists() for name in outputs):
        # reports/<run-id> is this run's own folder, which the user never chose: rendering the
        # same run again (README: `report RUN`, then `report results`) replaces its report.
        # Only a folder the user named (--out) is protected by --force.
        print(f"gfbench report: replacing this run's report in {out_dir}", file=sys.stderr)
    out_dir = check_out_dir(
        out_dir, force=force or default_out, outputs=outputs, create_parents=default_out
    )
    try:
        probe = tempfile.TemporaryDirectory(dir=out_dir, prefix=".render-")
    except OSError as exc:
        raise UsageError(f"--out: cannot write the report into {out_dir}: {exc}") from None
    # Render into a scratch folder beside the target, then move: a failed render leaves the
    # previous report whole.
    with probe as scratch:
        scratch_dir = Path(scratch)
        from bench.report.reference import load_verify

        doc = document.build_document(
            frame,
            meta,
            scratch_dir,
            bigarray=_bigarray_result(run_dir),
            verify=load_verify(run_dir),
            **budgets,
        )
        written = {figure.path.name for figure in doc.figures()}
        if "md" in formats:
            (scratch_dir / "report.md").write_text(markdown.render(doc), encoding="utf-8")
        if "html" in formats:
            (scratch_dir / "index.html").write_text(html.render(doc), encoding="utf-8")
        for name in PLOT_FILES:
            if name not in written:  # a plot this run cannot draw must not linger from before
                (out_dir / name).unlink(missing_ok=True)
        files = sorted(p.name for p in scratch_dir.iterdir())
        for name in files:
            # a rename within out_dir: it replaces a link at the target, never writes through
            # it (shutil.move would move *into* a linked folder)
            check_not_link(out_dir / name)
            os.replace(scratch_dir / name, out_dir / name)
    _warn_missing(frame)
    return Rendered(
        path=out_dir / ("index.html" if "html" in formats else "report.md"),
        out_dir=out_dir,
        files=tuple(files),
        warnings=tuple(doc.paragraphs("warning")),
        missing=tuple(doc.paragraphs("missing")),
        findings=tuple(
            b.text for b in doc.section(document.SUMMARY).blocks if isinstance(b, Paragraph)
        ),
    )


def _warn_missing(frame) -> None:
    ok = int((frame["status"] == "ok").sum()) if "status" in frame else 0
    if ok == 0:
        print(
            "gfbench report: warning: no case of this run succeeded; the report lists the "
            "errors and says what is missing",
            file=sys.stderr,
        )
