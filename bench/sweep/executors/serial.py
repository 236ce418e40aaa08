"""``SerialExecutor``: the cases one by one, in this process.

The right choice for timing on a small machine, where two cases timed at once would disturb
each other; the default of ``gfbench sweep``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from bench.store import Row
from bench.sweep.cases import Case
from bench.sweep.executors.base import Executor
from bench.sweep.measure import CaseSettings, run_case


class SerialExecutor(Executor):
    """One case at a time, in this process."""

    name = "serial"
    in_this_process = True

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
