"""What ``--resume`` checks before it touches a run folder.

A run that cannot be resumed stays byte for byte as it was (issue 10): the folder is found,
checked not to be written by a live sweep, and its stored grid, timing settings and rows are
validated, all before ``RunStore.reopen`` repairs anything. The driver (``bench.sweep.driver``)
then reopens it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from bench.exitcodes import UsageError
from bench.store import RUN_FILE, check_writable, resolve_run
from bench.sweep.cases import check_memory
from bench.sweep.grid import Grid, load_grid
from bench.sweep.timing.sampling import TimingSettings


def resume_dir(resume: str | Path, out: str | Path) -> Path:
    """The run folder ``--resume`` names: a path, or a run id under ``out``."""
    candidate = Path(resume)
    if not candidate.exists() and (Path(out) / str(resume) / RUN_FILE).is_file():
        candidate = Path(out) / str(resume)
    return resolve_run(candidate, option="--resume")


def check_not_running(meta: dict[str, Any], run_dir: Path) -> None:
    """Refuse a run still being written by a live sweep on this host."""
    if meta.get("status") != "running":
        return
    import socket

    import psutil

    pid = meta.get("pid")
    same_host = meta.get("host") == socket.gethostname()
    if same_host and pid and pid != os.getpid() and psutil.pid_exists(pid):
        raise UsageError(
            f"--resume: {run_dir} is still being written by process {pid}; "
            "stop it first (Ctrl-C), then resume"
        )


def check_resumable(
    run_dir: Path, meta: dict[str, Any], max_bytes: int | None
) -> tuple[Grid, TimingSettings | None]:
    """Everything ``--resume`` needs, checked before the run is touched (issue 10: a run
    that cannot be resumed stays byte for byte as it was)."""
    import warnings

    from bench.store import CASES_FILE, read_rows
    from bench.store.validate import FileError, require_resumable

    file = run_dir / RUN_FILE
    require_resumable(meta, file=file)
    stored = meta["grid"]
    try:
        the_grid = load_grid(stored["spec"]).filtered(
            impls=stored["filters"].get("impl"), dtypes=stored["filters"].get("dtype")
        )
    except UsageError as exc:
        raise FileError(file, str(exc), field="grid.spec") from None
    t = meta["timing"]
    try:
        tsettings = (
            TimingSettings(
                min_sample_s=t["min_sample_s"],
                repeats=t["repeats"],
                warmup=t["warmup"],
                processes=t["processes"],
            )
            if t.get("enabled", True)
            else None
        )
    except (TypeError, ValueError) as exc:
        raise FileError(file, f"cannot be used: {exc}", field="timing") from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # reopening warns about a cut last line once
        rows, _ = read_rows(run_dir / CASES_FILE)
    ids = {c.case_id for c in the_grid.cases}
    for number, row in enumerate(rows, start=1):
        if row["case_id"] not in ids:
            raise FileError(
                run_dir / CASES_FILE,
                f"{row['case_id']} is not a case of this run's grid; "
                "the file mixes runs and cannot be resumed",
                line=number,
                field="case_id",
            )
    check_memory(the_grid.cases, max_bytes)
    check_writable(run_dir)
    return the_grid, tsettings
