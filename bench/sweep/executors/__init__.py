"""Executors: where cases run. The sweep driver stays the single writer of the store.

- ``base``: the ``Executor`` interface (cases in, rows out as each completes; stop on request);
- ``serial``: ``SerialExecutor``, one case at a time in this process (the default);
- ``dask_cluster``: ``DaskExecutor``, the same interface on a dask.distributed cluster (a
  LocalCluster, or ``--scheduler ADDRESS``).

``make_executor`` picks one by name. ``bench.sweep.measure.run_case`` and ``Case``/
``CaseSettings`` are picklable top-level objects so that any executor can ship them; each Dask
worker keeps its own oracle cache. The Dask one is imported only when chosen: ``distributed`` is
an optional extra, and it imports ``base``, not this ``__init__``, so the two do not import
each other.
"""

from __future__ import annotations

from bench.exitcodes import UsageError
from bench.sweep.executors.base import Executor
from bench.sweep.executors.serial import SerialExecutor

__all__ = ["EXECUTORS", "EXECUTOR_NAMES", "Executor", "SerialExecutor", "make_executor"]

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
