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

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.store.safe_files import (
    MAX_JSONL_BYTES,
    file_size,
    iter_lines,
    open_append,
    open_regular,
    truncate_to,
)
from bench.store.validate.fields import _is_int, _is_num
from bench.store.validate.files import FileError, decode_json
from bench.store.validate.writing import checked_json

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


#: Most calls in one timed sample: the calibration stops at 10**7 (``bench.sweep.timing``),
#: and the next worker reuses the stored count, so a larger one (1e15) would make a resume
#: call the function for ever.
MAX_LOOPS = 10**7
#: Longest one stored sample may take (loops x ns per call): the calibration aims at
#: ``--min-sample-ms`` (at most 10 s), so anything longer was not written by gfbench.
MAX_SAMPLE_NS = 60e9


def _positive(value: Any) -> bool:
    return _is_num(value) and value > 0  # _is_num: finite, within int64 for ints


def _int(value: Any, low: int) -> bool:
    return _is_int(value) and value >= low


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
            _is_num(data.get("seconds")) and data.get("seconds") >= 0,
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
        if not (_int(loops, 1) and loops <= MAX_LOOPS):
            raise FileError(
                file, f"loops must be an int in [1, {MAX_LOOPS}]", line=line, field=where
            )
        if loops * min(samples) > MAX_SAMPLE_NS:
            raise FileError(
                file,
                f"loops x samples_ns is a sample of over {MAX_SAMPLE_NS / 1e9:g} s",
                line=line,
                field=where,
            )
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

    Read as a stream of capped lines from a regular file (``bench.store.safe_files``). A last
    line without its newline is a worker cut off while being written: ignored.
    """
    path = Path(run_dir) / UNITS_FILE
    records = []
    try:
        for number, raw in enumerate(iter_lines(path), start=1):
            if not raw.endswith(b"\n") or not raw.strip():
                continue  # cut off by a kill (only ever the last line), or blank
            data = decode_json(raw, file=path, what="timing units", line=number)
            records.append(parse_worker(data, file=path, line=number))
    except FileNotFoundError:
        return []
    return records


def _complete_bytes(path: Path) -> int | None:
    """Length of the file's part up to its last newline; None when it ends on one (or is empty)."""
    with open_regular(path, max_bytes=MAX_JSONL_BYTES) as fh:
        size = fh.seek(0, os.SEEK_END)
        if size == 0:
            return None
        fh.seek(size - 1)
        if fh.read(1) == b"\n":
            return None
    return sum(len(line) for line in iter_lines(path) if line.endswith(b"\n"))


def append_worker(run_dir: Path, record: WorkerRecord) -> None:
    """Append one finished worker as one line, flushed and fsync'd (never through a link)."""
    path = Path(run_dir) / UNITS_FILE
    # the reader's own check first: a line it would refuse is a bug of this writer
    line = checked_json(record.to_json(), parse_worker, file=path, indent=None,
                        separators=(",", ":"), line=None) + "\n"  # fmt: skip
    if file_size(path):
        keep = _complete_bytes(path)
        if keep is not None:  # a line cut off by a kill: drop it, keep the rest
            truncate_to(path, keep)
    with open_append(path) as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())
