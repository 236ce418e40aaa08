"""The search of ``gfbench bisect``: the first version that differs from ``--good``.

One job, with no environments in it: given the ordered versions ``good = v0 < v1 < ... <
v(n-1) = bad`` and an ``evaluate(i)`` that says whether ``v(i)`` differs from ``v0`` (it
builds and observes an environment; tests pass a fake), find the transition.

What "the first version that differs" means (a measured transition), transient changes,
and the cost (at most ceil(log2(n)) + 1 evaluations, skips): docs/attribution.md.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any

SAME, DIFFERS, SKIP, GOOD = "same", "differs", "skip", "good"
FOUND, NO_DIFFERENCE, AMBIGUOUS, BAD_UNUSABLE = (
    "found",
    "no-difference",
    "ambiguous",
    "bad-unusable",
)


@dataclasses.dataclass(frozen=True)
class Evaluation:
    """What one environment showed: ``same``/``differs`` vs --good, or ``skip`` (with why)."""

    label: str
    status: str
    differences: tuple[dict[str, Any], ...] = ()
    note: str = ""
    facts: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status not in (SAME, DIFFERS, SKIP, GOOD):
            raise ValueError(f"status must be same, differs, skip or good; got {self.status!r}")
        if self.status == DIFFERS and not self.differences:
            raise ValueError(f"{self.label}: 'differs' needs the differences as evidence")


@dataclasses.dataclass(frozen=True)
class Step:
    """One evaluated environment, in the order the search asked for it."""

    number: int
    index: int
    interval: tuple[int, int]  # (lo, hi) before this step: lo agrees with good, hi differs
    evaluation: Evaluation


@dataclasses.dataclass(frozen=True)
class SearchResult:
    """The answer and every step that led to it."""

    labels: tuple[str, ...]
    outcome: str  # found | no-difference | ambiguous | bad-unusable
    last_same: int | None
    first_differs: int | None
    steps: tuple[Step, ...]

    @property
    def evaluations(self) -> int:
        return len(self.steps)

    @property
    def bound(self) -> int:
        """ceil(log2(n)) + 1: the most evaluations a range of n versions needs."""
        return math.ceil(math.log2(len(self.labels))) + 1 if len(self.labels) > 1 else 1

    def evaluated(self) -> dict[int, Evaluation]:
        return {s.index: s.evaluation for s in self.steps}

    @property
    def candidates(self) -> tuple[str, ...]:
        """Versions that may be the first to differ: one when found, more around skips."""
        if self.last_same is None or self.first_differs is None:
            return ()
        return self.labels[self.last_same + 1 : self.first_differs + 1]


def search(labels: Sequence[str], evaluate: Callable[[int], Evaluation]) -> SearchResult:
    """Find the measured transition from "same as labels[0]" to "differs" (module docstring).

    Parameters
    ----------
    labels
        The versions in order, --good first and --bad last (at least two).
    evaluate
        ``evaluate(i)`` builds and observes ``labels[i]``. It is called for index 0 first
        (status ``good``, or ``skip`` when --good itself cannot be built), then only for the
        indexes the search needs, each at most once.
    """
    if len(labels) < 2:
        raise ValueError("a bisect range needs --good and at least one later version")
    steps: list[Step] = []
    last = len(labels) - 1
    lo, hi, hi_seen = 0, last, False
    skipped: set[int] = set()

    def run(index: int) -> Evaluation:
        result = evaluate(index)
        steps.append(Step(len(steps) + 1, index, (lo, hi), result))
        return result

    def result(outcome: str, same: int | None, differs: int | None) -> SearchResult:
        return SearchResult(tuple(labels), outcome, same, differs, tuple(steps))

    if run(0).status == SKIP:
        return result(BAD_UNUSABLE, None, None)
    while True:
        open_ = [i for i in range(lo + 1, hi) if i not in skipped]
        if not open_:
            break
        # the upper middle: going right then costs no more than going left, which keeps the
        # worst case (the answer is --bad, evaluated last) within ceil(log2(n)) + 1
        middle = (lo + hi + 1) // 2
        index = min(open_, key=lambda i: (abs(i - middle), -i))
        got = run(index)
        if got.status == SKIP:
            skipped.add(index)
        elif got.status == DIFFERS:
            hi, hi_seen = index, True
        else:
            lo = index
    if not hi_seen:
        got = run(last)
        if got.status == SKIP:
            return result(BAD_UNUSABLE, lo, None)
        if got.status != DIFFERS:
            return result(NO_DIFFERENCE, last, None)
    outcome = FOUND if hi - lo == 1 else AMBIGUOUS
    return result(outcome, lo, hi)
