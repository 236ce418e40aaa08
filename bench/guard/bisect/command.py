"""Since when? Name the first SciPy release whose behaviour differs from --good.

The verb ``gfbench bisect``: ``add_arguments`` and ``main``; its ``--help`` text is
`HELP`. Why it works this way: docs/attribution.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from packaging.version import Version

from bench.exitcodes import ExitCode, UsageError
from bench.guard.bisect.observe import DEFAULT_GROUPS, METRICS, Observer, Selection, evaluation
from bench.guard.bisect.search import (
    AMBIGUOUS,
    DIFFERS,
    FOUND,
    NO_DIFFERENCE,
    Evaluation,
    SearchResult,
    search,
)
from bench.guard.matrix.candidates import (
    MIN_SCIPY,
    Candidate,
    compatible_wheels,
    default_index,
    index_files,
    parse_candidates,
    parse_numpy_spec,
    parse_version_spec,
    target_tags,
)
from bench.guard.matrix.command import add_candidate_options
from bench.guard.matrix.environments import (
    EnvBuilder,
    choose_installer,
    default_cache_dir,
    project_root,
)
from bench.guard.verify import GROUPS

#: the description ``gfbench bisect --help`` shows (bench.cli reads it)
HELP = """Since when? Name the first SciPy release whose behaviour differs from --good.

Walks the SciPy releases from --good to --bad that have a wheel for this Python on the index
(then any --wheel given, in the order given, after --bad) and bisects them as git bisect and
asv find do, on prebuilt wheels: no build, one cached environment per version (the matrix's
cache, $GFBENCH_CACHE_DIR). In each environment it runs gfbench verify (API probes, argument
forms and golden outputs by default: --group) and, with --grid, an untimed sweep (outputs per
case; --metric instructions adds callgrind counts, --metric time an A/B timing session against
--good), and compares them with --good's the way gfbench compare does. --check keeps only the
checks whose name contains one of its values; --case only one sweep case.

"The first version that differs": the version V whose predecessor in the range was observed to
behave as --good and which was observed to differ (both measured). When the difference lasts up
to --bad this is the first release that differs. A difference that appears and goes away again
is reported per check ("transient": back to --good's behaviour at a later evaluated version);
when --bad itself does not differ, bisection cannot see a change that came and went between
them: the answer is "no lasting difference" (scan every release with gfbench history instead).

A range of n versions is decided in at most ceil(log2(n)) + 1 environments (when every one
builds; a version that cannot be installed is skipped, as git bisect skip does).

Exit codes: 0 --bad does not differ; 1 found (outputs or API); 3 found (instructions or time
only); 4 undecided (skipped versions around the answer, or --good/--bad unusable); 2 usage.

Examples:
  gfbench bisect --good 1.13.1 --bad 1.17.1 --check sigma/array-0d
  gfbench bisect --good 1.11.4 --bad 1.13.1 --numpy 1.26.4
  gfbench bisect --good 1.14.1 --bad 1.15.3 --grid guard --metric instructions
  gfbench bisect --good 1.17.1 --wheel dist/scipy-1.18.0.dev0-...whl --grid quick
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--good",
        required=True,
        metavar="VERSION",
        help="the SciPy release that behaves as expected (the reference)",
    )
    parser.add_argument(
        "--bad",
        default=None,
        metavar="VERSION",
        help="a later release that differs (default: the last --wheel)",
    )
    parser.add_argument(
        "--wheel",
        action="append",
        default=[],
        metavar="WHEEL",
        help="a scipy-*.whl to walk after --bad, in the order given (repeatable)",
    )
    parser.add_argument(
        "--check",
        action="append",
        default=[],
        metavar="TEXT",
        help="only verify checks whose name contains TEXT, e.g. sigma/array-0d "
        "or output/str (repeatable; default: every check)",
    )
    parser.add_argument(
        "--group",
        action="append",
        default=None,
        choices=GROUPS,
        help=f"verify groups to run (default: {', '.join(DEFAULT_GROUPS)})",
    )
    parser.add_argument(
        "--grid", default=None, help="also sweep this grid (untimed) and compare outputs per case"
    )
    parser.add_argument(
        "--case", default=None, metavar="ID", help="only this case of --grid (its case_id)"
    )
    parser.add_argument(
        "--metric",
        choices=METRICS,
        default="outputs",
        help="outputs (default); instructions: also callgrind counts per case "
        "(valgrind); time: also an A/B timing session against --good per step",
    )
    parser.add_argument(
        "--numpy",
        default=None,
        metavar="X.Y.Z",
        help="pin numpy in every environment, so that only SciPy changes",
    )
    add_candidate_options(parser, folder="bisect-<timestamp>/")
    parser.add_argument("--json", action="store_true", help="print bisect.json at the end")


def release_range(
    good: str, bad: str | None, *, python_version: tuple[int, int], index_url: str | None = None
) -> list[str]:
    """The releases from ``good`` to ``bad`` (both included) with a wheel for this Python."""
    url = index_url or default_index()
    listed = compatible_wheels(
        index_files(url, argument="--good/--bad (index)"), target_tags(python_version)
    )
    lo, hi = Version(good), Version(bad) if bad else Version(good)
    wanted_pre = lo.is_prerelease or hi.is_prerelease
    versions = sorted(v for v in listed if lo <= v <= hi and (wanted_pre or not v.is_prerelease))
    for end, name in ((lo, "--good"), (hi, "--bad")):
        if end not in versions:
            near = ", ".join(str(v) for v in sorted(listed)[-4:])
            raise UsageError(
                f"{name} {end}: no SciPy {end} wheel for this Python on {url} "
                f"(newest there: {near})"
            )
    return [str(v) for v in versions]


def bisect(
    *,
    good: str,
    bad: str | None = None,
    wheels: Sequence[str] = (),
    checks: Sequence[str] = (),
    groups: Sequence[str] | None = None,
    grid: str | None = None,
    case: str | None = None,
    metric: str = "outputs",
    numpy: str | None = None,
    out: Path = Path("results"),
    cache_dir: Path | None = None,
    installer: str = "auto",
    versions: Sequence[str] | None = None,
    observe: Callable[[int, Candidate], Evaluation] | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Bisect the SciPy versions from ``good`` to ``bad`` (then ``wheels``); see the module doc.

    ``versions`` replaces the index look-up and ``observe`` the environments (tests); the
    returned dict is what ``bisect.json`` holds.
    """
    good = parse_version_spec(str(good), argument="--good")
    if bad is None and not wheels:
        raise UsageError("--bad: give --bad VERSION, or at least one --wheel to walk after --good")
    if bad is not None:
        bad = parse_version_spec(str(bad), argument="--bad")
        if "latest" in (good, bad) or Version(bad) <= Version(good):
            raise UsageError(f"--bad {bad} must be a release after --good {good}")
    elif good == "latest":
        raise UsageError("--good latest: name a release")
    if metric not in METRICS:
        raise UsageError(f"--metric {metric!r}: allowed {', '.join(METRICS)}")
    if metric != "outputs" and grid is None:
        raise UsageError(f"--metric {metric}: needs --grid (the cases to count or time)")
    if case is not None and grid is None:
        raise UsageError("--case: needs --grid (the grid the case belongs to)")
    if numpy is not None:
        numpy = parse_numpy_spec(numpy)
    unknown = [g for g in (groups or []) if g not in GROUPS]
    if unknown:
        raise UsageError(f"--group {', '.join(unknown)}: allowed {', '.join(GROUPS)}")
    if metric == "instructions":
        from bench.sweep.instructions import check_metric

        check_metric("instructions")
    if grid is not None:
        from bench.sweep.grid import load_grid

        grid = str(Path(grid).resolve()) if Path(grid).is_file() else grid
        cases = load_grid(grid).filtered(impls=["scipy"]).cases
        if case is not None and case not in {c.case_id for c in cases}:
            raise UsageError(f"--case {case}: not a scipy case of --grid {grid}")
    selection = Selection(
        groups=tuple(groups or DEFAULT_GROUPS),
        checks=tuple(checks),
        grid=grid,
        case=case,
        metric=metric,
    )
    builder = None
    if observe is None:
        cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        builder = EnvBuilder(choose_installer(installer), sys.executable, cache_dir, project_root())
    py = builder.python_version if builder else sys.version_info[:2]
    # the walk: releases (from the index unless given), then the wheels in the order given
    if versions is None:
        versions = release_range(good, bad, python_version=py) if bad else [good]
    wheel_cands = parse_candidates(list(wheels), python_version=py) if wheels else []
    cands = [Candidate(spec=v, kind="release", version=v, numpy=numpy) for v in versions]
    cands += [
        Candidate(
            spec=w.spec,
            kind="wheel",
            version=w.version,
            wheel=w.wheel,
            sha256=w.sha256,
            numpy=numpy,
        )
        for w in wheel_cands
    ]
    too_old = [c.spec for c in cands if Version(str(c.version)) < MIN_SCIPY]
    if too_old:
        raise UsageError(f"--good: gfbench supports SciPy >= {MIN_SCIPY}; {too_old[0]} is older")
    labels = [c.spec if c.kind == "release" else Path(c.spec).name for c in cands]
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    work = Path(out) / f"bisect-{stamp}"
    try:
        work.mkdir(parents=True, exist_ok=False)
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot create {work} ({exc})") from exc
    work = work.resolve()
    log(
        f"bisect: {len(cands)} versions from {labels[0]} to {labels[-1]}: at most "
        f"{SearchResult(tuple(labels), '', None, None, ()).bound} environments"
    )

    if observe is None:
        observer = Observer(builder, work, selection, log=log)
        time_options = None
        if metric == "time":
            from bench.guard.stats.sequential_design import SequentialDesign

            time_options = {
                "design": SequentialDesign(min_rounds=3, max_rounds=10, paired=True),
                "budget_s": None,
            }

        def observe(index: int, cand: Candidate) -> Evaluation:
            seen = observer.observe(cand, f"{index:02d}-{_safe(labels[index])}")
            if index == 0:
                observer.good = seen
            return evaluation(observer, seen, is_good=index == 0, time_options=time_options)

    def evaluate(index: int) -> Evaluation:
        log(f"bisect: environment {labels[index]} ...")
        got = observe(index, cands[index])
        log("bisect:   " + _step_text(got))
        return got

    result = search(labels, evaluate)
    record = summarise(result, selection=selection, numpy=numpy)
    (work / "bisect.json").write_text(json.dumps(record, indent=1, default=str))
    record["folder"] = str(work)
    return record


def _safe(label: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in label)[:60]


def _facts_text(facts: dict[str, Any]) -> str:
    parts = []
    if facts.get("numpy"):
        parts.append(f"numpy {facts['numpy']}")
    if facts.get("env"):
        parts.append(f"env {facts['env']} {facts.get('env_s', 0):.1f} s")
    if facts.get("verify_s") is not None:
        parts.append(f"verify {facts['verify_s']:.0f} s")
    if facts.get("sweep_s") is not None:
        parts.append(f"sweep {facts['sweep_s']:.0f} s")
    return ", ".join(parts)


def _step_text(ev: Evaluation, limit: int = 3) -> str:
    head = f"{ev.label}: {ev.status}"
    if ev.facts:
        head += f" ({_facts_text(ev.facts)})"
    if ev.note:
        head += f"; {ev.note}"
    if ev.differences:
        shown = "; ".join(f"{d['check']}: {d['detail']}" for d in ev.differences[:limit])
        more = len(ev.differences) - limit
        head += f": {len(ev.differences)} differences: {shown}" + (
            f" (+{more})" if more > 0 else ""
        )
    return head


def summarise(result: SearchResult, *, selection: Selection, numpy: str | None) -> dict[str, Any]:
    """bisect.json: the answer, each step's evidence, and per-check (non-)monotonicity."""
    evaluated = result.evaluated()
    record: dict[str, Any] = {
        "schema_version": 1,
        "versions": list(result.labels),
        "numpy_pin": numpy,
        "selection": {
            "groups": list(selection.groups),
            "checks": list(selection.checks),
            "grid": selection.grid,
            "case": selection.case,
            "metric": selection.metric,
        },
        "outcome": result.outcome,
        "last_same": None if result.last_same is None else result.labels[result.last_same],
        "first_differs": None
        if result.first_differs is None
        else result.labels[result.first_differs],
        "candidates": list(result.candidates),
        "environments": result.evaluations,
        "bound": result.bound,
        "steps": [
            {
                "step": s.number,
                "version": result.labels[s.index],
                "index": s.index,
                "interval": [result.labels[s.interval[0]], result.labels[s.interval[1]]],
                "status": s.evaluation.status,
                "facts": s.evaluation.facts,
                "note": s.evaluation.note,
                "differences": list(s.evaluation.differences),
            }
            for s in result.steps
        ],
        "transient": [],
        "later": [],
    }
    if result.first_differs is not None:
        k = result.first_differs
        at_answer = {d["check"] for d in evaluated[k].differences}
        for index in sorted(
            i for i in evaluated if i > k and evaluated[i].status in ("same", DIFFERS)
        ):
            there = {d["check"] for d in evaluated[index].differences}
            for check in sorted(at_answer - there):
                record["transient"].append(
                    {
                        "check": check,
                        "differs_at": result.labels[k],
                        "back_at": result.labels[index],
                    }
                )
            for check in sorted(there - at_answer):
                record["later"].append(
                    {
                        "check": check,
                        "same_at": result.labels[k],
                        "differs_at": result.labels[index],
                    }
                )
        # one entry per check: the first evaluated version where it is back / appears
        record["transient"] = list({e["check"]: e for e in reversed(record["transient"])}.values())
        record["later"] = list({e["check"]: e for e in reversed(record["later"])}.values())
    record["exit_code"] = int(_exit_code(result))
    return record


def _exit_code(result: SearchResult) -> ExitCode:
    if result.outcome == NO_DIFFERENCE:
        return ExitCode.OK
    if result.outcome != FOUND:
        return ExitCode.INCONCLUSIVE
    kinds = {d["kind"] for d in result.evaluated()[result.first_differs].differences}
    return ExitCode.PERF_REGRESSION if kinds <= {"time", "instructions"} else ExitCode.CHANGED


def render(record: dict[str, Any], limit: int = 8) -> str:
    """The text ``gfbench bisect`` prints: the steps, the answer, the evidence."""
    lines = [
        f"bisect over {len(record['versions'])} versions "
        f"({record['versions'][0]} .. {record['versions'][-1]})"
        + (f", numpy pinned to {record['numpy_pin']}" if record["numpy_pin"] else "")
    ]
    for step in record["steps"]:
        ev = Evaluation(
            step["version"], step["status"], tuple(step["differences"]), step["note"], step["facts"]
        )
        lines.append(f"  step {step['step']}: {_step_text(ev)}")
    lines.append(
        f"{record['environments']} environments (bound ceil(log2(n)) + 1 = {record['bound']})"
    )
    outcome = record["outcome"]
    if outcome == FOUND:
        lines.append(
            f"first version that differs from {record['versions'][0]}: "
            f"{record['first_differs']} (the one before it, {record['last_same']}, "
            "does not)"
        )
        step = next(s for s in record["steps"] if s["version"] == record["first_differs"])
        for d in step["differences"][:limit]:
            lines.append(f"  {d['kind']}: {d['check']}: {d['detail']}")
        if len(step["differences"]) > limit:
            lines.append(f"  ... {len(step['differences']) - limit} more in bisect.json")
    elif outcome == AMBIGUOUS:
        lines.append(
            f"the first version that differs is one of {', '.join(record['candidates'])}"
            " (the others could not be installed or decided)"
        )
    elif outcome == NO_DIFFERENCE:
        lines.append(
            f"--bad {record['versions'][-1]} does not differ from --good in the selected "
            "checks: no lasting difference (a change that came and went between them "
            "is invisible to bisection; gfbench history scans every release)"
        )
    else:
        lines.append("undecided: --good or --bad could not be installed (see the steps)")
    for e in record["transient"][:limit]:
        lines.append(
            f"  transient: {e['check']} differs at {e['differs_at']} but is back to "
            f"--good's at {e['back_at']}"
        )
    for e in record["later"][:limit]:
        lines.append(
            f"  later change: {e['check']} is as --good's at {e['same_at']} and differs at "
            f"{e['differs_at']} (bisect it: --good {e['same_at']} --check "
            f"{shlex.quote(e['check'].split(' ', 1)[-1])})"
        )
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    log = (lambda msg: print(msg, file=sys.stderr)) if args.json else print
    record = bisect(
        good=args.good,
        bad=args.bad,
        wheels=args.wheel,
        checks=args.check,
        groups=args.group,
        grid=args.grid,
        case=args.case,
        metric=args.metric,
        numpy=args.numpy,
        out=args.out,
        cache_dir=args.cache_dir,
        installer=args.installer,
        log=log,
    )
    if args.json:
        print(json.dumps(record, indent=1, default=str))
    else:
        print(render(record))
        print(f"\nbisect: {record['folder']}/bisect.json")
    return record["exit_code"]
