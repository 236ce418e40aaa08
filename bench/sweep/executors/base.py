"""The executor interface: where cases run, rows coming back as each case completes.

An executor takes the cases to run and yields a ``Row`` as each one completes (in any order).
The sweep driver writes each row to the store as it arrives (it stays the single writer) and
asks ``should_stop()`` between cases, so Ctrl-C stops after the current case(s) and nothing
finished is lost.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator, Sequence

from bench.store import Row
from bench.sweep.cases import Case
from bench.sweep.measure import CaseSettings


class Executor(abc.ABC):
    """Runs cases and yields their rows as they complete."""

    name: str = ""
    #: True when cases run in the caller's own process (then the process decides, through
    #: ``bench.sweep.peakrss.may_fix_mmap_threshold``, whether they may change its allocator)
    in_this_process: bool = False

    @abc.abstractmethod
    def run(
        self,
        cases: Sequence[Case],
        settings: CaseSettings,
        should_stop: Callable[[], bool],
        on_start: Callable[[Case], None] | None = None,
    ) -> Iterator[Row]:
        """Yield one row per case, stopping early (no new case starts) once ``should_stop()``.

        ``on_start(case)`` is called as a case starts (progress display).
        """

    def close(self) -> None:  # noqa: B027 - optional hook, most executors hold nothing
        """Release workers; the default has none. Must be safe to call twice."""

    def describe(self) -> dict:
        """What run.json records about the executor (dask adds scheduler and workers)."""
        return {"name": self.name}

    def machines(self) -> dict[str, dict]:
        """Host -> machine metadata of the workers that ran cases; {} when that is this host."""
        return {}
