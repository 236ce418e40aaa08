"""Speed of ``--metric instructions`` on the guard grid (pytest-benchmark).

Target (issue 13): counting the guard grid's instructions takes under 10 minutes on this 2-core
machine. The whole grid runs ~2.5-3 minutes here, so this benchmark runs only when benchmarks are
enabled (``--benchmark-enable``); a plain test run skips it and says why.
"""

from __future__ import annotations

import pytest

from bench.sweep.grid import load_grid
from bench.sweep.instructions import count_instructions

pytestmark = pytest.mark.valgrind


def test_count_the_guard_grid(benchmark):
    if benchmark.disabled:
        pytest.skip("2-3 minutes of valgrind: run with --benchmark-enable")
    cases = load_grid("guard").cases
    counts = benchmark.pedantic(count_instructions, args=(cases,), rounds=1, iterations=1)
    counted = [v for v in counts.values() if isinstance(v, float)]
    # every case but Pillow's float32 one (Pillow filters 8-bit images only)
    assert len(counted) == len(cases) - 1
    assert all(v > 0 for v in counted)
