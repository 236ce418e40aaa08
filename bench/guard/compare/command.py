"""Diff runs or verify results across SciPy versions or machines, with a statistical gate.

The verb ``gfbench compare``: ``add_arguments`` and ``main``; its ``--help`` text is
`HELP`. Why it works this way: docs/compare.md.
"""

# The verb only: the model and compare() are in bench.guard.compare.result, the sides in
# bench.guard.compare.sides, the timing gate in bench.guard.compare.timing, the text and files
# in bench.guard.compare.render.

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench.exitcodes import UsageError
from bench.guard.compare.factors import attach_factors
from bench.guard.compare.instructions import DEFAULT_INSTRUCTIONS_THRESHOLD
from bench.guard.compare.memory import DEFAULT_MEMORY_THRESHOLD
from bench.guard.compare.render import render_text, write_outputs
from bench.guard.compare.result import DEFAULT_MAX_INCONCLUSIVE, compare
from bench.guard.compare.where import DEFAULT_WHERE_TOP
from bench.guard.stats import verdicts as gate

#: the description ``gfbench compare --help`` shows (bench.cli reads it)
HELP = """Diff runs or verify results across SciPy versions or machines, with a statistical gate.

The first argument is the baseline; every other one is compared against it.

An argument may be:
  a run folder        (holds run.json + cases.jsonl, from `gfbench sweep`)
  a verify result     (the JSON file of `gfbench verify --json`)
  a matrix env folder (holds env.json: its verify.json and one run per round)
  a matrix folder     (holds matrix.json: expands to each environment, in order)

Correctness, per case: identical output hash? If not, how far did the accuracy
move (max_abs_error, ulps, grey levels, bias)? Did the output dtype or the status
change? Do API probes differ (accepted/raised, exception type, message)?

Performance, per case: time ratio B/A of the workers' minimum times (the worker process
is the unit), with its interval, the rounds used and why: "slower" needs a Benjamini-
Hochberg q below the alpha of that look AND a ratio >= 1 + --threshold; "same" needs the
whole interval within +-threshold; otherwise "inconclusive", saying which bound is missing.
Runs of one A/B session (gfbench matrix) replay the session's sequential looks. Runs timed
at different times are compared on their raw worker minima in one look; where the reference
workload every worker timed moved by the threshold or more, the machine changed speed and no
case is called slower or faster. Only an A/B session decides across time.

Memory, per case: the growth of the resident high-water mark over one call
(peak_rss_bytes, native buffers included), B/A; "more memory" (a regression)
needs B/A - 1 > --memory-threshold AND B - A above a 4 MiB floor.

Instructions, per case counted on both sides (runs swept with `--metric instructions`):
ratio B/A of the instructions per call inside the implementation's entry symbols; it is
deterministic, so no noise model: "slower" when >= 1 + --instructions-threshold (default 1%).
Those cases are decided by their instruction count; their wall time is shown beside, and
the report says where the two disagree. For each case slower on instructions (and, for runs
both counted and timed, each counted case slower on time alone), the functions whose counts
changed most (--where-top N): native ones from the callgrind profiles the runs kept
(callgrind_annotate), Python ones from the bytecode tallies kept beside them.

Exit codes: 0 ok; 1 outputs, dtypes or API behaviour changed; 2 usage error;
3 performance regression (slower in time or instructions, or more memory: the reason is
printed); 4 inconclusive (more than --max-inconclusive of the timed cases could not be decided).

Examples:
  gfbench compare results/run-a results/run-b
  gfbench compare results/matrix-20260101T000000        # every env vs the first
  gfbench compare old-verify.json new-verify.json --json
  gfbench compare A B --threshold 0.05 --out compare-report/
  gfbench compare results/matrix-* --format github --report "$RUN_URL" > comment.md
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="baseline first, then the runs/verify results to compare with it",
    )
    parser.add_argument(
        "--threshold",
        type=float,
        default=gate.DEFAULT_THRESHOLD,
        help="smallest slowdown that counts as a regression (default 0.10 = 10%%)",
    )
    parser.add_argument(
        "--alpha",
        type=float,
        default=gate.DEFAULT_ALPHA,
        help="false discovery rate across cases (default 0.05)",
    )
    parser.add_argument(
        "--max-inconclusive",
        type=float,
        default=DEFAULT_MAX_INCONCLUSIVE,
        help="fraction of timed cases that may be inconclusive before exit 4 (default 0.05)",
    )
    parser.add_argument(
        "--memory-threshold",
        type=float,
        default=DEFAULT_MEMORY_THRESHOLD,
        help="smallest growth of a case's peak memory that counts as a regression "
        "(default 0.20 = 20%%; it must also exceed a 4 MiB floor)",
    )
    parser.add_argument(
        "--instructions-threshold",
        type=float,
        default=DEFAULT_INSTRUCTIONS_THRESHOLD,
        metavar="FRACTION",
        help="smallest growth of a case's instruction count that is a regression "
        "(default 0.01 = 1%%; runs swept with --metric instructions)",
    )
    parser.add_argument(
        "--where-top",
        type=int,
        default=DEFAULT_WHERE_TOP,
        metavar="N",
        help="for each case slower on instructions, list the N native and N Python functions "
        "whose counts changed most, from the profiles the runs kept (default 10; 0: none)",
    )
    parser.add_argument("--limit", type=int, default=30, help="rows per table (default 30)")
    parser.add_argument(
        "--out", type=Path, default=None, help="also write compare.json, compare.md and plots here"
    )
    parser.add_argument(
        "--force", action="store_true", help="replace compare.json/compare.md already in --out"
    )
    parser.add_argument(
        "--format",
        choices=("text", "json", "github"),
        default=None,
        help="text (default); json (as --json); github: a short Markdown summary for a pull "
        "request comment or a job summary (verdict, changed outputs, slower and faster cases, "
        "memory, instructions, a link to the full report)",
    )
    parser.add_argument(
        "--report",
        default=None,
        metavar="URL_OR_PATH",
        help="with --format github: where the full report is (e.g. the CI run's artifacts)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def main(args: argparse.Namespace) -> int:
    from bench.outputs import check_out_dir
    from bench.store.safe_text import terminal

    if args.limit < 1:
        raise UsageError(f"--limit must be >= 1, got {args.limit}")
    if args.out is not None:  # before any work, like every verb's --out
        check_out_dir(
            args.out, force=args.force, outputs=("compare.json", "compare.md", "github.md")
        )
    result = compare(
        args.paths,
        threshold=args.threshold,
        alpha=args.alpha,
        max_inconclusive=args.max_inconclusive,
        memory_threshold=args.memory_threshold,
        instructions_threshold=args.instructions_threshold,
        where_top=args.where_top,
    )
    attach_factors(result)  # SciPy or numpy? only when numpy varies across the sides
    if args.out is not None:
        written = write_outputs(result, args.out)
        print(f"wrote {len(written)} files to {args.out}", file=sys.stderr)
    fmt = args.format or ("json" if args.json else "text")
    if args.json and fmt != "json":
        raise UsageError(f"--json and --format {fmt}: choose one")
    if fmt == "json":
        print(json.dumps(result.to_dict(), indent=2, default=str))
    elif fmt == "github":
        from bench.guard.compare.github import render_github

        print(render_github(result, report=args.report, limit=min(args.limit, 10)), end="")
    else:  # labels and reasons come from results files: no ANSI, CR or other controls
        print(terminal(render_text(result, limit=args.limit), limit=50 * 2**20))
    return int(result.exit_code)
