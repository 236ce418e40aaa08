"""Executors: where cases run. The sweep driver stays the single writer of the store.

An executor takes the cases to run and yields a ``Row`` as each one completes (in any order).
The driver writes each row to the store as it arrives and asks ``should_stop()`` between
cases, so Ctrl-C stops after the current case(s) and nothing finished is lost.

``SerialExecutor`` runs the cases one by one in this process: the right choice for timing on a
small machine, where two cases timed at once would disturb each other.

A Dask executor implements the same interface (sketch)::

    class DaskExecutor(Executor):
        def __init__(self, client): self.client = client
        def run(self, cases, settings, should_stop):
            pending = {self.client.submit(run_case, c, settings, pure=False) for c in cases[:k]}
            for future in distributed.as_completed(pending):
                yield future.result()          # the driver writes it
                if should_stop(): cancel the rest and return
                submit the next case

``run_case`` and ``Case``/``CaseSettings`` are picklable top-level objects for that purpose;
each worker keeps its own oracle cache.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator, Sequence

from bench.cases import Case
from bench.measure import CaseSettings, run_case
from bench.store import Row


class Executor(abc.ABC):
    """Runs cases and yields their rows as they complete."""

    name: str = ""

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
        """Release workers; the default has none."""


class SerialExecutor(Executor):
    """One case at a time, in this process."""

    name = "serial"

    def run(
        self,
        cases: Sequence[Case],
        settings: CaseSettings,
        should_stop: Callable[[], bool],
        on_start: Callable[[Case], None] | None = None,
    ) -> Iterator[Row]:
        for case in cases:
            if should_stop():
                return
            if on_start is not None:
                on_start(case)
            yield run_case(case, settings)


EXECUTORS: dict[str, type[Executor]] = {"serial": SerialExecutor}
