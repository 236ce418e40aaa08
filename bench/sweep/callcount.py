"""Instructions of the whole call, Python and native, counted under callgrind.

The worker runs under valgrind with instrumentation off and switches callgrind on and off
around each case's counted calls through pytest-codspeed's instrument hooks (client requests);
one dump per case gives the whole-call total and, inside it, the adapter's entry symbols (the
native core). With ``cache_sim`` each count also carries L1 and last-level misses. Why it
works this way and why the count repeats: docs/instructions.md.

Public API: ``count_call_instructions``, ``CallCount``, ``hooks_missing``, ``read_dump``,
``read_totals``, ``SCOPE``.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import fnmatch
import gc
import gzip
import importlib.machinery
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType

from bench.exitcodes import UsageError
from bench.store import profiles
from bench.sweep.cases import Case

#: what the count covers, recorded in run.json and checked by compare
SCOPE = "call"
DEFAULT_CALLS = 3
#: uncounted calls first: CPython 3.11+ quickens a code object after a few calls, and caches
#: (numpy's small-block cache, malloc's thresholds) settle
DEFAULT_WARMUP = 5
DEFAULT_PROCESSES = 2
_TRIGGER = re.compile(r"^desc:\s*Trigger:\s*Client Request:\s*case-(\d+)\s*$", re.MULTILINE)
_HOOKS = "pytest_codspeed.instruments.hooks"


@dataclasses.dataclass(frozen=True)
class CallCount:
    """Instructions per call: the whole call, and the part inside the entry symbols."""

    call: float
    entry: float | None  # None: the implementation declares no entry symbol
    #: the dump kept in the run folder (``bench.store.profiles`` name), None when not kept
    profile: str | None = None
    #: the Python functions' tally kept beside it (``bench.sweep.bytecodes``), None when not kept
    bytecodes: str | None = None
    #: with ``cache_sim``: misses per call in valgrind's model cache, first level (instruction
    #: and data, I1mr + D1mr + D1mw) and last level (ILmr + DLmr + DLmw); None without it
    l1_misses: float | None = None
    ll_misses: float | None = None

    def __post_init__(self) -> None:
        if not self.call > 0:
            raise ValueError(f"CallCount.call must be > 0, got {self.call!r}")


def hooks_missing(python: str = sys.executable, env: Mapping[str, str] | None = None) -> str | None:
    """``None`` when ``python`` can import the client-request binding, else why not."""
    proc = subprocess.run(
        [python, "-c", f"import {_HOOKS}.dist_instrument_hooks"],
        capture_output=True, text=True, env=None if env is None else dict(env), timeout=120,
        check=False,
    )  # fmt: skip
    if proc.returncode == 0:
        return None
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return f"pytest-codspeed's instrument hooks cannot be imported by {python}: {tail}"


def valgrind_command(out_file: Path, python: str, *, cache_sim: bool = False) -> list[str]:
    """Callgrind with instrumentation off until the worker's client request switches it on;
    ``cache_sim``: with callgrind's cache simulation (L1 and last-level misses)."""
    return [
        "valgrind", "--tool=callgrind", "--instr-atstart=no",
        *(["--cache-sim=yes"] if cache_sim else []),
        f"--callgrind-out-file={out_file}", python, "-m", "bench.sweep.callcount",
    ]  # fmt: skip


#: the events of callgrind's cache simulation that make up each miss figure
L1_EVENTS = ("I1mr", "D1mr", "D1mw")
LL_EVENTS = ("ILmr", "DLmr", "DLmw")


def read_totals(path: Path) -> dict[str, int]:
    """Every event's total in one dump (``events:`` names them, ``totals:`` at the end holds
    the sums): ``{"Ir": ...}``, with ``--cache-sim=yes`` also ``I1mr``, ``D1mr`` ... ``DLmw``.

    ``totals:`` wins over the header's ``summary:``: callgrind writes ``summary: 0`` there when
    instrumentation was switched on by a client request after the start.
    """
    opener = gzip.open if path.suffix == ".gz" else open
    names: list[str] = []
    found: dict[str, list[int]] = {}
    with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.startswith("events:"):
                names = line.split(":", 1)[1].split()
            elif line.startswith(("summary:", "totals:")):
                key, _, rest = line.partition(":")
                found[key] = [int(v) for v in rest.split()]
    values = found.get("totals", found.get("summary"))
    if not names or values is None:
        raise ValueError(f"{path}: no events:/totals: lines (not a callgrind dump?)")
    # trailing zero events may be left out of the line
    return dict(zip(names, values + [0] * (len(names) - len(values)), strict=True))


def read_dump(path: Path, patterns: Sequence[str]) -> tuple[int, float | None]:
    """(total instructions, instructions inside functions matching ``patterns``) of one dump.

    The entry figure is the inclusive cost of the matching functions (gprof2dot integrates the
    call graph), less the calls from one matching function into another, so nested entry
    symbols are not counted twice. ``patterns`` use callgrind's ``*``/``?`` wildcards.
    """
    import gprof2dot

    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
        profile = gprof2dot.CallgrindParser(fh).parse()
    total = int(profile[gprof2dot.SAMPLES])
    if not patterns:
        return total, None
    matched = {
        fid: f for fid, f in profile.functions.items()
        if any(fnmatch.fnmatchcase(f.name, p) for p in patterns)
    }  # fmt: skip
    inner = 0.0
    for f in matched.values():
        inclusive = f[gprof2dot.TOTAL_TIME_RATIO] * total if total else 0.0
        inner += inclusive
        for callee_id, call in f.calls.items():
            if callee_id in matched and callee_id != f.id and gprof2dot.SAMPLES2 in call:
                inner -= call[gprof2dot.SAMPLES2]
    return total, float(round(inner))


def count_call_instructions(
    cases: Sequence[Case],
    *,
    python: str = sys.executable,
    env: Mapping[str, str] | None = None,
    calls: int = DEFAULT_CALLS,
    warmup: int = DEFAULT_WARMUP,
    processes: int = DEFAULT_PROCESSES,
    run_dir: Path | None = None,
    timeout_s: float = 3600.0,
    cache_sim: bool = False,
) -> dict[str, CallCount | str]:
    """Whole-call instructions per call of every case, counted under callgrind.

    Parameters
    ----------
    cases
        The cases; unavailable and unsupported ones get a reason instead of a count.
    python, env
        Interpreter of the workers (it must import ``bench`` and pytest-codspeed) and their
        variables (``PYTHONHASHSEED`` defaults to 0).
    calls, warmup
        Counted calls per case, after ``warmup`` uncounted ones.
    processes
        Valgrind processes side by side, each on a round-robin share of the cases (the count
        does not depend on the machine's load).
    run_dir
        The run folder: each counted case's callgrind dump is kept in it as
        ``profiles/<case_id>.callgrind.gz`` (``bench.store.profiles``; compare's "where" list),
        named by ``CallCount.profile``.
    cache_sim
        Run callgrind's cache simulation too (``--cache-sim=yes``): each count also carries
        the L1 and last-level misses per call of valgrind's model cache (not this CPU's).

    Returns
    -------
    dict
        ``case_id -> CallCount`` or ``case_id -> "unsupported: ..." | "unavailable: ..." |
        "error: ..."``.
    """
    from bench.sweep import impls

    for name, value in (("calls", calls), ("processes", processes)):
        if isinstance(value, bool) or int(value) != value or value < 1:
            raise UsageError(f"{name} must be an int >= 1, got {value!r}")
    if isinstance(warmup, bool) or int(warmup) != warmup or warmup < 0:
        raise UsageError(f"warmup must be an int >= 0, got {warmup!r}")
    if shutil.which("valgrind") is None:  # bench.sweep.instructions says so before a sweep
        raise UsageError("instruction counts need valgrind on PATH (apt-get install valgrind)")
    results: dict[str, CallCount | str] = {}
    counted: list[Case] = []
    for case in cases:
        try:
            adapter = impls.get(case.impl)
        except KeyError:
            results[case.case_id] = f"error: unknown implementation {case.impl!r}"
            continue
        if (why := adapter.available()) is not None:
            results[case.case_id] = f"unavailable: {why}"
        elif (why := adapter.supports(case)) is not None:
            results[case.case_id] = f"unsupported: {why}"
        else:
            counted.append(case)
    if not counted:
        return results
    worker_env = dict(os.environ if env is None else env)
    worker_env.setdefault("PYTHONHASHSEED", "0")
    if (why := hooks_missing(python, worker_env)) is not None:
        results.update({case.case_id: f"unavailable: {why}" for case in counted})
        return results
    n = min(int(processes), len(counted))
    batches = [counted[i::n] for i in range(n)]  # round-robin: a mix of cheap and dear cases
    # the adapters' callgrind patterns: the native core inside the whole call
    symbols = {case.impl: tuple(impls.get(case.impl).entry_symbols) for case in counted}
    with concurrent.futures.ThreadPoolExecutor(n) as pool:
        futures = [
            pool.submit(_count_batch, batch, python=python, env=worker_env, calls=int(calls),
                        warmup=int(warmup), symbols=symbols, run_dir=run_dir,
                        timeout_s=timeout_s, cache_sim=bool(cache_sim))
            for batch in batches
        ]  # fmt: skip
        for future in futures:
            results.update(future.result())
    return results


def _count_batch(
    cases: Sequence[Case], *, python: str, env: dict[str, str], calls: int, warmup: int,
    symbols: Mapping[str, Sequence[str]], run_dir: Path | None, timeout_s: float,
    cache_sim: bool = False,
) -> dict[str, CallCount | str]:  # fmt: skip
    request = {"cases": [c.to_dict() for c in cases], "calls": calls, "warmup": warmup}
    with tempfile.TemporaryDirectory(prefix="gfbench-callcount-") as tmp:
        proc = subprocess.run(
            valgrind_command(Path(tmp) / "cg.out", python, cache_sim=cache_sim),
            input=json.dumps(request),
            capture_output=True, text=True, env=env, timeout=timeout_s, check=False,
        )  # fmt: skip
        if proc.returncode != 0:
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            text = f"error: callgrind worker exited {proc.returncode}: {tail}"
            return {case.case_id: text for case in cases}
        errors = json.loads(proc.stdout.strip().splitlines()[-1])["errors"]
        dumps: dict[int, Path] = {}
        for path in Path(tmp).glob("cg.out.*"):
            head = path.read_text(encoding="utf-8", errors="replace")[:4000]
            if (match := _TRIGGER.search(head)) is not None:
                dumps[int(match.group(1))] = path
        results: dict[str, CallCount | str] = {}
        for k, (case, error) in enumerate(zip(cases, errors, strict=True)):
            if error is not None:
                results[case.case_id] = f"error: {error}"
                continue
            if k not in dumps:
                results[case.case_id] = f"error: no callgrind dump for case-{k}"
                continue
            total, inner = read_dump(dumps[k], symbols.get(case.impl, ()))
            if total <= 0:
                results[case.case_id] = (
                    "error: 0 instructions counted (valgrind client request lost?)"
                )
                continue
            misses: dict[str, float | None] = {"l1_misses": None, "ll_misses": None}
            if cache_sim:
                events = read_totals(dumps[k])
                misses = {
                    "l1_misses": sum(events.get(e, 0) for e in L1_EVENTS) / calls,
                    "ll_misses": sum(events.get(e, 0) for e in LL_EVENTS) / calls,
                }
            results[case.case_id] = CallCount(
                call=total / calls, entry=None if inner is None else inner / calls, **misses
            )
            if run_dir is not None:  # kept for compare's "where" list (None: over the cap)
                kept = profiles.keep(
                    dumps[k].read_bytes(), run_dir, profiles.callgrind_name(case.case_id)
                )
                results[case.case_id] = dataclasses.replace(results[case.case_id], profile=kept)
    return results


# -- the worker, run under valgrind ------------------------------------------------------------


def load_hooks() -> ModuleType:
    """pytest-codspeed's client-request binding, loaded from its file without its package.

    ``import pytest_codspeed.instruments.hooks.dist_instrument_hooks`` runs
    ``pytest_codspeed/__init__.py``, which imports the pytest plugin and pytest itself: about
    3 s of CPU under valgrind (instrumentation off, still translated), in every counting worker,
    for a module the worker never uses. The extension is the same file either way.
    """
    name = f"{_HOOKS}.dist_instrument_hooks"
    if (loaded := sys.modules.get(name)) is not None:
        return loaded
    package = importlib.util.find_spec("pytest_codspeed")  # finds it, runs nothing
    if package is None or not package.submodule_search_locations:
        raise ImportError("pytest-codspeed is not installed", name=name)
    folder = Path(next(iter(package.submodule_search_locations))) / "instruments" / "hooks"
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = folder / f"dist_instrument_hooks{suffix}"
        if path.is_file():
            loader = importlib.machinery.ExtensionFileLoader(name, str(path))
            spec = importlib.util.spec_from_file_location(name, path, loader=loader)
            if spec is not None:
                module = importlib.util.module_from_spec(spec)
                loader.exec_module(module)
                return module
    raise ImportError(f"no dist_instrument_hooks extension in {folder}", name=name)


def _worker_main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    hooks = load_hooks()

    from bench.sweep import impls
    from bench.sweep.inputs import input_for

    request = json.loads(sys.stdin.read())
    calls, warmup = int(request["calls"]), int(request["warmup"])
    handle = hooks.instrument_hooks_init()
    # bound once: no attribute look-up between the client request and the call
    start, stop = hooks.callgrind_start_instrumentation, hooks.callgrind_stop_instrumentation
    pid = os.getpid()
    errors: list[str | None] = []
    for k, case_dict in enumerate(request["cases"]):
        error: str | None = None
        try:
            case = Case(**case_dict)
            call = impls.get(case.impl).prepare(case, input_for(case.shape, case.dtype_in))
            for _ in range(max(1, warmup)):
                call()
        except Exception as exc:
            error, call = f"{type(exc).__name__}: {exc}"[:500], None
        gc.collect()
        gc.disable()  # a collection would land in whichever case crossed the threshold
        hooks.instrument_hooks_start_benchmark(handle)  # CALLGRIND_ZERO_STATS, START
        start()
        try:
            if call is not None:
                for _ in range(calls):
                    call()
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        finally:
            stop()
            hooks.instrument_hooks_stop_benchmark(handle)
            # CALLGRIND_DUMP_STATS_AT("case-k"): one dump per case, named
            hooks.instrument_hooks_set_executed_benchmark(handle, pid, f"case-{k}".encode())
            gc.enable()
        errors.append(error)
    sys.stdout.write(json.dumps({"errors": errors}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(_worker_main())
