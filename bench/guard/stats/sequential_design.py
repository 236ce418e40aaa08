"""Replaying the sequential looks of an A/B timing session over its per-round units.

One job: given each case's units in round order (one per worker round and side) and the
session's `SequentialDesign`, say what the sequential procedure decided and after how many
rounds. The live session (``bench.guard.ab_session``) calls `replay` after every round to know
which cases still need rounds; ``gfbench compare`` calls it on the stored runs and gets the
same verdicts, because the procedure is deterministic given the units: at look k it uses the
first ``min_rounds + k - 1`` units of every case still open, decides them together
(``bench.guard.stats.one_look.decide``, with the alpha spent at look k), and closes the decided
ones. A case closed at look k received no more rounds, so its stored units end there.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from bench.exitcodes import UsageError
from bench.guard.stats.one_look import Decision, LookPlan, decide
from bench.guard.stats.round_units import MIN, UNITS
from bench.guard.stats.verdicts import UNDECIDED


@dataclass(frozen=True)
class SequentialDesign:
    """When a session looks at its data and how much error it may spend.

    ``min_rounds`` rounds before the first look, then one look after every round up to
    ``max_rounds`` (so ``max_rounds - min_rounds + 1`` looks at most), ``alpha`` spent over them
    with the ``spending`` function of `bench.guard.stats.one_look.LookPlan`.
    """

    min_rounds: int = 3
    max_rounds: int = 15
    alpha: float = 0.05
    spending: str = "pocock"
    threshold: float = 0.10
    #: the units of round i were timed side by side (an interleaved session): paired tests
    paired: bool = False
    #: how a round's samples become its units (`bench.guard.stats.round_units`)
    unit: str = MIN

    def __post_init__(self) -> None:
        if not (isinstance(self.min_rounds, int) and self.min_rounds >= 2):
            raise UsageError(f"--min-rounds must be an int >= 2, got {self.min_rounds!r}")
        if not (isinstance(self.max_rounds, int) and self.max_rounds >= self.min_rounds):
            raise UsageError(
                f"--max-rounds must be an int >= --min-rounds ({self.min_rounds}), "
                f"got {self.max_rounds!r}"
            )
        if not (isinstance(self.threshold, (int, float)) and 0 < self.threshold < 10):
            raise UsageError(f"--threshold must be in (0, 10), got {self.threshold!r}")
        if not isinstance(self.paired, bool):
            raise UsageError(f"paired must be true or false, got {self.paired!r}")
        if self.unit not in UNITS:
            raise UsageError(f"unit must be one of {', '.join(UNITS)}, got {self.unit!r}")
        if self.unit != MIN and not self.paired:
            # B's units are built from A's samples: only a paired test may read them
            raise UsageError(f"unit {self.unit!r} needs paired rounds")
        self.plan()  # checks alpha and spending

    @property
    def max_looks(self) -> int:
        return self.max_rounds - self.min_rounds + 1

    def plan(self) -> LookPlan:
        return LookPlan(max_looks=self.max_looks, alpha=self.alpha, spending=self.spending)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> SequentialDesign | None:
        """The design stored in a run's ``run.json``, or None when absent or not valid."""
        if not isinstance(data, dict):
            return None
        try:
            fields = {k: data[k] for k in ("min_rounds", "max_rounds", "alpha", "spending")}
            fields["threshold"] = float(data["threshold"])
            # sessions before pairing stored no such field: their units were not side by side
            fields["paired"] = data.get("paired", False)
            # and sessions before the paired-median unit stored none: their units were minima
            fields["unit"] = data.get("unit", MIN)
            if not all(math.isfinite(float(fields[k])) for k in ("alpha", "threshold")):
                return None
            return cls(**fields)
        except (KeyError, TypeError, ValueError, UsageError):
            return None


@dataclass(frozen=True)
class Outcome:
    """What the procedure concluded for one case: its last decision and rounds used."""

    decision: Decision
    rounds: int

    @property
    def decided(self) -> bool:
        return self.decision.verdict != UNDECIDED


def replay(
    units: Mapping[Hashable, tuple[Sequence[float], Sequence[float]]],
    design: SequentialDesign,
    *,
    family: Callable[[Hashable], Hashable] | None = None,
) -> dict[Hashable, Outcome]:
    """Run the looks over ``units`` (per case: A's and B's units in round order).

    Cases with fewer than ``min_rounds`` units on a side get no outcome. A case's outcome is
    its decision at the look that closed it, or at the last look it took part in. ``family``
    (key -> family) runs Benjamini-Hochberg within each family
    (`bench.guard.stats.one_look.decide`):
    independent sessions simulated together, or calibration scenarios.
    """
    plan = design.plan()
    open_cases = set(units)
    outcomes: dict[Hashable, Outcome] = {}
    for look in range(1, design.max_looks + 1):
        n = design.min_rounds + look - 1
        at_look = {
            key: (list(units[key][0][:n]), list(units[key][1][:n]))
            for key in open_cases
            if len(units[key][0]) >= n and len(units[key][1]) >= n
        }
        if not at_look:
            break
        decided = decide(
            at_look,
            look=look,
            plan=plan,
            threshold=design.threshold,
            family=family,
            paired=design.paired,
        )
        for key, decision in decided.items():
            outcomes[key] = Outcome(decision, n)
            if decision.verdict != UNDECIDED:
                open_cases.discard(key)
    return outcomes


def still_open(outcomes: Mapping[Hashable, Outcome], keys: Sequence[Hashable]) -> list[Hashable]:
    """The keys that need another round: never looked at, or undecided."""
    return [k for k in keys if k not in outcomes or not outcomes[k].decided]
