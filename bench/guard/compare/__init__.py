"""``gfbench compare``: diff runs, verify results and matrix environments, with the gates.

- ``command``: the verb (arguments, ``main``); ``sides``: each argument loaded as a `Side`.
- ``rows``: row helpers the other modules share (labels, keys, grouping, case fields).
- ``correctness``: output, dtype, status and API-probe changes (exit 1).
- ``timing``: the time gate per case (ratios, intervals, sequential replay).
- ``memory``: the native peak-memory gate; ``instructions``: the instruction-count verdict.
- ``result``: the comparison model (`compare`, `Comparison`) and its exit code.
- ``factors``: SciPy or numpy? ``timeline``: ``gfbench history``'s table per release.
- ``render`` and ``plots``: what compare prints and writes.

Why: docs/compare.md.
"""

from bench.guard.compare.result import Comparison, PairResult, compare

__all__ = ["Comparison", "PairResult", "compare"]
