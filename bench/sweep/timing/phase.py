"""The timing phase of a sweep: every case timed in ``processes`` long-lived worker processes.

One job: make sure every case of a run has one unit per planned worker in the run's
``timing-units.jsonl`` (starting only the workers that are missing, so ``--resume`` after an
interrupt keeps what was finished), then turn a case's units into the row's timing fields.

The workers run one after the other, never two at once: on 2 cores two workers would time each
other. Each worker runs every case in its own shuffled order (``bench.sweep.timing.worker``);
the first
one calibrates the loop counts and the later ones reuse them, so every pooled sample averages
the same number of calls.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.store import WorkerRecord, append_worker, read_workers
from bench.sweep.cases import Case
from bench.sweep.timing.sampling import TimingSettings, summarize
from bench.sweep.timing.worker import Timer, WorkerStopped, case_seed, run_worker


def _units_of(records: Sequence[WorkerRecord], case_id: str) -> list[tuple[tuple[float, ...], int]]:
    return [r.units[case_id] for r in records if case_id in r.units]


def time_in_workers(
    run_dir: Path,
    cases: Sequence[Case],
    settings: TimingSettings,
    *,
    env: Mapping[str, str] | None,
    should_stop: Callable[[], bool],
    on_unit: Callable[[str], None] | None = None,
    on_worker: Callable[[WorkerRecord, int], None] | None = None,
) -> list[WorkerRecord]:
    """Run the missing workers for ``cases``; return every finished worker of the run.

    A case that failed in a worker is not sent to the next ones. Returns early (with what was
    finished) when ``should_stop()`` turns True; the worker running then is discarded.
    """
    records = read_workers(run_dir)
    failed = {cid for r in records for cid in r.errors}
    while not should_stop():
        need = [
            c
            for c in cases
            if c.case_id not in failed and len(_units_of(records, c.case_id)) < settings.processes
        ]
        if not need:
            break
        loops = {}
        for c in need:
            got = _units_of(records, c.case_id)
            if got:
                loops[c.case_id] = got[0][1]
        index = len(records)
        seed = case_seed(secrets.randbelow(2**20), index)
        try:
            result = run_worker(
                Timer(env=env),
                need,
                settings,
                loops=loops,
                seed=seed,
                on_unit=on_unit,
                should_stop=should_stop,
            )
        except WorkerStopped:
            break
        record = WorkerRecord(
            worker=index,
            label=result.label,
            seed=result.seed,
            ref_ns=result.ref_ns,
            seconds=result.seconds,
            units=result.units,
            errors=result.errors,
        )
        append_worker(run_dir, record)
        records.append(record)
        failed |= set(record.errors)
        if on_worker is not None:
            on_worker(record, len(need))
    return records


def timing_fields(records: Sequence[WorkerRecord], case_id: str) -> dict[str, Any] | str:
    """A case's row timing fields from its units, or the text of why it was not timed.

    Every worker's samples go into ``samples_ns`` in worker order, ``repeats`` each, and
    ``processes`` is the number of workers: ``gfbench compare`` splits them back into one unit
    per worker. ``ref_ns`` holds each of those workers' reference-workload time.
    """
    for r in records:
        if case_id in r.errors:
            return r.errors[case_id]
    picked = [r for r in records if case_id in r.units]
    if not picked:
        return "timing: no worker timed this case"
    sizes = {len(r.units[case_id][0]) for r in picked}
    if len(sizes) != 1:  # e.g. a resume with other settings; compare needs equal chunks
        picked = [r for r in picked if len(r.units[case_id][0]) == len(picked[0].units[case_id][0])]
    samples = [s for r in picked for s in r.units[case_id][0]]
    fields = summarize(samples, loops=picked[0].units[case_id][1], processes=len(picked))
    refs = [r.ref_ns for r in picked]
    fields["ref_ns"] = None if any(x is None for x in refs) else refs
    return fields


def uses_workers(tsettings: TimingSettings | None, executor: str) -> bool:
    """Whether cases are timed in rounds of long-lived workers (``bench.sweep.timing.phase``).

    That is the default. ``--processes 0`` times in the sweep process, and an executor that
    runs cases elsewhere (Dask) times each case where it runs, in fresh processes per case.
    """
    return tsettings is not None and tsettings.processes >= 1 and executor == "serial"


def timing_method(tsettings: TimingSettings | None, executor: str) -> str | None:
    """run.json's ``timing.method``: ``workers``, ``in-process`` or ``processes-per-case``."""
    if tsettings is None:
        return None
    if uses_workers(tsettings, executor):
        return "workers"
    return "in-process" if tsettings.processes == 0 else "processes-per-case"
