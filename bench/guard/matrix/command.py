"""Run verify and sweep in one isolated environment per SciPy candidate.

The verb ``gfbench matrix``: ``add_arguments`` and ``main``; its ``--help`` text is
`HELP`. Why it works this way: docs/ci.md.
"""

# The verb only: the run is bench.guard.matrix.run, what matrix.json records and the summary
# table bench.guard.matrix.record, the plan and folder bench.guard.matrix.plan and .folder.

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench.exitcodes import ExitCode
from bench.guard.matrix.plan import METRICS
from bench.guard.matrix.record import own_exit, summary_table, worst_exit
from bench.guard.matrix.run import run_matrix
from bench.guard.stats.sequential_design import SequentialDesign

#: the description ``gfbench matrix --help`` shows (bench.cli reads it)
HELP = """Run verify and sweep in one isolated environment per SciPy candidate.

A candidate (--scipy) is a release (1.17.1), a pre-release (1.18.0rc1, 1.18.0.dev0), 'latest',
a wheel file or a folder holding one (a pull request's build), a version found on another
index (--index-url / --extra-index-url, e.g. a nightly channel), or 'current' (this
interpreter's SciPy, nothing built). Every value is checked before anything is built; bad
input exits 2. Each environment (bench.guard.matrix.environments: uv, else venv + pip; cached under
~/.cache/gfbench/envs or $GFBENCH_CACHE_DIR) holds that SciPy, a numpy the resolver picks
and this checkout's harness. env.json records what it was built from (wheel name + sha256,
or index URL), the resolved version, the variables set (--env, or SPEC,NAME=VALUE), the
build time and every installed package. A build that fails is reported, not fatal.

Timing (--timing cases, the default): each environment runs one untimed sweep
(outputs, dtypes, accuracy), then the cases are timed in an A/B session: a round is one
long-lived worker process per environment, and every still-open case is timed in shuffled
passes, each environment taking one sample in turn (in a random order per case), so a busy
phase of a shared machine hits every version alike (asv #595) and a round's units are a
pair. Sequential looks start after --rounds rounds (default 3)
and follow every round up to --max-rounds; a decided case leaves the next rounds. With
--timing sweeps, whole timed sweeps run N times per environment instead, A B A B
with --interleave (default when N > 1); --timing none runs the untimed sweeps only.
compare treats every round's worker as one unit: with one round it can say "same",
never "slower".

Instructions (--metric instructions, or both): the untimed sweep of each environment also
counts every case under callgrind (valgrind), the whole call from Python, switched on and off
by valgrind client requests; deterministic, so a busy shared runner gives the same verdict as
a quiet one. compare decides the counted cases on their instruction ratio (1% threshold) and
shows wall time beside them (--metric both). Use a small grid: --grid guard.

Output: DIR/matrix-<timestamp>/matrix.json and one folder per environment
(env.json, verify.json, runs/<run_id>/).

Exit code, with or without --compare: the verdict of `gfbench compare` on the matrix folder
(every environment against the first: 1 changed, 3 slower, 4 inconclusive, 0 same), combined
with what the matrix saw itself: 1 when the reference suite failed in an environment, 4 when
an environment's sweep did not finish. An environment that could not be built is exit 5
(gfbench failed: that version was never tested), before any comparison. Otherwise the worst
wins: 1, then 3, then 4. --compare also prints the comparison and writes
MATRIX/compare/ (compare.md, compare.json, plots); without it one verdict line is printed.

Examples:
  gfbench matrix --scipy 1.10.1 --scipy 1.14.1 --scipy latest
  gfbench matrix --scipy latest --scipy dist/ --compare          # a PR's wheel vs the release
  gfbench matrix --scipy 1.17.1 --scipy 1.17.1,SCIPY_ARRAY_API=1 --compare
  gfbench matrix --scipy latest --scipy dist/ --grid guard --metric both --compare
  gfbench matrix --scipy 1.12.0 --scipy 1.13.1 --numpy 1.26.4 --numpy 2.2.6   # numpy as a factor
  gfbench matrix --scipy latest --scipy 1.18.0.dev0 \
      --extra-index-url https://pypi.anaconda.org/scientific-python-nightly-wheels/simple
  gfbench compare results/matrix-20260101T120000Z"""


def add_candidate_options(
    parser: argparse.ArgumentParser, *, folder: str, installer: bool = True
) -> None:
    """The options every verb that builds candidate environments shares (matrix, bisect,
    history): where its ``folder`` goes, the environment cache and the installer."""
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("results"),
        help=f"parent folder of {folder} (default results)",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="where environments are cached (default $GFBENCH_CACHE_DIR, else "
        "~/.cache/gfbench/envs)",
    )
    if installer:
        parser.add_argument(
            "--installer",
            default="auto",
            choices=("auto", "uv", "pip"),
            help="auto: uv (a gfbench dependency; else on PATH), else venv + pip",
        )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scipy",
        action="append",
        required=True,
        metavar="SCIPY",
        help="a release (1.17.1), pre-release (1.18.0rc1, 1.18.0.dev0), 'latest', 'current' "
        "(this interpreter's SciPy, nothing built), or a scipy-*.whl file or a folder holding "
        "one; append ,NAME=VALUE to set variables in that environment only. Repeat per "
        "environment; the first is the baseline",
    )
    parser.add_argument(
        "--index-url",
        default=None,
        metavar="URL",
        help="look SciPy versions up on this index instead of the default one (PEP 503); "
        "dependencies still come from the default index",
    )
    parser.add_argument(
        "--extra-index-url",
        action="append",
        default=[],
        metavar="URL",
        help="also look SciPy versions up here, e.g. a nightly-wheels channel (repeatable)",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a variable in every environment under test (e.g. SCIPY_ARRAY_API=1); "
        "recorded in env.json and shown by compare",
    )
    parser.add_argument(
        "--numpy",
        action="append",
        default=[],
        metavar="X.Y.Z",
        help="pin numpy in the environments (repeatable): with several, every --scipy is built "
        "once per numpy (the cross product); pairs the installer cannot co-install are skipped, "
        "saying why. compare then attributes each change to SciPy or numpy",
    )
    parser.add_argument("--grid", default="quick", help="sweep grid name or TOML path (quick)")
    add_candidate_options(parser, folder="matrix-<timestamp>/")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="rounds before the first sequential look; a round is one long-lived worker "
        "process per environment timing every open case (default 3; with --timing sweeps: "
        "timed sweeps per environment)",
    )
    parser.add_argument(
        "--max-rounds",
        type=int,
        default=SequentialDesign.max_rounds,
        help="most rounds: one look after each round from --rounds on; cases still undecided "
        f"then are inconclusive (default {SequentialDesign.max_rounds})",
    )
    parser.add_argument(
        "--budget-s",
        type=float,
        default=None,
        metavar="SECONDS",
        help="start no round that would end after this many seconds of timing (default: "
        "only --max-rounds limits); undecided cases are then inconclusive",
    )
    parser.add_argument(
        "--threshold",
        type=float,
        default=SequentialDesign.threshold,
        help="smallest slowdown that counts, as a fraction (default 0.10); 'same' means the "
        "interval lies within it",
    )
    parser.add_argument(
        "--timing",
        choices=("cases", "sweeps", "none"),
        default="cases",
        help="cases: untimed sweeps, then each case timed in alternating worker processes of "
        "the environments (default); sweeps: whole timed sweeps per round; none: untimed "
        "sweeps only (outputs, dtypes, accuracy; no performance verdict)",
    )
    parser.add_argument(
        "--metric",
        choices=METRICS,
        default="time",
        help="time: the A/B timing session decides (default); instructions: each environment "
        "counts every case's instructions per call under callgrind, the whole call (Python and "
        "native) with the native entry symbols' share beside it, and no timing session "
        "(deterministic: for shared CI runners; needs valgrind); both: the counts decide the "
        "counted cases and the A/B session's wall time stands beside them",
    )
    parser.add_argument(
        "--cache-sim",
        action="store_true",
        help="with --metric instructions or both: callgrind's cache simulation too, each "
        "case's L1 and last-level misses per call beside its instruction count (valgrind's "
        "model cache, not this CPU's; no verdict of its own)",
    )
    parser.add_argument(
        "--interleave",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="run rounds A B A B (default: on when --rounds > 1)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=None,
        help="with --timing sweeps: worker processes per case, passed to gfbench sweep",
    )
    parser.add_argument(
        "--impl", action="append", default=None, help="implementations to sweep (default scipy)"
    )
    parser.add_argument(
        "--python",
        default=None,
        help="interpreter to build the environments from (default: this one)",
    )
    parser.add_argument("--no-verify", action="store_true", help="skip gfbench verify")
    parser.add_argument("--no-sweep", action="store_true", help="skip gfbench sweep")
    parser.add_argument(
        "--compare",
        action="store_true",
        help="print the comparison of the environments and write its report to "
        "MATRIX/compare/ (compare.md, compare.json, plots); the exit code is the comparison's "
        "verdict with or without it",
    )
    parser.add_argument("--json", action="store_true", help="print matrix.json at the end")


def main(args: argparse.Namespace) -> int:
    from bench.outputs import progress  # progress to stderr, results to stdout
    from bench.store.safe_text import redact_url, terminal

    def log(msg: str) -> None:
        # credentials in an index URL (https://user:password@host/) never reach a log
        progress(terminal(redact_url(str(msg))))

    matrix_dir = run_matrix(
        scipy=args.scipy,
        grid=args.grid,
        out=args.out,
        rounds=args.rounds,
        max_rounds=args.max_rounds,
        budget_s=args.budget_s,
        threshold=args.threshold,
        interleave=args.interleave,
        timing=args.timing,
        metric=args.metric,
        cache_sim=args.cache_sim,
        processes=args.processes,
        impl=args.impl or ["scipy"],
        python=args.python,
        cache_dir=args.cache_dir,
        installer=args.installer,
        run_verify=not args.no_verify,
        run_sweep=not args.no_sweep,
        index_url=args.index_url,
        extra_index_urls=args.extra_index_url,
        env=args.env,
        numpy=args.numpy,
        log=log,
    )
    record = json.loads((matrix_dir / "matrix.json").read_text())
    show_record(args, matrix_dir, record)
    own = own_verdict(record)
    early = exit_before_comparing(args, record, own)
    if early is not None:
        return early
    return compare_step(args, matrix_dir, own)


def show_record(args: argparse.Namespace, matrix_dir: Path, record: dict) -> None:
    """What the matrix did: matrix.json (``--json``) or its summary table, on stdout."""
    if args.json:
        print(json.dumps(record, indent=1))
    else:
        print(summary_table(matrix_dir))
        print(f"\nmatrix: {matrix_dir}\nnext: gfbench compare {matrix_dir}")


def own_verdict(record: dict) -> int:
    """The matrix's own exit code (`own_exit`), its reasons on stderr."""
    own, why = own_exit(record)
    for line in why:
        print(f"matrix: {line}", file=sys.stderr)
    return own


def exit_before_comparing(args: argparse.Namespace, record: dict, own: int) -> int | None:
    """The exit code when there is nothing to compare (or an environment was never built)."""
    from bench.store.safe_text import terminal

    ok = [e for e in record["environments"] if e["status"] == "ok"]
    failed = [e for e in record["environments"] if e["status"] == "install-failed"]
    if failed:
        # an environment under test that does not exist was not tested: never a pass (issue 20)
        names = ", ".join(terminal(e["spec"], 200) for e in failed)
        print(
            f"matrix: failed (exit 5): {len(failed)} environment(s) could not be built: {names} "
            "(the error column says why)",
            file=sys.stderr,
        )
        return ExitCode.FAILED
    if len(ok) < 2:
        if args.compare:
            print("matrix: --compare needs two environments that completed", file=sys.stderr)
            return worst_exit(own, ExitCode.INCONCLUSIVE)
        return own if ok else worst_exit(own, ExitCode.INCONCLUSIVE)
    if args.no_verify and args.no_sweep:
        return own  # nothing was measured: nothing to compare
    return None


def compare_step(args: argparse.Namespace, matrix_dir: Path, own: int) -> int:
    """Every environment against the first: the comparison's verdict joins the matrix's own.

    The comparison's verdict is matrix's exit code with or without --compare (issue 18): a
    matrix that exits 0 while `gfbench compare` of its folder fails would mislead a CI job.
    """
    from bench.guard.compare.factors import attach_factors
    from bench.guard.compare.result import compare

    result = attach_factors(compare([matrix_dir], threshold=args.threshold))
    code = worst_exit(own, int(result.exit_code))
    if args.compare:
        from bench.guard.compare.render import render_text, write_outputs

        print(render_text(result))
        # the report a CI job uploads: compare.json, compare.md and the timing plots
        written = write_outputs(result, matrix_dir / "compare")
        print(f"compare: {written[1]}")
    else:
        print(
            f"verdict: exit {code} ({ExitCode(code).name.lower()}); what changed: "
            f"gfbench compare {matrix_dir}",
            file=sys.stderr if args.json else sys.stdout,
        )
    return code
