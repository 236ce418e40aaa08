"""Interleaved timing across environments: A B B A rounds of worker processes, case by case.

One job: given one untimed run per environment (``gfbench sweep --no-timing`` inside
each, which supplies outputs, hashes and accuracy), time every case that succeeded in
all of them by alternating fresh worker processes of the environments, then write one
timed run per environment.

Why: the load on a shared 2-core VM changes over minutes (A/A sweeps run minutes apart
differed by up to 5x per case), so timing version A's sweep and then version B's
charges the machine's mood to whichever version ran during a busy phase. Alternating
worker processes per case (asv issue #595) puts both versions into the same phase; the
order is reversed every other round (A B, B A, ...) so a steady drift cancels too.

The workers are ``python -m bench.sweep.timing`` of each environment's own interpreter,
running that environment's harness (``bench.sweep.measure:build_call``). Each environment
calibrates its loop count in its first worker and reuses it. The written rows carry
``processes`` = rounds and their samples in round order, so ``gfbench compare`` treats
every round as one process unit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bench import store
from bench.sweep.cases import Case
from bench.sweep.timing import TimingSettings, summarize

WORKER_TIMEOUT_S = 600.0


@dataclasses.dataclass(frozen=True)
class EnvUnderTest:
    """One environment taking part: its label, interpreter, untimed run and runs folder.

    ``env``: the variables of its worker processes (e.g. a matrix's ``--env
    SCIPY_ARRAY_API=1``); None takes ``child_env`` of `interleaved_timing`.
    """

    label: str
    python: Path
    untimed_run: Path
    runs_dir: Path
    env: Mapping[str, str] | None = None


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def rebuild_case(row: dict[str, Any]) -> Case | None:
    """The `Case` of a stored row, or None when it cannot be rebuilt exactly.

    Rows keep ``axes`` (the filtered axes) instead of ``channel_axis``; the rebuilt case
    must hash to the row's ``case_id``, so a mismatch can never time the wrong call.
    """
    axes = _clean(row.get("axes"))
    channel_axis = None
    if axes is not None:
        rest = [i for i in range(int(row["ndim"])) if i not in list(axes)]
        if len(rest) != 1:
            return None
        channel_axis = rest[0]
    sigma = row["sigma"]
    try:
        case = Case(
            impl=row["impl"], dtype=row["dtype"], shape=tuple(row["shape"]),
            sigma=tuple(sigma) if isinstance(sigma, (list, tuple)) else float(sigma),
            mode=row["mode"], truncate=float(row["truncate"]), order=int(row["order"]),
            cval=float(row["cval"]), channel_axis=channel_axis, group=row.get("group") or "",
        )  # fmt: skip
    except (ValueError, TypeError, KeyError):
        return None
    return case if case.case_id == row["case_id"] else None


def _time_one(env: EnvUnderTest, case: Case, settings: TimingSettings, loops: int | None,
              child_env: dict[str, str]) -> tuple[list[float], int]:  # fmt: skip
    request = {"target": "bench.sweep.measure:build_call", "payload": case.to_dict(),
               "settings": settings.to_dict(), "loops": loops}  # fmt: skip
    proc = subprocess.run(
        [str(env.python), "-m", "bench.sweep.timing"], input=json.dumps(request),
        capture_output=True, text=True, cwd=env.runs_dir,
        env=dict(env.env) if env.env is not None else child_env,
        timeout=WORKER_TIMEOUT_S, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"timing worker of {env.label} exited {proc.returncode}: {tail}")
    answer = json.loads(proc.stdout.strip().splitlines()[-1])
    return [float(s) for s in answer["samples_ns"]], int(answer["loops"])


def interleaved_timing(
    envs: Sequence[EnvUnderTest],
    *,
    rounds: int = 3,
    settings: TimingSettings | None = None,
    child_env: dict[str, str] | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Path]:
    """Time the common cases of ``envs`` in alternating worker processes.

    Parameters
    ----------
    envs
        The environments, each with an untimed run of the same grid.
    rounds
        Worker processes per case and environment (the process units of compare).
    settings
        Samples per worker, minimum sample time and warm-up (``processes`` is ignored).
    child_env
        Environment variables of the workers (thread pinning, no PYTHONPATH) of every
        environment that has no ``env`` of its own.

    Returns
    -------
    dict
        label -> the timed run folder written for that environment.
    """
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, got {rounds}")
    settings = settings or TimingSettings()
    child_env = dict(os.environ if child_env is None else child_env)
    rows = {env.label: {r["case_id"]: {k: _clean(v) for k, v in r.items()}
                        for r in store.load(env.untimed_run).to_dict("records")}
            for env in envs}  # fmt: skip
    first = rows[envs[0].label]
    common = [cid for cid, row in first.items()
              if all(rows[e.label].get(cid, {}).get("status") == "ok" for e in envs)]  # fmt: skip
    samples: dict[tuple[str, str], list[float]] = {}
    loops: dict[tuple[str, str], int] = {}
    failed: dict[tuple[str, str], str] = {}
    for index, case_id in enumerate(common):
        case = rebuild_case(first[case_id])
        if case is None:
            log(f"interleave: {case_id} cannot be rebuilt from its row; not timed")
            continue
        log(f"interleave: case {index + 1}/{len(common)} {case.label()}")
        for round_index in range(rounds):
            order = envs if round_index % 2 == 0 else list(reversed(envs))
            for env in order:
                key = (env.label, case_id)
                if key in failed:
                    continue
                try:
                    got, used = _time_one(env, case, settings, loops.get(key), child_env)
                except (RuntimeError, ValueError, subprocess.TimeoutExpired) as exc:
                    failed[key] = str(exc)
                    samples.pop(key, None)
                    continue
                samples.setdefault(key, []).extend(got)
                loops[key] = used
    written: dict[str, Path] = {}
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    for env in envs:
        meta = store.load_run_meta(env.untimed_run)
        for name in ("schema_version", "run_id", "status", "finished_at"):
            meta.pop(name, None)
        meta["started_at"] = store.utc_now()
        meta["timing"] = {"enabled": True, **settings.to_dict(), "processes": rounds,
                          "interleaved": {"environments": [e.label for e in envs],
                                          "rounds": rounds, "order": "A B, then B A"},
                          "untimed_run": str(env.untimed_run)}  # fmt: skip
        run = store.RunStore.create(env.runs_dir, f"{stamp}-interleaved", meta)
        for case_id, row in rows[env.label].items():
            fields = {k: row.get(k) for k in store.Row.field_names() if k in row}
            key = (env.label, case_id)
            if key in samples and len(samples[key]) == rounds * settings.repeats:
                fields.update(summarize(samples[key], loops=loops[key], processes=rounds))
                seconds = fields["min_ns"] / 1e9
                for name, amount in (("gbytes_per_s", fields.get("bytes_moved")),
                                     ("gflops_per_s", fields.get("flops"))):  # fmt: skip
                    fields[name] = None if not amount else amount / seconds / 1e9
            run.append(store.Row(**fields))
        run.finish("complete", interleave_failures={k[1]: v for k, v in failed.items()
                                                    if k[0] == env.label})  # fmt: skip
        written[env.label] = run.run_dir
    return written
