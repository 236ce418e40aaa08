"""The sweep stage: grid -> case -> input -> implementation -> measurement -> row.

Owns the Case model (``cases``), grid files (``grid``; the shipped ones in ``grids/``),
deterministic inputs, one adapter per implementation (``impls/``), timing (``timing``; long-lived
workers in ``rounds``, the sweep's timing phase in ``worker_timing``), instruction counts under
callgrind (``instructions``), accuracy against the oracle, native peak memory of one call
(``peakrss``), one case -> one Row (``measure``), machine metadata, where cases run
(``executors/``: serial, Dask), the sweep driver (``driver``, with ``options``, ``resume`` and
``result``) and the ``gfbench sweep`` command (``command``), plus
``gfbench bigarray`` (dask-image on a chunked big array).

May import: ``bench.exitcodes``, ``bench.outputs``, ``bench.oracle``, ``bench.store``. Never the
report, the guard or the CLI.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SweepResult", "run_sweep"]


def __getattr__(name: str) -> Any:
    # The public entry point, imported lazily so that ``import bench.sweep.cases`` stays light.
    if name in __all__:
        from bench.sweep import driver

        return getattr(driver, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
