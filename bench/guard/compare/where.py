"""Where a slower case's extra instructions went: the functions whose counts changed most.

For each case "slower" on instructions, or on time among the cases counted on both sides
(``--metric both``), both sides' kept profiles (``bench.store.profiles``) give two lists, A vs
B, per call: native functions from callgrind's ``callgrind_annotate`` (self and inclusive,
``--auto=no``: it never opens the source files an untrusted dump names) and Python functions
from the bytecode tallies (``bench.sweep.bytecodes``), each ranked by the change of the
function's own count. A missing or unusable profile is listed in ``missing``; nothing here
fails a comparison. Why two lists: docs/attribution.md.

Public API: ``where_lists``, ``check_where_top``, ``annotate``, ``rank_changes``,
``table_rows``, ``case_heading``, ``DEFAULT_WHERE_TOP``, ``MAX_WHERE_TOP``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from bench.exitcodes import UsageError
from bench.guard.compare.rows import is_null
from bench.guard.compare.sides import Side
from bench.guard.stats import verdicts as gate
from bench.store import profiles

#: Functions listed per slower case and per kind (native, Python).
DEFAULT_WHERE_TOP = 10
MAX_WHERE_TOP = 200
#: callgrind_annotate reads a dump of ~100 kB in a fraction of a second; a hostile one stops here
ANNOTATE_TIMEOUT_S = 120
_ROW = re.compile(r"^\s*([0-9][0-9,]*)\s+(\S.*?)\s*$")
_OBJECT = re.compile(r"^(.*?)\s+\[([^\]]*)\]$")
#: callgrind's recursion level suffix: ``_PyEval_EvalFrameDefault'2``
_RECURSION = re.compile(r"'[0-9]+$")


def check_where_top(value: Any) -> int:
    """``value`` if it is an int in [0, MAX_WHERE_TOP] (0: no list), else UsageError."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_WHERE_TOP:
        raise UsageError(
            f"--where-top: got {value!r}; allowed: an int from 0 (no function list) to "
            f"{MAX_WHERE_TOP}"
        )
    return value


def annotate(dump: Path) -> tuple[int, dict[str, dict[str, Any]]]:
    """(program total, ``function -> {"self", "inclusive", "object"}``) of one callgrind dump.

    Runs ``callgrind_annotate`` twice (self, then inclusive), Ir only. It lists one function
    several times: once per source file its code came from (inlined headers) and once per
    recursion level (``name'2``: callgrind's ``--separate-recs``, where the depth of a call,
    and so the level its cost lands on, shifts when a wrapper adds a frame). Under the bare
    name, the self counts are summed (they are disjoint) and the inclusive count is the largest
    (each entry already holds the call tree below it; a sum would count it twice).
    """
    functions: dict[str, dict[str, Any]] = {}
    total = 0
    for inclusive in ("no", "yes"):
        proc = subprocess.run(
            ["callgrind_annotate", f"--inclusive={inclusive}", "--auto=no", "--threshold=100",
             "--show=Ir", "--sort=Ir", "--show-percs=no", str(dump)],
            capture_output=True, text=True, timeout=ANNOTATE_TIMEOUT_S, check=False,
            errors="replace",
        )  # fmt: skip
        if proc.returncode != 0:
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise ValueError(f"callgrind_annotate exited {proc.returncode}: {tail[:200]}")
        total, listed = _parse_annotate(proc.stdout)
        for name, count, obj in listed:
            entry = functions.setdefault(
                _RECURSION.sub("", name), {"self": 0, "inclusive": 0, "object": obj}
            )
            if inclusive == "no":
                entry["self"] += count
            else:
                entry["inclusive"] = max(entry["inclusive"], count)
            entry["object"] = entry["object"] or obj
    return total, functions


def _parse_annotate(text: str) -> tuple[int, list[tuple[str, int, str | None]]]:
    """callgrind_annotate's text: the PROGRAM TOTALS figure and its ``file:function`` table as
    ``(function, count, object file name)``, the file dropped (it differs between
    environments; the function name does not)."""
    total = 0
    listed: list[tuple[str, int, str | None]] = []
    in_table = False
    for line in text.splitlines():
        if line.strip().startswith("Ir") and "file:function" in line:
            in_table = True
            continue
        match = _ROW.match(line)
        if match is None:
            continue
        count = int(match.group(1).replace(",", ""))
        rest = match.group(2)
        if rest == "PROGRAM TOTALS":
            total = count
            continue
        if not in_table:
            continue
        obj = None
        if (with_object := _OBJECT.match(rest)) is not None:
            rest, obj = with_object.group(1), Path(with_object.group(2)).name
        listed.append((rest.split(":", 1)[1] if ":" in rest else rest, count, obj))
    return total, listed


def _native(run_dir: str, name: Any, per_call: float | None) -> dict[str, dict[str, Any]]:
    data = profiles.read(run_dir, name)
    with tempfile.TemporaryDirectory(prefix="gfbench-where-") as tmp:
        dump = Path(tmp) / "callgrind.out"
        dump.write_bytes(data)
        total, functions = annotate(dump)
    # per call: the dump holds the counted calls; the row's count is per call
    scale = per_call / total if per_call and total else 1.0
    for entry in functions.values():
        entry["self"] *= scale
        entry["inclusive"] *= scale
    return functions


def _python(run_dir: str, name: Any) -> dict[str, dict[str, Any]]:
    from bench.sweep.bytecodes import read_tally

    tally = read_tally(profiles.read(run_dir, name))
    return {
        fn: {"self": v["opcodes"], "inclusive": v["opcodes_inclusive"], "calls": v["calls"]}
        for fn, v in tally.items()
    }


def _ratio(a: float, b: float) -> float | None:
    return b / a if a > 0 else None


def rank_changes(
    a: Mapping[str, Mapping[str, Any]], b: Mapping[str, Mapping[str, Any]], top: int
) -> list[dict[str, Any]]:
    """The ``top`` functions whose self count changed most (by size), A vs B.

    A function on one side only counts 0 on the other (its ratio is then None: new or gone).
    """
    rows = []
    for name in {*a, *b}:
        fa, fb = a.get(name, {}), b.get(name, {})
        self_a, self_b = float(fa.get("self", 0)), float(fb.get("self", 0))
        incl_a, incl_b = float(fa.get("inclusive", 0)), float(fb.get("inclusive", 0))
        if self_a == self_b and incl_a == incl_b:
            continue
        row = {
            "function": name,
            "self_a": self_a,
            "self_b": self_b,
            "self_change": self_b - self_a,
            "self_ratio": _ratio(self_a, self_b),
            "inclusive_a": incl_a,
            "inclusive_b": incl_b,
            "inclusive_ratio": _ratio(incl_a, incl_b),
        }
        if (obj := fb.get("object") or fa.get("object")) is not None:
            row["object"] = obj
        rows.append(row)
    rows.sort(key=lambda r: (-abs(r["self_change"]), -abs(r["inclusive_b"] - r["inclusive_a"]),
                             r["function"]))  # fmt: skip
    return rows[:top]


def _profile_row(side: Side, case_id: str, field: str) -> tuple[str | None, dict[str, Any] | None]:
    """(run folder, row) of the side's first row of ``case_id`` naming a profile in ``field``."""
    frame = side.frame
    if frame is None or field not in frame:
        return None, None
    rows = frame[(frame["case_id"] == case_id) & frame[field].notna()]
    if rows.empty:
        return None, None
    row = rows.iloc[0].to_dict()
    round_index = int(row.get("_round", 0))
    if not 0 <= round_index < len(side.run_dirs):
        return None, None
    return side.run_dirs[round_index], row


def _side_functions(
    side: Side, case_id: str, kind: str, missing: list[str]
) -> dict[str, dict[str, Any]] | None:
    field = "callgrind_profile" if kind == "native" else "bytecode_profile"
    run_dir, row = _profile_row(side, case_id, field)
    what = "callgrind profile" if kind == "native" else "bytecode tally"
    if run_dir is None or row is None or is_null(row.get(field)):
        missing.append(f"{side.label}: no {what} kept for this case (runs counted before "
                       "profiles were kept, or the profile was over the size cap)")  # fmt: skip
        return None
    try:
        if kind == "native":
            per_call = row.get("instructions")
            return _native(run_dir, row[field], None if is_null(per_call) else float(per_call))
        return _python(run_dir, row[field])
    except (UsageError, ValueError, OSError, subprocess.TimeoutExpired) as exc:
        missing.append(f"{side.label}: {what} unusable: {str(exc)[:300]}")
        return None


def _slower_cases(instructions: pd.DataFrame, perf: pd.DataFrame | None) -> list[dict[str, Any]]:
    """The cases to explain: slower on instructions first, then those slower on time alone
    among the cases counted on both sides (only they kept profiles)."""
    found: list[dict[str, Any]] = []
    counted: dict[str, dict[str, Any]] = {}
    if not instructions.empty and "verdict" in instructions:
        for record in instructions.to_dict("records"):
            counted[str(record["case_id"])] = record
            if record["verdict"] == gate.SLOWER:
                found.append({**record, "slower_on": "instructions", "time_ratio": None})
    if perf is not None and not perf.empty and "verdict" in perf:
        taken = {str(f["case_id"]) for f in found}
        for record in perf[perf["verdict"] == gate.SLOWER].to_dict("records"):
            case_id = str(record["case_id"])
            if case_id in counted and case_id not in taken:
                found.append({
                    "case_id": case_id, "case": record.get("case"),
                    "ratio": counted[case_id].get("ratio"), "slower_on": "time",
                    "time_ratio": record.get("ratio"),
                })  # fmt: skip
    return found


def where_lists(
    a: Side,
    b: Side,
    instructions: pd.DataFrame,
    *,
    perf: pd.DataFrame | None = None,
    top: int = DEFAULT_WHERE_TOP,
) -> list[dict[str, Any]]:
    """For each case "slower" on instructions, or on time among the cases counted on both
    sides (``perf``, the timing verdicts): the functions whose counts changed most.

    Returns
    -------
    list of dict
        ``case_id, case, ratio`` (the whole-call instruction ratio B/A), ``slower_on``
        ("instructions" or "time") and ``time_ratio`` (B/A of the time, for "time"),
        ``native`` and ``python`` (``rank_changes`` rows: counts per call, instructions and
        bytecodes), ``missing`` (why a list is absent or partial; empty when both sides had
        both), and ``note`` (set when both lists are empty because no count changed).
    """
    if top == 0:
        return []
    found = []
    annotate_missing = shutil.which("callgrind_annotate") is None
    for record in _slower_cases(instructions, perf):
        case_id = str(record["case_id"])
        missing: list[str] = []
        entry: dict[str, Any] = {
            "case_id": case_id,
            "case": record.get("case"),
            "ratio": record.get("ratio"),
            "slower_on": record["slower_on"],
            "time_ratio": record["time_ratio"],
            "native": [],
            "python": [],
            "missing": missing,
            "note": None,
        }
        for kind in ("native", "python"):
            if kind == "native" and annotate_missing:
                missing.append("callgrind_annotate is not on PATH (it comes with valgrind): "
                               "no native function list")  # fmt: skip
                continue
            fa = _side_functions(a, case_id, kind, missing)
            fb = _side_functions(b, case_id, kind, missing)
            if fa is not None and fb is not None:
                entry[kind] = rank_changes(fa, fb, top)
        if not (entry["native"] or entry["python"] or missing):
            entry["note"] = (
                "no function's instruction or bytecode count changed: the difference lies "
                "where counts cannot see (memory, code layout, waiting)"
            )
        found.append(entry)
    return found


# -- shown: the same cells in the text report, compare.md and the PR comment -------------------

#: what each list counts, per call
UNITS = {
    "native": "native functions (callgrind_annotate), instructions per call",
    "python": "Python functions (bytecode tally), bytecodes per call",
}
HEADERS = ["function", "self A", "self B", "self B/A", "incl. A", "incl. B", "incl. B/A"]


def _count(value: float) -> str:
    return f"{value:,.0f}"


def _ratio_cell(a: float, b: float, ratio: float | None) -> str:
    if ratio is not None:
        return f"{ratio:.3f}"
    return "new" if b > 0 else "-"


def table_rows(rows: list[dict[str, Any]]) -> list[list[str]]:
    """``rank_changes`` rows as cells: counts per call, ratios ("new": absent on side A)."""
    return [
        [
            r["function"] + (f" [{r['object']}]" if r.get("object") else ""),
            _count(r["self_a"]),
            _count(r["self_b"]),
            _ratio_cell(r["self_a"], r["self_b"], r["self_ratio"]),
            _count(r["inclusive_a"]),
            _count(r["inclusive_b"]),
            _ratio_cell(r["inclusive_a"], r["inclusive_b"], r["inclusive_ratio"]),
        ]
        for r in rows
    ]


def case_heading(entry: Mapping[str, Any]) -> str:
    """One line naming a slower case and its whole-call instruction ratio (and its time
    ratio when it is slower on time alone)."""
    ratio = entry.get("ratio")
    shown = f"{ratio:.4f}" if isinstance(ratio, (int, float)) else "?"
    time_ratio = entry.get("time_ratio")
    if entry.get("slower_on") == "time" and isinstance(time_ratio, (int, float)):
        return f"{entry.get('case')} (slower on time x{time_ratio:.2f}; instructions B/A {shown})"
    return f"{entry.get('case')} (instructions B/A {shown})"


__all__ = [
    "DEFAULT_WHERE_TOP",
    "HEADERS",
    "MAX_WHERE_TOP",
    "UNITS",
    "annotate",
    "case_heading",
    "check_where_top",
    "rank_changes",
    "table_rows",
    "where_lists",
]
