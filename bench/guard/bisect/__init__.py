"""``gfbench bisect``: the first SciPy release whose behaviour differs from a good one.

- ``command``: the verb (arguments, ``main``), the walk over releases and wheels, bisect.json.
- ``search``: the search itself, with no environments in it (the step bound, skips).
- ``observe``: one environment's observations (verify, sweep, instructions, A/B time) and
  their differences from --good's.

It builds on the matrix (environments, candidates), so it sits above it in the guard's layers.
"""

from bench.guard.bisect.command import bisect

__all__ = ["bisect"]
