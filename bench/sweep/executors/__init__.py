"""Executors: where cases run. The sweep driver stays the single writer of the store.

An executor takes the cases to run and yields a ``Row`` as each one completes (in any order).
The driver writes each row to the store as it arrives and asks ``should_stop()`` between
cases, so Ctrl-C stops after the current case(s) and nothing finished is lost.

``SerialExecutor`` runs the cases one by one in this process: the right choice for timing on a
small machine, where two cases timed at once would disturb each other.

``bench.sweep.executors.dask_cluster.DaskExecutor`` implements the same interface on a dask.distributed
cluster (a LocalCluster, or ``--scheduler ADDRESS``); ``make_executor`` picks one by name.
``run_case`` and ``Case``/``CaseSettings`` are picklable top-level objects for that purpose;
each worker keeps its own oracle cache.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator, Sequence

from bench.exitcodes import UsageError
from bench.store import Row
from bench.sweep.cases import Case
from bench.sweep.measure import CaseSettings, run_case


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
        """Release workers; the default has none. Must be safe to call twice."""

    def describe(self) -> dict:
        """What run.json records about the executor (dask adds scheduler and workers)."""
        return {"name": self.name}

    def machines(self) -> dict[str, dict]:
        """Host -> machine metadata of the workers that ran cases; {} when that is this host."""
        return {}


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
#: Every ``--executor`` choice; "dask" is imported only when chosen (an optional extra).
EXECUTOR_NAMES: tuple[str, ...] = ("serial", "dask")


def check_executor_options(
    name: str = "serial", *, scheduler: str | None = None, workers: int | None = None
) -> None:
    """The checks of ``make_executor`` that need no cluster (``--dry-run`` runs them too).

    Raises
    ------
    bench.exitcodes.UsageError
        Unknown name, or options that do not apply to it.
    """
    if name not in EXECUTOR_NAMES:
        raise UsageError(
            f"--executor: unknown value {name!r}; allowed: {', '.join(EXECUTOR_NAMES)}"
        )
    if name == "serial" and (scheduler is not None or workers is not None):
        raise UsageError("--scheduler/--workers: only with --executor dask")
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
    ):
        raise UsageError(f"--workers: got {workers!r}; allowed: an int >= 1")
    if workers is not None and scheduler:
        raise UsageError(
            "--workers: sizes the LocalCluster started without --scheduler; "
            "an existing cluster brings its own workers"
        )


def make_executor(
    name: str = "serial",
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    timing: bool = True,
) -> Executor:
    """The executor ``gfbench sweep --executor NAME [--scheduler ADDRESS] [--workers N]`` means.

    Build it before the run folder is created: ``dask`` with a ``scheduler`` address connects
    now, so an unreachable scheduler is a ``UsageError`` (exit 2) with nothing written.

    Raises
    ------
    bench.exitcodes.UsageError
        Unknown name, options that do not apply to it, or an unreachable scheduler.
    """
    check_executor_options(name, scheduler=scheduler, workers=workers)
    if name == "serial":
        return SerialExecutor()
    if name == "dask":
        try:
            import distributed  # noqa: F401 - dask is an optional extra
        except ImportError as exc:
            raise UsageError(
                f"--executor dask: dask.distributed is unavailable ({exc}); "
                "pip install 'gfbench[dask]'"
            ) from None
        from bench.sweep.executors.dask_cluster import DaskExecutor

        return DaskExecutor(scheduler=scheduler, workers=workers, timing=timing)
    raise UsageError(f"--executor: unknown value {name!r}; allowed: {', '.join(EXECUTOR_NAMES)}")
