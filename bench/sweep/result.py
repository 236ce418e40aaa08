"""What a sweep returns (``SweepResult``) and its per-implementation summary.

The driver builds the result; ``gfbench sweep`` prints it (``print_summary``) or its JSON.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.sweep import impls as impl_registry

# Unstable cases are flagged on the terminal as they happen, up to this many lines (a noisy
# machine can flag most cases); the summary counts all of them and every row carries the flag.
UNSTABLE_LINES = 10


@dataclasses.dataclass(frozen=True)
class SweepResult:
    """What ``run_sweep`` returns.

    Attributes
    ----------
    run_dir : Path
    status : str
        ``"complete"`` or ``"interrupted"`` (``"dry-run"`` with ``dry_run=True``).
    counts : dict
        status -> number of rows in the run (resumed rows included).
    n_cases : int
        Cases in the (filtered) grid.
    n_measured : int
        Cases measured by this call (a resume skips finished ones).
    wall_seconds, accuracy_seconds : float
        For the whole run, accumulated across resumes.
    unstable : list of str
        Labels of cases flagged unstable in this call.
    exported : list of Path
    summary : list of dict
        The per-implementation summary table.
    """

    run_dir: Path | None
    status: str
    counts: dict[str, int]
    n_cases: int
    n_measured: int
    wall_seconds: float
    accuracy_seconds: float
    unstable: list[str]
    exported: list[Path]
    summary: list[dict[str, Any]]
    #: (finished, planned) timing workers when the run was stopped before its rows were
    #: written: Ctrl-C during timing keeps the finished workers for --resume
    timing_workers: tuple[int, int] | None = None

    def to_json(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["run_dir"] = None if self.run_dir is None else str(self.run_dir)
        d["exported"] = [str(p) for p in self.exported]
        d["accuracy_fraction"] = (
            self.accuracy_seconds / self.wall_seconds if self.wall_seconds else None
        )
        return d


def summarize_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per-implementation counts, and the geometric mean of (SciPy min time / impl min time)
    over the cases both ran (same parameters and dtype): > 1 means faster than SciPy."""
    by_impl: dict[str, Counter] = {}
    times: dict[tuple, dict[str, float]] = {}
    for r in rows:
        c = by_impl.setdefault(r["impl"], Counter())
        c[r["status"]] += 1
        c["unstable"] += bool(r.get("unstable"))
        if r["status"] == "ok" and r.get("min_ns"):
            key = (
                r["dtype"],
                tuple(r["shape"]),
                json.dumps(r["sigma"]),
                r["mode"],
                r["truncate"],
                r["order"],
                r["cval"],
                json.dumps(r.get("axes")),
            )
            times.setdefault(key, {})[r["impl"]] = r["min_ns"]
    table = []
    for impl in sorted(by_impl, key=lambda n: (*impl_registry.names(), n).index(n)):
        ratios = [t["scipy"] / t[impl] for t in times.values() if impl in t and "scipy" in t]
        speed = math.exp(sum(map(math.log, ratios)) / len(ratios)) if ratios else None
        c = by_impl[impl]
        table.append(
            {
                "impl": impl,
                "cases": sum(c[s] for s in ("ok", "unsupported", "unavailable", "error")),
                "ok": c["ok"],
                "unsupported": c["unsupported"],
                "unavailable": c["unavailable"],
                "error": c["error"],
                "unstable": c["unstable"],
                "speed_vs_scipy": speed,
                "matched": len(ratios),
            }
        )
    return table


def print_summary(console, result: SweepResult, out=None) -> None:
    """The table and the final line go to ``out`` (stdout: ``gfbench sweep > log`` keeps
    them); the hints about unstable cases to ``console`` (stderr)."""
    from tabulate import tabulate

    out = out or console

    rows = [
        [
            s["impl"],
            s["ok"],
            s["unsupported"],
            s["unavailable"],
            s["error"],
            s["unstable"],
            "-" if s["speed_vs_scipy"] is None else f"{s['speed_vs_scipy']:.3g}x ({s['matched']})",
        ]
        for s in result.summary
    ]
    headers = [
        "impl",
        "ok",
        "unsupported",
        "unavailable",
        "error",
        "unstable",
        "speed vs scipy (cases)",
    ]
    out.print(tabulate(rows, headers=headers), markup=False, highlight=False, soft_wrap=True)
    if len(result.unstable) > UNSTABLE_LINES:
        console.print(
            f"[yellow]unstable[/] ... and {len(result.unstable) - UNSTABLE_LINES} more "
            "(column `unstable` / `unstable_reason` of the run)",
            highlight=False,
            soft_wrap=True,
        )
    if result.unstable:
        console.print(
            f"{len(result.unstable)} case(s) unstable: compare min_ns, rerun them with more "
            "workers (--processes 5) on a quieter machine, or time two versions side by side "
            "(gfbench matrix)",
            highlight=False,
            soft_wrap=True,
        )
    frac = result.accuracy_seconds / result.wall_seconds if result.wall_seconds else 0.0
    if result.timing_workers is not None:
        done, planned = result.timing_workers
        # stopped while timing: no row is written yet, but the finished workers are kept
        # (issue 24: "0/515 cases" read as if the run had lost everything)
        console.print(
            f"stopped during timing: {done} of {planned} timing workers finished and are kept "
            f"in {result.run_dir}/timing-units.jsonl; gfbench sweep --resume {result.run_dir} "
            "starts only the missing ones",
            highlight=False,
            soft_wrap=True,
        )
    out.print(
        f"{result.status}: {sum(result.counts.values())}/{result.n_cases} cases stored in "
        f"{result.run_dir}  (wall {result.wall_seconds:.1f} s, oracle+accuracy "
        f"{result.accuracy_seconds:.1f} s = {100 * frac:.0f}%)",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
