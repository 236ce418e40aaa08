"""The sweep stage: grid -> case -> input -> implementation -> measurement -> row.

Owns the Case model (``cases``), grid files (``grid``), inputs, one adapter per implementation
(``impls/``), timing (``timing/``), instruction counts, accuracy against the oracle, native peak
memory (``peakrss``), one case -> one Row (``measure``), machine metadata, where cases run
(``executors/``), the driver (``driver``), ``gfbench sweep`` and ``gfbench bigarray``.

May import: ``bench.exitcodes``, ``bench.outputs``, ``bench.oracle``, ``bench.store``. Never the
report, the guard or the CLI.

Why: docs/sweep.md.
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
