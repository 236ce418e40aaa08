"""``timing-units.jsonl``: the timing workers' raw results of a run, one line per worker.

A timed sweep times its cases in long-lived worker processes before it measures their
accuracy (``bench.sweep.timing.worker``); each finished worker is appended here as one JSON line, so
an interrupted sweep keeps the workers it finished and ``--resume`` starts only the missing
ones. A worker cut off mid-way never reaches the file: its units were all taken in one process
and are only meaningful together (its reference workload time is known at its end).

Line: ``{"worker": int >= 0, "label": str, "seed": int, "ref_ns": number > 0 or null,
"seconds": number >= 0, "units": {case_id: {"samples_ns": [number > 0, ...], "loops": int >= 1}},
"errors": {case_id: str}}``. Read back validated: the file travels with the run folder.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.store.validate.files import FileError

UNITS_FILE = "timing-units.jsonl"
_CASE_ID = re.compile(r"[0-9a-f]{12}")


@dataclass(frozen=True)
class WorkerRecord:
    """One finished timing worker as stored."""

    worker: int
    label: str
    seed: int
    ref_ns: float | None
    seconds: float
    units: Mapping[str, tuple[tuple[float, ...], int]]
    errors: Mapping[str, str]

    def to_json(self) -> dict[str, Any]:
        return {
            "worker": self.worker,
            "label": self.label,
            "seed": self.seed,
            "ref_ns": self.ref_ns,
            "seconds": round(self.seconds, 3),
            "units": {
                cid: {"samples_ns": [round(s, 1) for s in samples], "loops": loops}
                for cid, (samples, loops) in self.units.items()
            },
            "errors": dict(self.errors),
        }


def _positive(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


def _int(value: Any, low: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def parse_worker(data: Any, *, file: Path, line: int) -> WorkerRecord:
    """Validate one decoded line; FileError naming the file, line and field otherwise."""
    if not isinstance(data, dict):
        raise FileError(file, "a line must be a JSON object", line=line)
    checks = {
        "worker": (_int(data.get("worker"), 0), "an int >= 0"),
        "label": (isinstance(data.get("label"), str), "a string"),
        "seed": (_int(data.get("seed"), 0), "an int >= 0"),
        "ref_ns": (data.get("ref_ns") is None or _positive(data.get("ref_ns")), "a number > 0"),
        "seconds": (
            isinstance(data.get("seconds"), (int, float)) and data.get("seconds") >= 0,
            "a number >= 0",
        ),
        "units": (isinstance(data.get("units"), dict), "an object"),
        "errors": (isinstance(data.get("errors", {}), dict), "an object"),
    }
    for name, (ok, allowed) in checks.items():
        if not ok:
            raise FileError(file, f"is not valid; allowed: {allowed}", line=line, field=name)
    units: dict[str, tuple[tuple[float, ...], int]] = {}
    for case_id, unit in data["units"].items():
        where = f"units.{str(case_id)[:20]}"
        if not _CASE_ID.fullmatch(str(case_id)):
            raise FileError(file, "case ids are 12 hex digits", line=line, field=where)
        samples = unit.get("samples_ns") if isinstance(unit, dict) else None
        loops = unit.get("loops") if isinstance(unit, dict) else None
        if not (isinstance(samples, list) and samples and all(map(_positive, samples))):
            raise FileError(file, "samples_ns must be numbers > 0", line=line, field=where)
        if not _int(loops, 1):
            raise FileError(file, "loops must be an int >= 1", line=line, field=where)
        units[case_id] = (tuple(float(s) for s in samples), loops)
    errors = {}
    for case_id, text in data.get("errors", {}).items():
        if not (_CASE_ID.fullmatch(str(case_id)) and isinstance(text, str)):
            raise FileError(file, "errors map case ids to text", line=line, field="errors")
        errors[case_id] = text
    return WorkerRecord(
        worker=data["worker"],
        label=data["label"],
        seed=data["seed"],
        ref_ns=None if data.get("ref_ns") is None else float(data["ref_ns"]),
        seconds=float(data["seconds"]),
        units=units,
        errors=errors,
    )


def read_workers(run_dir: Path) -> list[WorkerRecord]:
    """The finished workers of a run (none when the file is missing).

    A last line without its newline is a worker cut off while being written: ignored.
    """
    path = Path(run_dir) / UNITS_FILE
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    complete = lines[:-1]  # the part after the last newline is cut off or empty
    records = []
    for number, line in enumerate(complete, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise FileError(path, f"not JSON ({exc.msg})", line=number) from None
        records.append(parse_worker(data, file=path, line=number))
    return records


def append_worker(run_dir: Path, record: WorkerRecord) -> None:
    """Append one finished worker as one line, flushed and fsync'd."""
    path = Path(run_dir) / UNITS_FILE
    line = json.dumps(record.to_json(), separators=(",", ":"), allow_nan=False) + "\n"
    if path.is_file() and path.stat().st_size:
        data = path.read_bytes()
        if not data.endswith(b"\n"):  # a line cut off by a kill: drop it, keep the rest
            with open(path, "r+b") as fh:
                fh.truncate(data.rfind(b"\n") + 1)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())
