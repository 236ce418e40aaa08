"""Opening files in folders gfbench did not create: never through a link, never a special file.

A results folder travels between people and machines, so it may hold symbolic links (to
``~/.bashrc``), FIFOs, device files or a folder where a file should be. Every writer and
reader of a results folder goes through this module:

Writes (``write_atomic``, ``atomic_output``) go to an exclusive temporary renamed over the
target; appends (``open_append``) and reads (``open_regular``, ``read_capped``, ``iter_lines``)
refuse links and special files and cap sizes. Refusals are ``UnsafeFileError`` (exit 2).

Why: docs/reliability.md#files-in-a-results-folder.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from bench.exitcodes import UsageError

#: Largest JSON document read whole (run.json, verify JSON, env.json, matrix.json, ...).
MAX_JSON_BYTES = 256 * 2**20
#: Largest line-per-record file (cases.jsonl, timing-units.jsonl).
MAX_JSONL_BYTES = 8 * 2**30
#: Largest single line of a line-per-record file: a row or a worker's units.
MAX_LINE_BYTES = 64 * 2**20

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class UnsafeFileError(UsageError):
    """A file gfbench would read or write is a link, a special file, too large or outside."""

    def __init__(self, path: str | Path, message: str) -> None:
        super().__init__(f"{path}: {message}")


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device file"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "not a regular file"


def _refuse_open_error(path: Path, exc: OSError, doing: str) -> UnsafeFileError:
    if exc.errno == errno.ELOOP or (exc.errno == errno.EMLINK and _NOFOLLOW):
        return UnsafeFileError(
            path, f"is a symbolic link; gfbench does not {doing} through links in results folders"
        )
    return UnsafeFileError(path, f"cannot {doing} it: {exc.strerror or exc}")


def check_inside(path: str | Path, root: str | Path) -> Path:
    """``path`` if, with every link resolved, it is inside ``root``; UnsafeFileError if not."""
    base = Path(root).resolve()
    target = Path(path).resolve()
    if target != base and base not in target.parents:
        raise UnsafeFileError(path, f"leads outside the folder {str(base)!r} (through a link)")
    return Path(path)


def check_not_link(path: str | Path) -> None:
    """UnsafeFileError if ``path`` exists as anything but a regular file (a link included)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISREG(st.st_mode):
        raise UnsafeFileError(path, f"is {_kind(st.st_mode)}; refusing to replace it")


# -- reading -------------------------------------------------------------------------------------


def open_regular(
    path: str | Path, *, max_bytes: int = MAX_JSON_BYTES, root: str | Path | None = None
) -> IO[bytes]:
    """Open ``path`` for reading in binary: a regular file, not a link, at most ``max_bytes``.

    ``O_NONBLOCK`` makes opening a FIFO return at once (it is then refused by ``fstat``);
    ``root``: the resolved path must also stay inside that folder.
    """
    path = Path(path)
    if root is not None:
        check_inside(path, root)
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            raise
        raise _refuse_open_error(path, exc, "read") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeFileError(path, f"is {_kind(st.st_mode)}; gfbench reads regular files only")
        if st.st_size > max_bytes:
            raise UnsafeFileError(
                path,
                f"is {st.st_size} bytes, over the limit of {max_bytes} bytes for this file "
                "(docs/reliability.md)",
            )
        if _NONBLOCK:
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_capped(
    path: str | Path, *, max_bytes: int = MAX_JSON_BYTES, root: str | Path | None = None
) -> bytes:
    """The bytes of a regular file, refused over ``max_bytes`` (also if it grows while read)."""
    with open_regular(path, max_bytes=max_bytes, root=root) as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UnsafeFileError(path, f"is over the limit of {max_bytes} bytes for this file")
    return data


def iter_lines(
    path: str | Path,
    *,
    max_bytes: int = MAX_JSONL_BYTES,
    max_line: int = MAX_LINE_BYTES,
    root: str | Path | None = None,
) -> Iterator[bytes]:
    """The lines of a regular file as bytes, each with its ``b"\\n"`` (the last may lack it).

    Read as a stream, so memory stays at one line; a line over ``max_line`` is refused
    (UnsafeFileError naming its number) instead of being read whole.
    """
    with open_regular(path, max_bytes=max_bytes, root=root) as fh:
        number = 0
        while True:
            line = fh.readline(max_line + 1)
            if not line:
                return
            number += 1
            if len(line) > max_line:
                raise UnsafeFileError(
                    path, f"line {number} is longer than the limit of {max_line} bytes"
                )
            yield line


# -- writing -------------------------------------------------------------------------------------


def _open_temporary(folder: Path, name: str) -> tuple[int, Path]:
    """A new file next to the target, ``O_EXCL`` under a random name: never an existing link."""
    for _ in range(16):
        tmp = folder / f".{name}.{secrets.token_hex(8)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, 0o644)
        except FileExistsError:
            continue
        return fd, tmp
    raise UnsafeFileError(folder, "cannot create a temporary file (16 names taken)")


@contextlib.contextmanager
def atomic_output(path: str | Path, *, text: bool = True) -> Iterator[IO]:
    """A file object whose content replaces ``path`` atomically when the block ends.

    The target may be missing or a regular file; a link, folder or special file there is
    refused before anything is written. On an exception the temporary is removed and the
    target is untouched.
    """
    path = Path(path)
    check_not_link(path)
    fd, tmp = _open_temporary(path.parent, path.name)
    try:
        raw = os.fdopen(fd, "wb")
        fh: IO = io.TextIOWrapper(raw, encoding="utf-8", newline="") if text else raw
        with fh:
            yield fh
            fh.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Replace ``path`` with ``data`` atomically (``atomic_output``)."""
    with atomic_output(path, text=isinstance(data, str)) as fh:
        fh.write(data)


def open_append(path: str | Path) -> IO[str]:
    """Open ``path`` to append UTF-8 text (created if missing); a link or special file refused."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NOFOLLOW | _CLOEXEC, 0o644)
    except OSError as exc:
        raise _refuse_open_error(path, exc, "write") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeFileError(path, f"is {_kind(st.st_mode)}; gfbench appends to files only")
        return os.fdopen(fd, "a", encoding="utf-8")
    except BaseException:
        os.close(fd)
        raise


def truncate_to(path: str | Path, size: int) -> None:
    """Cut a regular file (not a link) to ``size`` bytes: a cut-off last line is dropped."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | _NOFOLLOW | _CLOEXEC)
    except OSError as exc:
        raise _refuse_open_error(path, exc, "write") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeFileError(path, f"is {_kind(st.st_mode)}; refusing to truncate it")
        os.ftruncate(fd, size)
        os.fsync(fd)
    finally:
        os.close(fd)


def file_size(path: str | Path) -> int | None:
    """Size of a regular file (``lstat``: a link is refused), None when missing."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(st.st_mode):
        raise UnsafeFileError(path, f"is {_kind(st.st_mode)}; gfbench uses regular files only")
    return st.st_size


__all__ = [
    "MAX_JSONL_BYTES",
    "MAX_JSON_BYTES",
    "MAX_LINE_BYTES",
    "UnsafeFileError",
    "atomic_output",
    "check_inside",
    "check_not_link",
    "file_size",
    "iter_lines",
    "open_append",
    "open_regular",
    "read_capped",
    "truncate_to",
    "write_atomic",
]
