"""A round's pair of units in an A/B session: the evidence its sequential looks test.

One job: turn the samples one case received in one round, on side A and on side B, into the
pair of units (a, b) whose log ratio is that round's evidence.

- ``paired-median`` (sessions since 2026-12-03): a = A's minimum, b = a x the median over the
  round's passes of B's sample / A's sample, the two taken milliseconds apart;
- ``min`` (earlier sessions, replayed as they ran): each side's minimum over the round.

Why: docs/timing.md, "A round's units".
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

MIN = "min"
PAIRED_MEDIAN = "paired-median"
UNITS = (MIN, PAIRED_MEDIAN)
#: what a round's pair is, in compare's words
WORDS = {
    PAIRED_MEDIAN: "each round: the median over its passes of B's sample / A's",
    MIN: "each round: each side's minimum",
}


def round_pair(a: Sequence[float], b: Sequence[float], unit: str) -> tuple[float, float]:
    """The units (A, B) of one round of one case, from its samples in pass order.

    ``paired-median`` needs as many samples on each side (sample j of A and of B were taken in
    the same pass, next to each other); ValueError otherwise, or for an unknown ``unit``.
    """
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {', '.join(UNITS)}; got {unit!r}")
    if not a or not b:
        raise ValueError("a round needs at least one sample on each side")
    if unit == MIN:
        return float(min(a)), float(min(b))
    if len(a) != len(b):
        raise ValueError(
            f"paired units need the same passes on both sides, got {len(a)} and {len(b)} samples"
        )
    base = float(min(a))
    log_ratio = float(np.median(np.log(np.asarray(b, dtype=float) / np.asarray(a, dtype=float))))
    return base, base * math.exp(log_ratio)


def round_units(
    rounds_a: Sequence[Sequence[float]], rounds_b: Sequence[Sequence[float]], unit: str
) -> tuple[list[float], list[float]]:
    """Each side's units, round by round (ValueError when the sides' rounds differ in number)."""
    if len(rounds_a) != len(rounds_b):
        raise ValueError(f"the sides have {len(rounds_a)} and {len(rounds_b)} rounds")
    pairs = [round_pair(a, b, unit) for a, b in zip(rounds_a, rounds_b, strict=True)]
    return [p[0] for p in pairs], [p[1] for p in pairs]
