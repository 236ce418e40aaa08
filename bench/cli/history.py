"""A timeline: every SciPy release side by side, timed in one interleaved session.

The verb ``gfbench history``: ``add_arguments`` and ``main``; its ``--help`` text is
`HELP`. Why it works this way: docs/attribution.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from bench.exitcodes import ExitCode, UsageError
from bench.guard.matrix.command import add_candidate_options
from bench.store.safe_files import write_atomic
from bench.store.validate import checked_json, validate_history
from bench.store.validate.guard_files import HISTORY_MATRIX_PARENT

#: the description ``gfbench history --help`` shows (bench.cli reads it)
HELP = """A timeline: every SciPy release side by side, timed in one interleaved session.

Lists the SciPy releases from --since to --until that have a wheel for this Python on the
index, builds (or reuses) one environment per release (gfbench matrix's cache), runs one
untimed sweep of --grid in each (outputs), then times every case in rounds of
one worker process per environment, all the environments at once and sample by sample (the
A/B session of gfbench matrix), so a busy phase of the machine hits every release alike. It then
draws, per case family, the time per dtype relative to the first release with its 95%
interval, the instruction count when the runs have one, and a marker on every release whose
outputs differ from the one before; numpy's feature release in each environment is marked
too (the resolver picks it per SciPy unless --numpy pins it). Releases older than the
harness supports (SciPy 1.10) are listed as skipped.

Output: OUT/matrix-<timestamp>/ (the matrix, gfbench compare reads it) with history/:
history.md (the table and what it shows), history.csv, history_<family>.png.

Examples:
  gfbench history --since 1.9.2 --grid guard
  gfbench history --since 1.13.0 --until 1.15.3 --numpy 2.2.6 --grid reports/history/grid.toml
"""

HISTORY_FILE = "history.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--since",
        required=True,
        metavar="VERSION",
        help="the oldest SciPy release to include (e.g. 1.9.2)",
    )
    parser.add_argument(
        "--until",
        default=None,
        metavar="VERSION",
        help="the newest release to include (default: the newest listed)",
    )
    parser.add_argument(
        "--grid",
        default="guard",
        help="grid name or TOML path, scipy cases only (default guard; keep it "
        "small: every case is timed in every release)",
    )
    parser.add_argument(
        "--numpy",
        default=None,
        metavar="X.Y.Z",
        help="pin numpy in every environment (releases that cannot take it "
        "are skipped, saying why)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="rounds of worker processes before the first look (default 3)",
    )
    parser.add_argument("--max-rounds", type=int, default=6, help="most rounds (default 6)")
    parser.add_argument(
        "--budget-s",
        type=float,
        default=None,
        metavar="SECONDS",
        help="start no round that would end after this many seconds of timing",
    )
    parser.add_argument(
        "--metric",
        choices=("time", "both"),
        default="time",
        help="time (default), or time and also count each case's instructions under callgrind "
        "(both; needs valgrind): a count repeats to ~0.02%%, so a 1%% step between "
        "releases shows even on a busy machine",
    )
    parser.add_argument(
        "--verify",
        action="store_true",
        help="also run gfbench verify in every environment (slower)",
    )
    add_candidate_options(parser, folder="matrix-<timestamp>/", installer=False)


def releases(since: str, until: str | None) -> tuple[list[str], list[str]]:
    """(releases to time, releases skipped because the harness needs SciPy >= 1.10)."""
    from bench.guard.matrix.candidates import (
        MIN_SCIPY,
        compatible_wheels,
        default_index,
        index_files,
        target_tags,
    )

    try:
        lo = Version(since)
        hi = Version(until) if until else None
    except InvalidVersion as exc:
        raise UsageError(f"--since/--until: {exc}; use X.Y.Z, e.g. --since 1.9.2") from exc
    if hi is not None and hi < lo:
        raise UsageError(f"--until {until} is older than --since {since}")
    listed = compatible_wheels(
        index_files(default_index(), argument="--since (index)"), target_tags()
    )
    chosen = sorted(
        v for v in listed if not v.is_prerelease and v >= lo and (hi is None or v <= hi)
    )
    if not chosen:
        raise UsageError(f"--since {since}: no SciPy release with a wheel for this Python there")
    too_old = [str(v) for v in chosen if v < MIN_SCIPY]
    return [str(v) for v in chosen if v >= MIN_SCIPY], too_old


def history(
    *,
    since: str,
    until: str | None = None,
    grid: str = "guard",
    numpy: str | None = None,
    rounds: int = 3,
    max_rounds: int = 6,
    budget_s: float | None = None,
    metric: str = "time",
    verify: bool = False,
    out: Path = Path("results"),
    cache_dir: Path | None = None,
    versions: Sequence[str] | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Time every release in one session and draw the timeline; returns what history.json holds.

    ``versions`` replaces the index look-up (tests).
    """
    from bench.guard.matrix.run import run_matrix

    if versions is None:
        versions, too_old = releases(since, until)
    else:
        too_old = []
    if len(versions) < 2:
        raise UsageError(f"--since {since}: {len(versions)} release to time; a timeline needs two")
    for name in too_old:
        log(f"history: SciPy {name}: skipped, the harness needs SciPy >= 1.10 (radius=, axes=)")
    load_before = os.getloadavg()
    started = dt.datetime.now(dt.timezone.utc)
    log(
        f"history: {len(versions)} releases {versions[0]} .. {versions[-1]} "
        f"(load {load_before[0]:.1f}) ..."
    )
    matrix_dir = run_matrix(
        scipy=list(versions),
        grid=grid,
        out=out,
        rounds=rounds,
        max_rounds=max_rounds,
        budget_s=budget_s,
        timing="cases",
        metric=metric,
        impl=["scipy"],
        cache_dir=cache_dir,
        run_verify=verify,
        numpy=[numpy] if numpy else [],
        log=log,
    )
    load_after = os.getloadavg()
    return draw(
        matrix_dir,
        meta={
            "since": since,
            "until": until,
            "grid": grid,
            "numpy_pin": numpy,
            "metric": metric,
            "skipped_too_old": too_old,
            "started_at": started.isoformat(timespec="seconds"),
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in load_after],
            "cores": os.cpu_count(),
        },
    )


def draw(matrix_dir: Path, *, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """The timeline of an existing matrix folder: history/ with the table, sentences, plots."""
    from tabulate import tabulate

    from bench.guard.compare.sides import load_sides
    from bench.guard.compare.timeline import UNIT_WORDS, describe, timeline_table
    from bench.guard.stats.round_units import MIN
    from bench.report.plots.timeline import timeline_figures

    matrix = json.loads((matrix_dir / "matrix.json").read_text())
    sides = load_sides([matrix_dir])
    table = timeline_table(sides)
    if table.empty:
        raise UsageError(f"{matrix_dir}: no case was timed in every environment")
    folder = matrix_dir / "history"
    figures = timeline_figures(table, folder)
    table.drop(columns=["changed_cases"]).to_csv(folder / "history.csv", index=False)
    sentences = describe(table)
    gate = gate_table(sides)
    skipped = [
        f"{e['spec']}: {e['status']} ({(e.get('error') or '')[:120]})"
        for e in matrix["environments"]
        if e["status"] != "ok"
    ]
    meta = dict(meta or {})
    rows = [
        [
            r.version,
            r.numpy,
            r.family,
            r.dtype,
            r.cases,
            f"{r.ms:.3f}",
            "-" if r.ms_low is None else f"[{r.ms_low:.3f}, {r.ms_high:.3f}]",
            f"{r.ratio:.3f}",
            r.rounds,
            "-" if r.instructions is None else f"{r.instructions:.4g}",
            r.outputs_changed or "",
        ]
        for r in table.itertuples()
    ]
    text = tabulate(
        rows,
        headers=[
            "version",
            "numpy",
            "family",
            "dtype",
            "cases",
            "ms (geomean)",
            "95% interval",
            "vs first",
            "rounds",
            "instructions",
            "outputs changed",
        ],
        tablefmt="github",
    )
    md = [
        "# gaussian_filter across SciPy releases",
        "",
        f"Matrix: `{matrix_dir.name}` (grid `{_shown(matrix['grid'])}`), timed in one interleaved "
        f"session; {len(sides)} environments.",
        "",
        f"A release's time in one round: {UNIT_WORDS[table.attrs['unit']]}"
        + (
            f"; except {', '.join(table.attrs['unpaired'])}, whose rounds do not pair pass by "
            f"pass: {UNIT_WORDS[MIN]}."
            if table.attrs["unpaired"]
            else "."
        ),
        "",
    ]
    if meta.get("load_before"):
        md += [
            f"Machine load (1-min average) before/after: {meta['load_before'][0]} / "
            f"{meta['load_after'][0]} on {meta['cores']} cores.",
            "",
        ]
    if meta.get("skipped_too_old"):
        md += [
            f"Not timed (the harness needs SciPy >= 1.10): {', '.join(meta['skipped_too_old'])}.",
            "",
        ]
    if skipped:
        md += ["Not timed: " + "; ".join(skipped), ""]
    md += ["## What it shows", "", *[f"- {s}" for s in sentences], ""]
    md += [
        "## The gate, every release against the first",
        "",
        "`gfbench compare`'s verdicts per case (the session's sequential looks, threshold 10%):",
        "",
        gate,
        "",
        "## Table",
        "",
        text,
        "",
    ]
    md += [f"![{p.stem}]({p.name})" for p in figures]
    (folder / "history.md").write_text("\n".join(md) + "\n")
    record = {
        **meta,
        # relative to history.json's folder ("..": the matrix holding history/): the folder
        # travels between machines, and load_history resolves and checks them there
        "matrix": os.path.relpath(matrix_dir, folder),
        "sentences": sentences,
        "figures": [p.relative_to(folder).as_posix() for p in figures],
        "skipped": skipped,
        "table": json.loads(table.to_json(orient="records")),
    }
    history_file = folder / HISTORY_FILE
    write_atomic(history_file, checked_json(record, validate_history, file=history_file))
    # not in the file: what main prints
    return {**record, "text": text, "folder": folder}


@dataclasses.dataclass(frozen=True)
class HistoryFile:
    """A ``history.json`` read back, its paths resolved on this machine and checked."""

    record: dict[str, Any]
    #: the matrix the timeline was drawn from (holds matrix.json)
    matrix_dir: Path
    figures: tuple[Path, ...]


def load_history(path: str | Path) -> HistoryFile:
    """Read ``history.json``; its relative paths resolved against its own folder.

    Raises
    ------
    FileError
        A field is not what `draw` writes: an absolute or climbing path (e.g. a file from
        before paths were relative, or from elsewhere), a matrix folder without matrix.json.
    """
    from bench.store.validate import FileError, child_path, read_json_object

    path = Path(path)
    data = validate_history(read_json_object(path, what="history file"), file=path)
    folder = path.parent.resolve()
    if data["matrix"] == HISTORY_MATRIX_PARENT:
        matrix_dir = folder.parent
    else:
        matrix_dir = child_path(folder, data["matrix"], what=f"{path}: matrix")
    if not (matrix_dir / "matrix.json").is_file():
        raise FileError(path, f"{data['matrix']!r}: no matrix.json there", field="matrix")
    figures = tuple(child_path(folder, name, what=f"{path}: figures") for name in data["figures"])
    return HistoryFile(record=data, matrix_dir=matrix_dir, figures=figures)


def _shown(path: str) -> str:
    """A grid path relative to the working folder when it lies inside it (no home paths)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path


def gate_table(sides) -> str:
    """Per release, the compare gate's verdict counts against the first release (Markdown)."""
    from tabulate import tabulate

    from bench.guard.compare.result import compare_sides
    from bench.guard.stats import verdicts

    rows = []
    for side in sides[1:]:
        counts = compare_sides(sides[0], side).verdict_counts()
        rows.append([side.label, *(counts.get(v, 0) for v in verdicts.VERDICTS)])
    return tabulate(rows, headers=["release", *verdicts.VERDICTS], tablefmt="github")


def main(args: argparse.Namespace) -> int:
    record = history(
        since=args.since,
        until=args.until,
        grid=args.grid,
        numpy=args.numpy,
        rounds=args.rounds,
        max_rounds=args.max_rounds,
        budget_s=args.budget_s,
        metric=args.metric,
        verify=args.verify,
        out=args.out,
        cache_dir=args.cache_dir,
    )
    print(record["text"])
    print("\n" + "\n".join(f"- {s}" for s in record["sentences"]))
    print(f"\nhistory: {record['folder'] / 'history.md'}")
    return ExitCode.OK
