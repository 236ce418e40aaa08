"""The main job: verify SciPy, then the quick sweep, then the report.

The verb ``gfbench run``: ``add_arguments`` and ``main``; its ``--help`` text is
`HELP`. Why it works this way: docs/usage.md.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.guard.verify import render, suite_dir, verify
from bench.store.validate import checked_json, validate_verify

#: the description ``gfbench run --help`` shows (bench.cli reads it)
HELP = """The main job: verify SciPy, then the quick sweep, then the report.

``gfbench run`` runs ``gfbench verify`` (the reference suite), then ``gfbench sweep`` on the quick
grid (results in ``results/``, which git ignores), then ``gfbench report`` into
``reports/<run-id>/``, and ends with a short summary and the path of the report's index.html.

examples:
  gfbench run
  gfbench run --grid full
  gfbench run --json

exit codes: 0 ok, 1 verification found a change (the sweep and report still run),
2 usage error, 5 gfbench failed (a crash or a full disk: one line and the path of the
traceback), 130 interrupted (the report of the cases measured so far is still written).
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--grid", default="quick", metavar="NAME|PATH", help="sweep grid (default: quick)"
    )
    parser.add_argument(
        "--results", default="results", metavar="DIR", help="results folder (default: results)"
    )
    parser.add_argument(
        "--reports", default="reports", metavar="DIR", help="reports folder (default: reports)"
    )


def run(
    *,
    as_json: bool = False,
    grid: str | Path = "quick",
    results: str | Path = "results",
    reports: str | Path = "reports",
) -> int:
    """Run the main job and print its summary; return the exit code."""
    from bench.exitcodes import ExitCode
    from bench.outputs import check_out_dir, check_parent
    from bench.report.command import render as render_report
    from bench.store import check_writable
    from bench.sweep import run_sweep

    # both output folders before minutes of verify and sweep (issue 10); a missing parent
    # folder is exit 2, like every --out
    check_parent(results, option="--results")
    check_writable(results)
    check_out_dir(reports, option="--reports")
    result = verify()
    if not as_json:
        print(render(result))
        print()
        print(f"reference suite: {suite_dir()}")
        print(f"golden records:  {suite_dir() / 'data'}")
        print("details:         gfbench verify --json   (re-record on purpose: --update-golden)")
        print()
    sweep = run_sweep(grid=grid, out=results, progress=not as_json)
    # the report's reference section reads the verify result from the run folder
    verify_file = sweep.run_dir / "verify.json"
    verify_file.write_text(
        checked_json(result.document, validate_verify, file=verify_file) + "\n", encoding="utf-8"
    )
    rendered = render_report(sweep.run_dir, out_dir=Path(reports) / sweep.run_dir.name)
    index = rendered.path
    code = int(result.exit_code)
    if sweep.status == "interrupted":
        code = int(ExitCode.INTERRUPTED)
    if as_json:
        document = {
            "verify": result.document,
            "sweep": sweep.to_json(),
            "report": str(index),
            "findings": list(rendered.findings),
            "exit_code": code,
        }
        print(json.dumps(document, indent=1, default=str))
        return code
    _print_summary(sweep)
    print()
    for line in rendered.findings:
        print(f"- {line}")
    print()
    print(f"verify: exit code {int(result.exit_code)}; sweep: {sweep.status}, run {sweep.run_dir}")
    print(f"report: {index}")
    return code


def _print_summary(sweep) -> None:
    from tabulate import tabulate

    rows = [
        [
            s["impl"],
            s["ok"],
            s["unsupported"] + s["unavailable"] + s["error"],
            s["unstable"],
            "-" if s["speed_vs_scipy"] is None else f"{s['speed_vs_scipy']:.2f}x",
        ]
        for s in sweep.summary
    ]
    headers = ["impl", "ok", "not run", "unstable", "speed vs scipy (geo. mean)"]
    print(tabulate(rows, headers=headers))


def main(args: argparse.Namespace) -> int:
    return run(as_json=args.json, grid=args.grid, results=args.results, reports=args.reports)
