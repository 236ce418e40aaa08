"""Cases grouped into dask tasks: one per timed case, small batches of accuracy-only cases.

A batch shares one oracle result on its worker and pays distributed's per-task overhead once;
rows still stream back task by task. The driver (``executor``) splits a batch whose worker
keeps dying into single cases, so only the case at fault ends as an ``error`` row.
"""

from __future__ import annotations

from collections.abc import Sequence

from bench.sweep.cases import Case

#: Accuracy-only cases go to workers in small batches of cases sharing one oracle result.
#: Measured on the quick grid (2 workers): one task per case cost 10.4 s of CPU for 7.5 s of
#: work (distributed's per-task overhead, and each worker recomputing ideals the other had);
#: batches of up to 8 cost 7.6 s. A batch is also cut at ``BATCH_PIXELS`` so that a batch of
#: large images does not hold rows back for long. Timed cases always go one per task.
BATCH_CASES = 8
BATCH_PIXELS = 2**21


def units(cases: Sequence[Case], *, timed: bool) -> list[tuple[Case, ...]]:
    """Cases grouped into tasks: one per task when timed, else small batches in grid order.

    A batch holds adjacent cases with the same ``oracle_key`` (the grid puts them together),
    at most ``BATCH_CASES`` of them and at most ``BATCH_PIXELS`` pixels in all.
    """
    if timed:
        return [(case,) for case in cases]
    batches: list[list[Case]] = []
    for case in cases:
        last = batches[-1] if batches else None
        if (
            last is not None
            and last[0].oracle_key == case.oracle_key
            and len(last) < BATCH_CASES
            and sum(c.npix for c in last) + case.npix <= BATCH_PIXELS
        ):
            last.append(case)
        else:
            batches.append([case])
    return [tuple(batch) for batch in batches]
