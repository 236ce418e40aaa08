"""``gfbench calibrate --mode interleaved``: A/A sessions timed as ``gfbench matrix`` times.

One job: run ``--runs`` independent A/A sessions (`bench.guard.ab_session.ab_session`, this
interpreter playing both environments) with known slowdowns decided on the same real noise
(`bench.guard.ab_session.Scenario`), and summarise what the gate did per scenario: false
"slower", inconclusive pairs, pairs flagged, whether only the affected cases were named, and
the seconds per session. Also holds `sweep_once`, the one untimed or timed sweep both
calibration modes start from.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tabulate import tabulate

from bench.exitcodes import UsageError
from bench.guard.stats import verdicts as gate
from bench.guard.stats.sequential_design import UNDECIDED, SequentialDesign


def sweep_once(out: Path, *, grid: str, impl: Sequence[str], extra: Sequence[str]) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    before = set(out.iterdir())
    cmd = [
        sys.executable,
        "-m",
        "bench",
        "sweep",
        "--grid",
        grid,
        "--out",
        str(out),
        "--no-progress",
        *extra,
    ]
    for name in impl:
        cmd += ["--impl", name]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"gfbench sweep exited {proc.returncode}: {proc.stderr[-1500:]}")
    new = [p for p in out.iterdir() if p not in before and (p / "run.json").is_file()]
    if len(new) != 1:
        raise RuntimeError(f"expected one new run in {out}, found {len(new)}")
    return new[0]


def _scenario_result(
    outcomes: dict, affected: set[str] | None, max_inconclusive: float
) -> dict[str, Any]:
    """One scenario of one session: counts, flagged, inconclusive, and what it named."""
    verdicts = {cid: o.decision.verdict for cid, o in outcomes.items()}
    slower = sorted(cid for cid, v in verdicts.items() if v == gate.SLOWER)
    undecided = sum(v == UNDECIDED for v in verdicts.values())
    n = len(verdicts)
    rounds = [o.rounds for o in outcomes.values()]
    return {
        "cases": n,
        "slower": len(slower),
        "faster": sum(v == gate.FASTER for v in verdicts.values()),
        "same": sum(v == gate.SAME for v in verdicts.values()),
        "undecided": undecided,
        "flagged": bool(slower),
        "inconclusive": not slower and n > 0 and undecided / n > max_inconclusive,
        "only_affected_named": None if affected is None else set(slower) <= affected,
        "affected": None if affected is None else len(affected),
        "affected_slower": None if affected is None else len(set(slower) & affected),
        "mean_rounds": sum(rounds) / len(rounds) if rounds else None,
    }


def _interleaved_sessions(
    n_pairs: int, *, grid: str, impl: Sequence[str], design, budget_s, scenarios, out: Path, log
) -> list[dict[str, Any]]:
    """``n_pairs`` independent A/A sessions timed the way ``gfbench matrix`` times versions.

    One untimed sweep, then for each session this same interpreter plays both "environments".
    """
    from bench.guard.ab_session import EnvUnderTest, ab_session
    from bench.guard.compare.result import DEFAULT_MAX_INCONCLUSIVE
    from bench.sweep.machine import THREAD_ENV_VARS

    untimed = sweep_once(out / "untimed", grid=grid, impl=impl, extra=["--no-timing"])
    child = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    for var in THREAD_ENV_VARS:
        child.setdefault(var, "1")
    sessions = []
    for k in range(n_pairs):
        envs = []
        for name in ("A", "B"):
            runs_dir = out / f"pair-{k + 1}" / name
            runs_dir.mkdir(parents=True, exist_ok=True)
            envs.append(EnvUnderTest(f"{name}{k + 1}", Path(sys.executable), untimed, runs_dir))
        session = ab_session(
            envs,
            design=design,
            budget_s=budget_s,
            child_env=child,
            scenarios=scenarios,
            write=False,
            log=lambda m: None,
        )
        entry = {
            "pair": k + 1,
            "seconds": round(session.seconds, 1),
            "rounds": session.rounds,
            "stopped": session.stopped,
            "failed": len(session.failed),
            "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        }
        for sc in scenarios:
            affected = None if sc.factor == 1.0 else session.affected[sc.name]
            entry[sc.name] = _scenario_result(
                session.outcomes.get(sc.name, {}), affected, DEFAULT_MAX_INCONCLUSIVE
            )
        sessions.append(entry)
        aa = entry[scenarios[0].name]
        log(
            f"calibrate: session {k + 1}/{n_pairs}: {session.rounds} rounds, "
            f"{session.seconds:.0f} s ({session.stopped}); A/A {aa['slower']} slower, "
            f"{aa['undecided']} undecided of {aa['cases']}; "
            + "; ".join(
                f"{sc.name}: {'flagged' if entry[sc.name]['flagged'] else 'missed'}"
                for sc in scenarios[1:]
            )
        )
    return sessions


def summarize_sessions(sessions: Sequence[dict[str, Any]], names: Sequence[str]) -> dict[str, Any]:
    """Per scenario over the sessions: pairs flagged, inconclusive, naming only affected cases."""
    out: dict[str, Any] = {"pairs": len(sessions)}
    for name in names:
        got = [s[name] for s in sessions]
        cases = sum(g["cases"] for g in got)
        out[name] = {
            "pairs_flagged": sum(g["flagged"] for g in got),
            "pairs_inconclusive": sum(g["inconclusive"] for g in got),
            "pairs_naming_only_affected": sum(bool(g["only_affected_named"]) for g in got)
            if got and got[0]["affected"] is not None
            else None,
            "case_slower_rate": sum(g["slower"] for g in got) / cases if cases else None,
            "case_undecided_rate": sum(g["undecided"] for g in got) / cases if cases else None,
        }
    seconds = [s["seconds"] for s in sessions]
    out["seconds_per_pair"] = (
        {"median": float(np.median(seconds)), "max": max(seconds)} if seconds else None
    )
    return out


def calibrate_interleaved(
    n_runs: int,
    *,
    grid,
    impl,
    processes,
    inject,
    inject_dtype,
    inject_dtype_factor,
    max_rounds,
    budget_s,
    threshold,
    alpha,
    out,
    log,
) -> dict[str, Any]:
    from bench.guard.ab_session import AA, Scenario

    if max_rounds is not None and not (isinstance(max_rounds, int) and max_rounds >= processes):
        raise UsageError(
            f"--max-rounds must be an int >= --processes ({processes}), got {max_rounds!r}"
        )
    if not 0 < inject_dtype_factor < 10:
        raise UsageError(
            "--inject-dtype-factor must be a fraction in (0, 10), e.g. 0.3; "
            f"got {inject_dtype_factor}"
        )
    design = SequentialDesign(
        min_rounds=processes,
        threshold=threshold,
        alpha=alpha,
        max_rounds=max(processes, max_rounds or SequentialDesign.max_rounds),
        paired=True,  # interleaved sessions time both sides side by side
    )
    scenarios = [
        AA,
        Scenario(f"+{inject:.0%} all", 1 + inject, until_flagged=True),
        Scenario(
            f"+{inject_dtype_factor:.0%} {inject_dtype}",
            1 + inject_dtype_factor,
            dtype=inject_dtype,
            until_flagged=True,
        ),
    ]
    started = time.perf_counter()
    sessions = _interleaved_sessions(
        n_runs,
        grid=grid,
        impl=impl,
        design=design,
        budget_s=budget_s,
        scenarios=scenarios,
        out=out,
        log=log,
    )
    names = [sc.name for sc in scenarios]
    return {
        "mode": "interleaved",
        "grid": grid,
        "impl": list(impl),
        "design": design.to_dict(),
        "budget_s": budget_s,
        "threshold": threshold,
        "alpha": alpha,
        "scenarios": names,
        "sessions": sessions,
        "summary": summarize_sessions(sessions, names),
        "seconds": round(time.perf_counter() - started, 1),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def render_interleaved(result: dict[str, Any]) -> str:
    """Per-session table and the rates the README quotes."""
    names = result["scenarios"]
    rows = []
    for s in result["sessions"]:
        aa = s[names[0]]
        rows.append(
            [
                s["pair"],
                s["rounds"],
                f"{s['seconds']:.0f}",
                s["stopped"],
                f"{aa['slower']}/{aa['undecided']}/{aa['cases']}",
                *("flagged" if s[n]["flagged"] else "missed" for n in names[1:]),
                "yes" if s[names[-1]]["only_affected_named"] else "no",
            ]
        )
    headers = [
        "pair",
        "rounds",
        "s",
        "stopped",
        "A/A slower/undecided/cases",
        *names[1:],
        "named only affected",
    ]
    lines = [tabulate(rows, headers=headers)]
    summary = result["summary"]
    n = summary["pairs"]
    aa = summary[names[0]]
    lines.append(
        f"\n{n} A/A sessions ({result['grid']} grid, {', '.join(result['impl'])}; "
        f"{result['seconds']:.0f} s in all): false 'slower' in {aa['pairs_flagged']}/{n} pairs "
        f"(per case {rate_text(aa['case_slower_rate'])}); inconclusive pairs "
        f"{aa['pairs_inconclusive']}/{n} (cases undecided {rate_text(aa['case_undecided_rate'])})."
    )
    for name in names[1:]:
        got = summary[name]
        extra = (
            f", naming only the affected cases in {got['pairs_naming_only_affected']}/{n}"
            if got["pairs_naming_only_affected"] is not None
            else ""
        )
        lines.append(f"{name}: flagged in {got['pairs_flagged']}/{n} pairs{extra}.")
    if summary["seconds_per_pair"]:
        lines.append(
            f"seconds per A/B session: median {summary['seconds_per_pair']['median']:.0f}, "
            f"max {summary['seconds_per_pair']['max']:.0f}"
        )
    if result.get("load_average"):
        lines.append("load average now: " + ", ".join(f"{x:.2f}" for x in result["load_average"]))
    return "\n".join(lines)


def rate_text(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
