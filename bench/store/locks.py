"""Advisory locks (``fcntl.flock``) for what two gfbench processes must not do at once.

- ``RunLock``: a run folder, for the whole of a sweep or a resume. The lock is taken on the
  folder itself (an ``O_RDONLY`` descriptor of the directory), so taking it writes nothing: a
  refused resume leaves the folder byte for byte as it was. A second sweep or resume of the
  same folder is refused at once (``RunLockedError``, exit 2) naming the holder that
  ``run.json`` records.
- ``wait_lock``: a lock file next to a cached environment; a second builder waits for the
  first, then finds its result and reuses it.

Why: docs/reliability.md#locks.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from bench.exitcodes import UsageError

try:
    import fcntl
except ImportError:  # Windows: no flock; gfbench's guard targets POSIX
    fcntl = None  # type: ignore[assignment]

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class RunLockedError(UsageError):
    """Another live gfbench process holds the run folder."""


class RunLock:
    """An exclusive, non-blocking lock on a run folder for one sweep or resume.

    ``holder()`` is called only when the lock is taken, to say who holds it (e.g. the pid
    and host run.json records).
    """

    def __init__(self, run_dir: Path, *, holder: Callable[[], str] | None = None) -> None:
        self.run_dir = Path(run_dir)
        self._fd: int | None = os.open(self.run_dir, os.O_RDONLY | _CLOEXEC)
        if fcntl is None:
            return
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            self._fd = None
            who = holder() if holder is not None else "another gfbench process"
            raise RunLockedError(
                f"--resume: {self.run_dir} is being written by {who} right now (the run folder "
                "is locked); wait for it to finish or stop it (Ctrl-C), then resume"
            ) from None

    def release(self) -> None:
        """Release the lock (idempotent)."""
        if self._fd is not None:
            os.close(self._fd)  # closing the last descriptor releases the flock
            self._fd = None


@contextlib.contextmanager
def wait_lock(
    path: Path, *, on_wait: Callable[[], None] | None = None, poll_s: float = 0.5
) -> Iterator[None]:
    """Hold an exclusive lock on the file ``path`` (created, never through a link).

    Blocks while another process holds it; ``on_wait`` is called once when that happens
    (to say so). Released when the block ends or the process dies.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | _NOFOLLOW | _CLOEXEC, 0o644)
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if on_wait is not None:
                    on_wait()
                while True:  # polled, so that Ctrl-C stays responsive
                    time.sleep(poll_s)
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        continue
        yield
    finally:
        os.close(fd)


__all__ = ["RunLock", "RunLockedError", "wait_lock"]
