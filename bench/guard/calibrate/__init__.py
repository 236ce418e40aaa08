"""``gfbench calibrate``: the gate's false-positive rate, power and inconclusive rate here.

- ``command``: the verb and the sweep-based mode.
- ``sessions``: A/A sessions timed as ``gfbench matrix`` times them, with planted slowdowns.

Why: docs/timing.md.
"""

from bench.guard.calibrate.command import calibrate

__all__ = ["calibrate"]
