"""Issue 22's session targets: does the instruction verdict of ``gfbench matrix`` hold up, session
after session, with a CPU-bound process running beside it?

Three scenarios, each compared against SciPy 1.17.1 (the release, built from PyPI):

- ``aa``: an unchanged repack of the same wheel (``tests/scipy_wheels.py`` "unchanged"): every
  case must be "same";
- ``python-work``: a repack whose ``gaussian_filter1d`` runs a Python loop first (~30% more
  instructions, "python-work"): every case "slower", and nothing else;
- ``native-work``: a repack whose ``gaussian_filter`` filters the first 5% of axis 0 again
  ("native-work"): every case "slower", and nothing else.

A session is one ``gfbench matrix --metric instructions --timing none --no-verify --compare``
on the guard grid's SciPy cases (the command and counting path a user runs), with the release
first and one repack per scenario still missing for that session after it: the release's count
is shared by the scenarios of one session (4 environments counted, not 6). A ``python -c
'while True: pass'`` process runs beside every session. Each scenario's result is one JSON line
appended to ``--out`` as soon as its session ends, so an interrupted run resumes where it
stopped: a (session, scenario) already in the file is skipped (lines with an ``error`` are
retried).

Usage (one session is about 5-15 minutes on the 2 shared cores, load-dependent):
    nice -n 10 python scripts/measure_instruction_sessions.py --sessions 20 \\
        --out results/instruction-sessions.jsonl --work results/instruction-sessions
    python scripts/measure_instruction_sessions.py --summary results/instruction-sessions.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _header import load, print_header

REPO = Path(__file__).resolve().parent.parent
HOG = "while True: pass"
#: scenario -> (tests/scipy_wheels.py variant, which cases the change reaches)
SCENARIOS: dict[str, tuple[str, str]] = {
    "aa": ("unchanged", "none"),
    "python-work": ("python-work", "all"),
    "native-work": ("native-work", "all"),
}


# -- the results file: resume and summary (no gfbench needed) ---------------------------------


def read_lines(path: Path) -> list[dict]:
    """Every session line of ``path`` (none when it does not exist); a torn last line (the
    process killed mid-write) is ignored."""
    if not path.is_file():
        return []
    lines = []
    for text in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(text)
        except ValueError:
            continue
        if isinstance(record, dict) and "session" in record and "scenario" in record:
            lines.append(record)
    return lines


def done(lines: Iterable[dict]) -> set[tuple[int, str]]:
    """(session, scenario) pairs with a result: those are skipped when the run resumes."""
    return {(int(r["session"]), str(r["scenario"])) for r in lines if not r.get("error")}


def todo(
    lines: Iterable[dict], sessions: int, scenarios: Sequence[str]
) -> list[tuple[int, list[str]]]:
    """(session, scenarios still missing) in session order, sessions without a gap left out."""
    have = done(lines)
    plan = []
    for k in range(1, sessions + 1):
        missing = [s for s in scenarios if (k, s) not in have]
        if missing:
            plan.append((k, missing))
    return plan


def named_only_affected(record: dict) -> bool:
    """True when the session flagged exactly the cases its change reaches: none for A/A, every
    compared case for a planted change (each reaches every SciPy call of the grid)."""
    flagged = set(record["flagged"])
    if record["affected"] == "none":
        return not flagged
    slower = {cid for cid, verdict in record["flagged"].items() if verdict == "slower"}
    return slower == flagged and len(flagged) == record["cases"] > 0


def summarize(lines: Sequence[dict], sessions: int | None = None) -> dict[str, dict]:
    """Per scenario: sessions done, cases flagged per session, exactly-the-affected count, ratio
    ranges, session seconds and load; the last line of a (session, scenario) wins."""
    latest: dict[tuple[int, str], dict] = {}
    errors: dict[str, int] = {}
    for record in lines:
        if record.get("error"):
            errors[record["scenario"]] = errors.get(record["scenario"], 0) + 1
            continue
        latest[(int(record["session"]), str(record["scenario"]))] = record
    out: dict[str, dict] = {}
    for scenario in sorted({s for _, s in latest} | set(errors)):
        records = [r for (_, s), r in sorted(latest.items()) if s == scenario]
        if not records:
            out[scenario] = {"sessions": 0, "errors": errors.get(scenario, 0)}
            continue
        flagged = [len(r["flagged"]) for r in records]
        ratios = [x for r in records for x in (r["ratio_min"], r["ratio_max"])]
        entry = [x for r in records for x in (r.get("entry_ratio_min"), r.get("entry_ratio_max"))
                 if x is not None]  # fmt: skip
        loads = [x for r in records for x in (r["load_start"], r["load_end"])]
        out[scenario] = {
            "sessions": len(records),
            "of": sessions,
            "affected": records[0]["affected"],
            "cases": sorted({r["cases"] for r in records}),
            "cases_flagged_per_session": flagged,
            "sessions_naming_only_the_affected_cases": sum(map(named_only_affected, records)),
            "ratio_range": [min(ratios), max(ratios)],
            "native_core_ratio_range": [min(entry), max(entry)] if entry else None,
            "largest_abs_change": max(
                max(abs(r["ratio_min"] - 1), abs(r["ratio_max"] - 1)) for r in records
            ),
            "session_seconds_median": statistics.median(r["seconds"] for r in records),
            "load_range": [min(loads), max(loads)],
            "hog_in_every_session": all(r.get("hog") for r in records),
            "errors": errors.get(scenario, 0),
        }
    return out


def summary_text(summary: dict[str, dict]) -> str:
    """The summary as the lines docs/measurements.md quotes."""
    lines = []
    for scenario, s in summary.items():
        if not s["sessions"]:
            lines.append(f"{scenario}: 0 sessions ({s['errors']} failed)")
            continue
        of = f"/{s['of']}" if s.get("of") else ""
        want = "0 flagged" if s["affected"] == "none" else "every case slower, nothing else"
        lines.append(
            f"{scenario}: {s['sessions']}{of} sessions, {s['cases']} cases each; cases flagged "
            f"per session {s['cases_flagged_per_session']}; {want}: "
            f"{s['sessions_naming_only_the_affected_cases']} of {s['sessions']}; whole-call "
            f"ratio {s['ratio_range'][0]:.5f}-{s['ratio_range'][1]:.5f}"
            + (f", native core {s['native_core_ratio_range'][0]:.5f}-"
               f"{s['native_core_ratio_range'][1]:.5f}" if s["native_core_ratio_range"] else "")
            + f"; largest |ratio - 1| {s['largest_abs_change']:.5%}; median session "
            f"{s['session_seconds_median']:.0f} s at load {s['load_range'][0]:.1f}-"
            f"{s['load_range'][1]:.1f}; CPU-bound process beside: "
            f"{'yes' if s['hog_in_every_session'] else 'not in every session'}"
            + (f"; {s['errors']} failed sessions retried" if s["errors"] else "")
        )  # fmt: skip
    return "\n".join(lines)


# -- one session: gfbench matrix -----------------------------------------------------------------


def scenario_line(pair: dict, *, session: int, scenario: str, meta: dict) -> dict:
    """The JSON line of one scenario from its pair in the matrix's compare.json."""
    rows = pair.get("instructions") or []
    if not rows:
        return {"session": session, "scenario": scenario, **meta,
                "error": "no instruction rows in compare.json"}  # fmt: skip
    ratios = [float(r["ratio"]) for r in rows]
    entry = [float(r["entry_ratio"]) for r in rows if r.get("entry_ratio") is not None]
    return {
        "session": session,
        "scenario": scenario,
        "affected": SCENARIOS[scenario][1],
        "other": pair.get("other"),
        "pair_exit_code": pair.get("exit_code"),
        "cases": len(rows),
        "changed_outputs": len(pair.get("changes") or []),
        "flagged": {str(r["case_id"]): r["verdict"] for r in rows if r["verdict"] != "same"},
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "entry_ratio_min": min(entry) if entry else None,
        "entry_ratio_max": max(entry) if entry else None,
        **meta,
    }


def run_session(
    session: int, scenarios: Sequence[str], *, work: Path, cache_dir: Path, grid: str, hog: bool
) -> list[dict]:
    """One matrix run: the release, then one repack per scenario; its lines, one per scenario."""
    import scipy_wheels

    wheels = {s: scipy_wheels.candidate_wheel(SCENARIOS[s][0]) for s in scenarios}
    out = work / f"session-{session:02d}"
    out.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "bench", "matrix", "--scipy", scipy_wheels.RELEASE]
    for s in scenarios:
        cmd += ["--scipy", str(wheels[s])]
    cmd += ["--grid", grid, "--impl", "scipy", "--metric", "instructions", "--timing", "none",
            "--no-verify", "--compare", "--installer", "uv", "--cache-dir", str(cache_dir),
            "--out", str(out)]  # fmt: skip
    before = set(out.glob("matrix-*"))
    beside = subprocess.Popen([sys.executable, "-c", HOG]) if hog else None
    load_start, started = os.getloadavg()[0], time.perf_counter()
    try:
        with (out / "matrix.log").open("a", encoding="utf-8") as log:
            proc = subprocess.Popen(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
            # wait4: the CPU seconds of the matrix and everything it waited for (valgrind)
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if beside is not None:
            beside.kill()
            beside.wait()
    meta = {
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "seconds": round(time.perf_counter() - started, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "load_start": round(load_start, 2),
        "load_end": round(os.getloadavg()[0], 2),
        "hog": hog,
        "matrix_exit_code": proc.returncode,
        "environments_counted": 1 + len(scenarios),
        "command": shlex.join(cmd),
        "harness": _commit(),
    }
    new = sorted(set(out.glob("matrix-*")) - before)
    report = new[-1] / "compare" / "compare.json" if new else None
    if report is None or not report.is_file():
        return [{"session": session, "scenario": s, **meta,
                 "error": f"no compare.json (matrix exit {proc.returncode}, see {out}/matrix.log)"}
                for s in scenarios]  # fmt: skip
    meta["matrix"] = str(new[-1])
    pairs = json.loads(report.read_text(encoding="utf-8"))["comparisons"]
    lines = []
    for s in scenarios:
        version = scipy_wheels.VARIANTS[SCENARIOS[s][0]][0]
        tag = version.rsplit(".", 1)[-1]  # "unchanged", "pywork", "nativework"
        pair = next((p for p in pairs if tag in str(p.get("other"))), None)
        if pair is None:
            lines.append({"session": session, "scenario": s, **meta,
                          "error": f"no comparison with {version} in {report}"})  # fmt: skip
        else:
            lines.append(scenario_line(pair, session=session, scenario=s, meta=meta))
    return lines


def _commit() -> str:
    """The harness the environments run: git's commit, or (a copy of the tree) its fingerprint."""
    proc = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                          capture_output=True, text=True, check=False)  # fmt: skip
    if proc.returncode == 0 and proc.stdout.strip():
        return proc.stdout.strip()
    from bench.guard.matrix.environments import harness_fingerprint

    return "harness " + harness_fingerprint(REPO)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--scenario", action="append", choices=sorted(SCENARIOS),
                        help="repeatable; default: all three")  # fmt: skip
    parser.add_argument("--out", type=Path, default=Path("results/instruction-sessions.jsonl"))
    parser.add_argument("--work", type=Path, default=Path("results/instruction-sessions"),
                        help="the matrix folders, one per session")  # fmt: skip
    parser.add_argument("--cache-dir", type=Path,
                        default=Path(os.environ.get("GFBENCH_CACHE_DIR")
                                     or Path.home() / ".cache" / "gfbench" / "envs"))  # fmt: skip
    parser.add_argument("--grid", default="guard")
    parser.add_argument("--no-hog", action="store_true",
                        help="no CPU-bound process beside the sessions")  # fmt: skip
    parser.add_argument("--summary", type=Path, metavar="JSONL",
                        help="print the summary of a results file and exit")  # fmt: skip
    args = parser.parse_args()
    print_header()
    if args.summary is not None:
        summary = summarize(read_lines(args.summary), args.sessions)
        print(summary_text(summary))
        print(json.dumps(summary, indent=1))
        return 0
    if args.sessions < 1:
        parser.error("--sessions must be >= 1")
    sys.path.insert(0, str(REPO / "tests"))  # scipy_wheels: the repacked candidate wheels
    scenarios = args.scenario or list(SCENARIOS)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for session, missing in todo(read_lines(args.out), args.sessions, scenarios):
        print(f"session {session}: {', '.join(missing)} (load {load()}) ...", flush=True)
        lines = run_session(session, missing, work=args.work.resolve(),
                            cache_dir=args.cache_dir.resolve(), grid=args.grid,
                            hog=not args.no_hog)  # fmt: skip
        with args.out.open("a", encoding="utf-8") as fh:
            for line in lines:
                fh.write(json.dumps(line) + "\n")
        for line in lines:
            flagged = "error: " + line["error"] if line.get("error") else (
                f"{len(line['flagged'])} of {line['cases']} flagged, ratio "
                f"{line['ratio_min']:.5f}-{line['ratio_max']:.5f}")  # fmt: skip
            print(f"  {line['scenario']}: {flagged} ({line['seconds']} s, "
                  f"{line['cpu_s']} CPU s)", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
