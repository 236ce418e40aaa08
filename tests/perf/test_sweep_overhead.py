"""Harness overhead of the sweep (pytest-benchmark; CI runs these once with --benchmark-disable).

Targets (issue 3): oracle + accuracy < 25% of a sweep's wall time, and the quick
grid in <= 3 minutes on 2 cores. These benchmarks watch the pieces that decide both: expanding
a grid, and the untimed part of a case (call, oracle, metrics, row).
"""

from __future__ import annotations

from bench.sweep import accuracy
from bench.sweep.cases import Case
from bench.sweep.grid import load_grid
from bench.sweep.measure import CaseSettings, run_case


def test_expand_the_quick_grid(benchmark):
    grid = benchmark(load_grid, "quick")
    assert len(grid.cases) > 300


def test_untimed_case_with_a_fresh_oracle(benchmark):
    case = Case(impl="scipy", dtype="uint8", shape=(256, 256), sigma=2.0, mode="reflect")

    def one_case():
        accuracy.clear_cache()  # the worst case: no other dtype shared this ideal
        return run_case(case, CaseSettings(timing=None))

    row = benchmark(one_case)
    assert row.status == "ok" and row.matches_storage_model
