"""Instruction counts of cases under callgrind: the noise-free metric beside wall time.

Counts the instructions inside each adapter's native entry symbols (``--instructions-scope
entry``), or hands the whole call to ``bench.sweep.callcount`` (``call``, the default), and
fills the rows' ``instructions`` fields; ``gfbench sweep --metric instructions`` counts before
timing. How the batch worker separates cases, and what a count cannot see: docs/instructions.md.

Public API: ``count_instructions``, ``entry_symbols``, ``check_metric``, ``with_instructions``,
``describe``, ``valgrind_missing``, ``check_scope``, ``METRICS``, ``SCOPES``, ``MARKER``.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.exitcodes import UsageError
from bench.store import Row
from bench.sweep.cases import Case

#: What ``gfbench sweep --metric`` may name: wall time only, or instructions as well.
METRICS = ("time", "instructions")
#: What an instruction count covers: the whole call (``bench.sweep.callcount``, default) or
#: only the adapter's native entry symbols (this module's own counter).
SCOPES = ("call", "entry")
#: Valgrind processes side by side (the machines this was built on have 2 cores).
DEFAULT_PROCESSES = 2
#: CPython's C function behind ``os.getppid()``: the worker's case separator.
MARKER = "os_getppid"
#: How many valgrind processes a sweep's count runs side by side, in either scope (default
#: ``callcount.DEFAULT_PROCESSES`` or ``DEFAULT_PROCESSES``): ``gfbench matrix`` sets 1 and
#: counts its environments side by side instead, so no environment pays a second interpreter
#: start-up under valgrind
PROCESSES_VAR = "GFBENCH_CALLGRIND_PROCESSES"
#: Counted calls per case (the count is per call: the total divided by this).
DEFAULT_CALLS = 3
_SUMMARY = re.compile(r"^summary:\s*(\d+)\s*$", re.MULTILINE)
_PART = re.compile(r"^cg\.out\.(\d+)$")


def valgrind_missing() -> str | None:
    """``None`` when ``valgrind`` is on PATH, else why the metric is unavailable."""
    if shutil.which("valgrind") is None:
        return (
            "--metric instructions is unavailable: valgrind is not on PATH "
            "(install it, e.g. apt-get install valgrind)"
        )
    return None


def check_metric(metric: str) -> str:
    """``metric`` if it is one of ``METRICS`` and can be measured here, else UsageError."""
    if metric not in METRICS:
        raise UsageError(f"--metric: got {metric!r}; allowed: {', '.join(METRICS)}")
    if metric == "instructions" and (missing := valgrind_missing()) is not None:
        raise UsageError(missing)
    return metric


def check_scope(scope: str) -> str:
    """``scope`` if it is one of ``SCOPES``, else UsageError naming the option."""
    if scope not in SCOPES:
        raise UsageError(f"--instructions-scope: got {scope!r}; allowed: {', '.join(SCOPES)}")
    return scope


def describe(
    impl_names: Sequence[str],
    *,
    calls: int = DEFAULT_CALLS,
    scope: str = "entry",
    cache_sim: bool = False,
) -> dict[str, Any]:
    """How the counts were taken, for run.json: tool, scope, calls and entry symbols
    (``cache_sim``, call scope only: callgrind's cache simulation ran too)."""
    check_scope(scope)
    proc = subprocess.run(
        ["valgrind", "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    symbols = {}
    for impl in impl_names:
        found, reason = entry_symbols(impl)
        symbols[impl] = list(found) if found else f"unsupported: {reason}"
    if scope == "call":
        from bench.sweep import callcount

        how = {
            "scope": "call",
            "switch": "valgrind client requests around the call (pytest-codspeed's instrument "
            "hooks), --instr-atstart=no",
            "warmup": callcount.DEFAULT_WARMUP,
            "unit": "instructions (Ir) per call, the whole call (Python and native); "
            "instructions_entry: the part inside the entry symbols",
            **(
                {"cache_sim": True,
                 "misses": "l1_misses: I1mr + D1mr + D1mw, ll_misses: ILmr + DLmr + DLmw, per "
                 "call, of valgrind's model cache (--cache-sim=yes)"}
                if cache_sim else {}
            ),
        }  # fmt: skip
    else:
        how = {"scope": "entry", "marker": MARKER,
               "unit": "instructions (Ir) per call inside the entry symbols"}  # fmt: skip
    return {
        "tool": f"{proc.stdout.strip() or 'valgrind'} --tool=callgrind",
        "calls": calls,
        **how,
        "entry_symbols": symbols,
        # a planted change (tests only): these counts are not of the installed SciPy
        **({"patch": spec} if (spec := _test_patch()) else {}),
    }


def with_instructions(row: Row, counts: Mapping[str, Any]) -> Row:
    """``row`` with its ``instructions`` filled when ``counts`` holds a number for its case.

    A whole-call count (``bench.sweep.callcount.CallCount``) also fills
    ``instructions_entry``, the part inside the entry symbols.
    """
    value = counts.get(row.case_id)
    if row.status != "ok":
        return row
    if isinstance(value, float):
        return dataclasses.replace(row, instructions=value)
    if hasattr(value, "call") and hasattr(value, "entry"):
        return dataclasses.replace(
            row, instructions=value.call, instructions_entry=value.entry,
            callgrind_profile=getattr(value, "profile", None),
            bytecode_profile=getattr(value, "bytecodes", None),
            l1_misses=getattr(value, "l1_misses", None),
            ll_misses=getattr(value, "ll_misses", None),
        )  # fmt: skip
    return row


def entry_symbols(impl: str) -> tuple[tuple[str, ...], str | None]:
    """An implementation's callgrind toggle patterns, or why it has none.

    Returns
    -------
    (symbols, reason)
        ``symbols`` is empty exactly when ``reason`` says why (the adapter's
        ``no_entry_symbols`` text).
    """
    from bench.sweep import impls

    adapter = impls.get(impl)
    symbols = tuple(adapter.entry_symbols)
    if symbols:
        return symbols, None
    return (), adapter.no_entry_symbols or f"{impl} declares no callgrind entry symbol"


def count_instructions(
    cases: Sequence[Case],
    *,
    python: str = sys.executable,
    env: Mapping[str, str] | None = None,
    calls: int = DEFAULT_CALLS,
    processes: int = DEFAULT_PROCESSES,
    timeout_s: float = 3600.0,
) -> dict[str, float | str]:
    """Instructions per call inside each case's entry symbols, counted under callgrind.

    Parameters
    ----------
    cases : sequence of Case
    python : str
        Interpreter that runs the worker (it must import ``bench``).
    env : mapping, optional
        Environment of the workers (the pinned thread variables).
    calls : int
        Counted calls per case, after one warm-up call.
    processes : int
        Valgrind processes run side by side, each on a share of the cases (the count does not
        depend on machine load).

    Returns
    -------
    dict
        ``case_id -> float`` (instructions per call), or ``case_id -> str``: the reason there is
        no count (``"unsupported: ..."``, ``"unavailable: ..."``, ``"error: ..."``).

    Raises
    ------
    UsageError
        valgrind is not installed, or ``calls``/``processes`` < 1.
    """
    from bench.sweep import impls

    if isinstance(calls, bool) or int(calls) != calls or calls < 1:
        raise UsageError(f"calls must be an int >= 1, got {calls!r}")
    if isinstance(processes, bool) or int(processes) != processes or processes < 1:
        raise UsageError(f"processes must be an int >= 1, got {processes!r}")
    missing = valgrind_missing()
    if missing is not None:
        raise UsageError(missing)
    results: dict[str, float | str] = {}
    counted: list[Case] = []
    for case in cases:
        try:
            adapter = impls.get(case.impl)
        except KeyError:
            results[case.case_id] = f"error: unknown implementation {case.impl!r}"
            continue
        symbols, reason = entry_symbols(case.impl)
        missing_package = adapter.available()
        why_not = None if missing_package is not None else adapter.supports(case)
        if missing_package is not None:
            results[case.case_id] = f"unavailable: {missing_package}"
        elif why_not is not None:
            results[case.case_id] = f"unsupported: {why_not}"
        elif not symbols:
            results[case.case_id] = f"unsupported: {reason}"
        else:
            counted.append(case)
    if not counted:
        return results
    n_batches = min(int(processes), len(counted))
    # Round-robin, so each process gets a mix of cheap and expensive cases.
    batches = [counted[i::n_batches] for i in range(n_batches)]
    worker_env = dict(os.environ if env is None else env)
    worker_env.setdefault("PYTHONHASHSEED", "0")
    with concurrent.futures.ThreadPoolExecutor(n_batches) as pool:
        futures = [
            pool.submit(
                _count_batch,
                batch,
                python=python,
                env=worker_env,
                calls=int(calls),
                timeout_s=timeout_s,
            )
            for batch in batches
        ]
        for future in futures:
            results.update(future.result())
    return results


def valgrind_command(symbols: Sequence[str], out_file: Path, python: str) -> list[str]:
    """The valgrind command line that counts ``symbols`` in one worker."""
    command = [
        "valgrind",
        "--tool=callgrind",
        "--collect-atstart=no",
        f"--dump-before={MARKER}",
        f"--callgrind-out-file={out_file}",
    ]
    command += [f"--toggle-collect={s}" for s in sorted(set(symbols))]
    return [*command, python, "-m", "bench.sweep.instructions"]


def _count_batch(
    cases: Sequence[Case], *, python: str, env: dict[str, str], calls: int, timeout_s: float
) -> dict[str, float | str]:
    symbols = [s for case in cases for s in entry_symbols(case.impl)[0]]
    request = {"cases": [case.to_dict() for case in cases], "calls": calls}
    with tempfile.TemporaryDirectory(prefix="gfbench-callgrind-") as tmp:
        out_file = Path(tmp) / "cg.out"
        proc = subprocess.run(
            valgrind_command(symbols, out_file, python),
            input=json.dumps(request),
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout_s,
            check=False,
        )
        if proc.returncode != 0:
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            text = f"error: callgrind worker exited {proc.returncode}: {tail}"
            return {case.case_id: text for case in cases}
        parts = read_parts(Path(tmp))
    answer = json.loads(proc.stdout.strip().splitlines()[-1])
    return assign_counts(cases, answer["errors"], parts, calls=calls)


def read_parts(folder: Path) -> dict[int, int]:
    """``part number -> instructions`` of callgrind's numbered dumps ``cg.out.N`` in ``folder``."""
    parts: dict[int, int] = {}
    for path in folder.iterdir():
        match = _PART.match(path.name)
        if match is None:
            continue
        summary = _SUMMARY.search(path.read_text(encoding="utf-8", errors="replace"))
        if summary is None:
            raise ValueError(f"callgrind dump {path.name} has no 'summary:' line")
        parts[int(match.group(1))] = int(summary.group(1))
    return parts


def assign_counts(
    cases: Sequence[Case],
    errors: Sequence[str | None],
    parts: Mapping[int, int],
    *,
    calls: int,
) -> dict[str, float | str]:
    """Case ``k`` (0-based) owns dump part ``2k + 2``: the part between its two markers."""
    if len(errors) != len(cases):
        raise ValueError(f"worker answered for {len(errors)} of {len(cases)} cases")
    expected = 2 * len(cases)
    if sorted(parts) != list(range(1, expected + 1)):
        # A marker fired elsewhere (or not at all): refuse rather than shift every count.
        text = (
            f"error: callgrind wrote {len(parts)} marker dumps, expected {expected}; "
            f"something else called {MARKER}"
        )
        return {case.case_id: text for case in cases}
    results: dict[str, float | str] = {}
    for k, (case, error) in enumerate(zip(cases, errors, strict=True)):
        if error is not None:
            results[case.case_id] = f"error: {error}"
            continue
        total = parts[2 * k + 2]
        if total <= 0:
            results[case.case_id] = (
                "error: 0 instructions inside the entry symbols "
                f"{', '.join(entry_symbols(case.impl)[0])}: renamed or not reached?"
            )
            continue
        results[case.case_id] = total / calls
    return results


def _test_patch() -> str | None:
    """The test-only patch in effect (``reference.patching``, the one reader of its variable)."""
    from reference import patching

    return patching.active_spec()


# -- the worker, run under valgrind ------------------------------------------------------------


def _worker_main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    from bench.sweep import impls
    from bench.sweep.inputs import input_for

    request = json.loads(sys.stdin.read())
    calls = int(request["calls"])
    if _test_patch():
        # Test-only (reference.patching): a planted change of scipy.ndimage must reach the
        # counted calls; describe() records the patch in run.json.
        from reference import patching

        patching.apply_from_environment()
    errors: list[str | None] = []
    for case_dict in request["cases"]:
        error: str | None = None
        call = None
        try:
            case = Case(**case_dict)
            call = impls.get(case.impl).prepare(case, input_for(case.shape, case.dtype_in))
            call()  # warm-up: lazy imports, caches, thread pools
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
            call = None
        os.getppid()  # marker: closes the preparation part
        if call is not None:
            try:
                for _ in range(calls):
                    call()
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
        os.getppid()  # marker: closes the counted part
        errors.append(error)
    sys.stdout.write(json.dumps({"errors": errors}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(_worker_main())


def count_for_run(
    meta: dict, todo: Sequence[Case], console, run_dir: Path | None = None
) -> dict[str, Any]:
    """``--metric instructions``: count every case under callgrind (one batch, before the rows).

    Whole-call counts keep their profiles in ``run_dir`` (always: the guard grid's are 1.65 MB
    in all): each case's callgrind dump, and the tally of its Python functions from a separate,
    uncounted pass (``bench.sweep.bytecodes``); the rows name them for compare's "where" list.
    """
    if (meta.get("timing") or {}).get("metric", "time") != "instructions" or not todo:
        return {}
    check_metric("instructions")  # a resumed run on a machine without valgrind: exit 2
    if patch := _test_patch():
        console.print(
            f"[yellow]WARNING[/] scipy.ndimage patched by GFBENCH_SCIPY_PATCH={patch} in the "
            "counting workers: these instruction counts are not of the installed SciPy",
            highlight=False,
            soft_wrap=True,
        )
    scope = (meta.get("instructions") or {}).get("scope", "entry")
    console.print(f"counting instructions ({scope}) of {len(todo)} cases under callgrind ...")
    t0 = time.perf_counter()
    # either scope: each valgrind process pays an interpreter start-up and the imports under
    # valgrind, which a few small cases do not pay back
    processes = os.environ.get(PROCESSES_VAR, "").strip()
    if processes and not (processes.isdigit() and int(processes) >= 1):
        raise UsageError(f"{PROCESSES_VAR}={processes!r}: must be an int >= 1")
    if scope == "call":
        from bench.sweep.callcount import DEFAULT_PROCESSES as CALL_PROCESSES
        from bench.sweep.callcount import count_call_instructions

        counts: dict[str, Any] = count_call_instructions(
            todo, env=dict(os.environ), run_dir=run_dir,
            processes=int(processes) if processes else CALL_PROCESSES,
            cache_sim=bool((meta.get("instructions") or {}).get("cache_sim")),
        )  # fmt: skip
        if run_dir is not None:
            counts = _with_bytecodes(counts, todo, run_dir)
    else:
        counts = count_instructions(
            todo, env=dict(os.environ),
            processes=int(processes) if processes else DEFAULT_PROCESSES,
        )  # fmt: skip
    n_counted = sum(not isinstance(v, str) for v in counts.values())
    console.print(f"counted {n_counted} of {len(todo)} cases in {time.perf_counter() - t0:.0f} s")
    for case in todo:  # unsupported ones are listed in run.json's "instructions"
        if str(counts.get(case.case_id, "")).startswith("error"):
            text = f"[red]instructions[/] {case.label()}: {counts[case.case_id]}"
            console.print(text, highlight=False, soft_wrap=True)
    return counts


def _with_bytecodes(counts: dict[str, Any], todo: Sequence[Case], run_dir: Path) -> dict[str, Any]:
    """``counts`` with each counted case's Python-function tally kept and named."""
    import dataclasses as dc

    from bench.sweep.bytecodes import trace_cases
    from bench.sweep.callcount import DEFAULT_CALLS, DEFAULT_WARMUP

    counted = [c for c in todo if not isinstance(counts.get(c.case_id, ""), str)]
    kept = trace_cases(counted, run_dir, env=dict(os.environ), calls=DEFAULT_CALLS,
                       warmup=DEFAULT_WARMUP)  # fmt: skip
    return {
        cid: dc.replace(value, bytecodes=kept[cid]) if cid in kept else value
        for cid, value in counts.items()
    }
