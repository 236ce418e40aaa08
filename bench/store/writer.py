"""Writing a run folder: ``RunStore``, used only by the sweep driver (executors send rows back).

A row is written whole or not at all (one ``write`` of one line, flushed and fsync'd); ``run.json``
is replaced atomically, after the reader's own check passed on it (``checked_json``; rows check
themselves when built). Reopening for ``--resume`` reads through ``bench.store.reader``, so a
resumed run is validated exactly like one being reported.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench.exitcodes import UsageError
from bench.store.reader import (
    CASES_FILE,
    RUN_FILE,
    SCHEMA_VERSION,
    load_run_meta,
    read_run_rows,
    resolve_run,
)
from bench.store.row import Row, utc_now
from bench.store.safe_files import atomic_output, file_size, open_append, truncate_to
from bench.store.validate import checked_json, validate_run_meta

RUN_STATUSES = ("running", "complete", "interrupted")
#: Space set aside while a sweep writes (``.gfbench-reserve``): when the disk fills up, it is
#: deleted so that run.json can still be closed as "interrupted" (a run.json is ~20 KB, and
#: its replacement is written before the old one is removed).
RESERVE_FILE = ".gfbench-reserve"
RESERVE_BYTES = 64 * 1024


def _check_run_meta(path: Path, data: Mapping[str, Any]) -> None:
    # the reader's own check, before a byte is written: a refusal is a bug of this writer
    checked_json(data, validate_run_meta, file=path, schema_version=SCHEMA_VERSION)


def _write_json_atomic(path: Path, data: Mapping[str, Any]) -> None:
    # a random O_EXCL temporary, then a rename: never written through a link (safe_files)
    with atomic_output(path) as fh:
        json.dump(data, fh, indent=1, sort_keys=False, default=str)
        fh.write("\n")


def check_writable(out: str | Path) -> Path:
    """Make sure results can be written under ``out`` (creating it); UsageError if not.

    Called before any measurement, so a bad ``--out`` costs nothing.
    """
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".gfbench-write-probe-{os.getpid()}"
        probe.write_text("ok", encoding="utf-8")
        probe.unlink()
    except OSError as exc:
        raise UsageError(
            f"--out: cannot write results under {str(out)!r}: {exc.strerror or exc}; "
            "pass a writable directory"
        ) from None
    return out


class RunStore:
    """Writer of one run folder. Only the sweep driver writes (executors send rows back).

    Use ``RunStore.create(out, run_id, meta)`` for a new run, ``RunStore.reopen(run_dir)`` to
    resume; then ``append(row)`` per finished case and ``finish(status, **extra)``.
    """

    def __init__(self, run_dir: Path, meta: dict[str, Any], done: dict[str, dict]) -> None:
        self.run_dir = run_dir
        self.meta = meta
        self.done = done  # case_id -> row dict already stored
        self._fh = open_append(run_dir / CASES_FILE)  # O_NOFOLLOW: never through a link
        self._reserve = run_dir / RESERVE_FILE
        self._make_reserve()

    def _make_reserve(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._reserve)  # left by a killed sweep (unlink never follows a link)
        try:
            with atomic_output(self._reserve, text=False) as fh:
                fh.write(bytes(RESERVE_BYTES))  # written, not sparse: the blocks are taken
        except OSError:
            pass  # the disk is nearly full already: the sweep fails on its first row

    def _drop_reserve(self) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self._reserve)

    @classmethod
    def create(cls, out: str | Path, run_id: str, meta: Mapping[str, Any]) -> RunStore:
        out = check_writable(out)
        run_dir = out.resolve() / run_id
        try:
            run_dir.mkdir(parents=True, exist_ok=False)
        except FileExistsError:
            raise UsageError(f"--out: run folder {str(run_dir)!r} already exists") from None
        full = {"schema_version": SCHEMA_VERSION, "run_id": run_id, **meta}
        full.setdefault("status", "running")
        full.setdefault("finished_at", None)
        _check_run_meta(run_dir / RUN_FILE, full)
        _write_json_atomic(run_dir / RUN_FILE, full)
        open_append(run_dir / CASES_FILE).close()
        return cls(run_dir, full, {})

    @classmethod
    def reopen(cls, run_dir: str | Path) -> RunStore:
        """Open an existing run for appending; drops a truncated last line (with a warning)."""
        run_dir = resolve_run(run_dir, option="--resume").resolve()
        meta = load_run_meta(run_dir)
        rows, good_bytes = read_run_rows(run_dir, meta, repair=True)
        cases = run_dir / CASES_FILE
        if file_size(cases) not in (None, good_bytes):
            truncate_to(cases, good_bytes)  # so the next append starts on a fresh line
        check_writable(run_dir)
        return cls(run_dir, meta, {r["case_id"]: r for r in rows})

    def append(self, row: Row) -> None:
        """Write one row as one line, flushed and fsync'd before returning."""
        line = json.dumps(row.to_json(), separators=(",", ":"), allow_nan=False) + "\n"
        self._fh.write(line)
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self.done[row.case_id] = row.to_json()

    def update_meta(self, **fields: Any) -> None:
        self.meta.update(fields)
        _check_run_meta(self.run_dir / RUN_FILE, self.meta)
        _write_json_atomic(self.run_dir / RUN_FILE, self.meta)

    def finish(self, status: str, **fields: Any) -> None:
        """Record the final status (``complete`` or ``interrupted``) and close the file.

        On a full disk the reserve is given up and the write tried again, so a sweep that
        ran out of space still leaves its run "interrupted" and resumable.
        """
        if status not in RUN_STATUSES:
            raise ValueError(f"run status {status!r} not one of {', '.join(RUN_STATUSES)}")
        try:
            self.update_meta(status=status, finished_at=utc_now(), **fields)
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            self._drop_reserve()
            self.update_meta(status=status, finished_at=utc_now(), **fields)
        self.close()

    def close(self) -> None:
        """Close the rows file and give up the reserve (idempotent)."""
        if not self._fh.closed:
            # a full disk: the buffered part of a row is lost; a resume recomputes that case
            with contextlib.suppress(OSError):
                self._fh.close()
        self._drop_reserve()
