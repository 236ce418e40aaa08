"""Checks of every output path, run before any work starts, the same way for every verb.

``check_out_file`` (a single file: ``verify --out``, ``bigarray --out``) and ``check_out_dir``
(a folder: ``sweep --out``, ``report --out``, ``compare --out``, ``matrix --out``, ``calibrate
--out``, ``run --results/--reports``) refuse, with a ``UsageError`` (exit 2) naming the option: a
folder where a file is expected, a special file such as ``/dev/full``, a missing parent folder, an
unwritable folder, and anything that would overwrite an existing output unless ``force``. The
output folder itself is created; the folders above it never are (a typo in a path is an error,
not a new tree), except for a default the user did not choose (``create_parents``).
Writability is probed by writing a file: ``os.access`` says yes to root everywhere.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from bench.exitcodes import UsageError


def progress(message: str) -> None:
    """Print a progress line to stderr: results and tables go to stdout, progress never does,
    so ``gfbench matrix > out.txt`` keeps only the results."""
    print(message, file=sys.stderr, flush=True)


def _write_probe(folder: Path) -> None:
    probe = folder / f".gfbench-write-probe-{os.getpid()}"
    probe.write_text("ok", encoding="utf-8")
    probe.unlink()


def check_parent(path: str | Path, *, option: str = "--out") -> Path:
    """Refuse (UsageError) an output folder whose parent folder is missing; creates nothing.

    For a verb whose writer creates and probes the folder itself later (``sweep --out``,
    ``run --results``), so that a refused scheduler or grid leaves nothing behind.
    """
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise UsageError(f"{option}: {str(p)!r} exists and is not a folder")
    parent = p.parent if str(p.parent) else Path(".")
    if not p.exists() and parent.exists() and not parent.is_dir():
        raise UsageError(f"{option}: cannot write results under {str(parent)!r}: not a folder")
    if not p.exists() and not parent.is_dir():
        raise UsageError(
            f"{option}: folder {str(parent)!r} does not exist; create it first "
            "(gfbench creates the output folder, never the folders above it)"
        )
    return p


def check_out_file(path: str | Path, *, option: str = "--out", force: bool = False) -> Path:
    """Check that a single output file can be written; before any work starts.

    Refused (UsageError): a directory, a special file (``/dev/full``), a folder that does not
    exist or is not writable, and an existing file unless ``force``.
    """
    p = Path(path)
    if p.is_symlink():  # outputs are replaced by a rename, never written through a link
        raise UsageError(f"{option}: {str(p)!r} is a symbolic link; give the file's own path")
    if p.is_dir():
        raise UsageError(f"{option}: {str(p)!r} is a folder; give a file path")
    if p.exists():
        if not p.is_file():
            raise UsageError(f"{option}: {str(p)!r} is not a regular file")
        if not force:
            raise UsageError(f"{option}: {str(p)!r} already exists; pass --force to overwrite it")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(
            f"{option}: folder {str(parent)!r} does not exist; create it first "
            "(gfbench never creates the folders above an output)"
        )
    try:
        _write_probe(parent)
    except OSError as exc:
        raise UsageError(
            f"{option}: cannot write into {str(parent)!r}: {exc.strerror or exc}"
        ) from None
    return p


def check_out_dir(
    path: str | Path,
    *,
    option: str = "--out",
    force: bool = False,
    outputs: tuple[str, ...] = (),
    create_parents: bool = False,
) -> Path:
    """Check that an output folder can be created and written; before any work starts.

    ``outputs``: names of the files the verb writes there. If any already exists, the folder
    is refused unless ``force`` (a report or a comparison is never silently overwritten).
    Creates the folder; its parent must exist unless ``create_parents`` (a default path).
    """
    p = check_parent(path, option=option) if not create_parents else Path(path)
    if p.exists() and not p.is_dir():
        raise UsageError(f"{option}: {str(p)!r} exists and is not a folder")
    # lexists: a dangling link counts as existing (writing "through" it would create its target)
    existing = [name for name in outputs if os.path.lexists(p / name)]
    if existing and not force:
        raise UsageError(
            f"{option}: {str(p)!r} already holds {existing[0]}; pass --force to overwrite, "
            "or choose another folder"
        )
    try:
        p.mkdir(parents=create_parents, exist_ok=True)
        _write_probe(p)
    except OSError as exc:
        raise UsageError(f"{option}: cannot write into {str(p)!r}: {exc.strerror or exc}") from None
    return p


__all__ = ["check_out_dir", "check_out_file", "check_parent", "progress"]
