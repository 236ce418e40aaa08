"""The bytecodes each Python function executes in a call: the Python half of compare's "where".

CPython 3.11 runs every Python function inside ``_PyEval_EvalFrameDefault``, so callgrind
cannot name them (``-X perf`` exists from 3.12). A separate pass, never under valgrind and
after the counted one, runs each case under ``sys.settrace`` with opcode events and tallies per
``module.qualname``: calls, own bytecodes (``opcodes``) and with Python callees
(``opcodes_inclusive``). Kept as ``<run>/profiles/<case_id>.bytecodes.json.gz``
(``bench.store.profiles``): ``{"version": 1, "calls", "functions": {name: counts}}``.
Why and what it shows: docs/attribution.md, "Where: the functions whose counts changed".

Public API: ``trace_cases``, ``trace_call``, ``read_tally``, ``TALLY_VERSION``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.store import profiles
from bench.sweep.cases import Case

TALLY_VERSION = 1
#: Most functions kept per case (SciPy's gaussian_filter runs about 30): the rest are dropped,
#: least work first, so a runaway call cannot make a huge file.
MAX_FUNCTIONS = 2000


def trace_cases(
    cases: Sequence[Case],
    run_dir: Path,
    *,
    python: str = sys.executable,
    env: Mapping[str, str] | None = None,
    calls: int = 3,
    warmup: int = 5,
    timeout_s: float = 3600.0,
) -> dict[str, str]:
    """Tally the Python functions of each case; ``case_id -> bytecode_profile`` name.

    A case whose pass failed (or whose tally is over the size cap) is missing from the result:
    its row then names no profile, and compare says so.
    """
    if not cases:
        return {}
    request = {"cases": [c.to_dict() for c in cases], "calls": int(calls), "warmup": int(warmup)}
    worker_env = dict(os.environ if env is None else env)
    worker_env.setdefault("PYTHONHASHSEED", "0")
    proc = subprocess.run(
        [python, "-m", "bench.sweep.bytecodes"], input=json.dumps(request), capture_output=True,
        text=True, env=worker_env, timeout=timeout_s, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        return {}
    tallies = json.loads(proc.stdout.strip().splitlines()[-1])["tallies"]
    kept: dict[str, str] = {}
    for case, tally in zip(cases, tallies, strict=True):
        if tally is None:
            continue
        data = json.dumps(tally, sort_keys=True).encode()
        name = profiles.keep(data, run_dir, profiles.bytecodes_name(case.case_id))
        if name is not None:
            kept[case.case_id] = name
    return kept


def read_tally(data: bytes) -> dict[str, dict[str, float]]:
    """``function -> {"calls", "opcodes", "opcodes_inclusive"}`` per call, from a kept tally.

    Raises ValueError when the file is not a tally of this version (results are untrusted).
    """
    tally = json.loads(data.decode("utf-8"))
    if not isinstance(tally, dict) or tally.get("version") != TALLY_VERSION:
        raise ValueError(f"not a version-{TALLY_VERSION} bytecode tally")
    calls, functions = tally.get("calls"), tally.get("functions")
    if not (isinstance(calls, int) and calls >= 1 and isinstance(functions, dict)):
        raise ValueError("a bytecode tally needs 'calls' >= 1 and 'functions'")
    if len(functions) > MAX_FUNCTIONS:
        raise ValueError(f"a bytecode tally holds at most {MAX_FUNCTIONS} functions")
    out: dict[str, dict[str, float]] = {}
    for name, counts in functions.items():
        if not (isinstance(counts, dict) and len(name) <= 1000):
            raise ValueError(f"bad entry in a bytecode tally: {name[:80]!r}")
        values = {}
        for key in ("calls", "opcodes", "opcodes_inclusive"):
            v = counts.get(key)
            if not (isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**63):
                raise ValueError(f"{name[:80]!r}: {key} must be an int >= 0")
            values[key] = v / calls
        out[name] = values
    return out


class _Tracer:
    """``sys.settrace`` hooks that count opcodes per Python function (self and inclusive)."""

    def __init__(self) -> None:
        self.counts: dict[str, list[int]] = {}  # name -> [calls, opcodes, opcodes_inclusive]
        self.executed = 0  # opcodes of the whole pass so far
        self._stack: list[tuple[str, int]] = []  # (name, self.executed at the call)
        self._active: dict[str, int] = {}  # frames of a name now on the stack (recursion)
        self._names: dict[Any, str] = {}

    def _name(self, frame: Any) -> str:
        code = frame.f_code
        name = self._names.get(code)
        if name is None:
            module = frame.f_globals.get("__name__") or "?"
            name = self._names[code] = f"{module}.{code.co_qualname}"
        return name

    def global_trace(self, frame: Any, event: str, arg: Any) -> Callable | None:
        if event != "call":
            return None
        frame.f_trace_opcodes = True
        name = self._name(frame)
        counts = self.counts.setdefault(name, [0, 0, 0])
        counts[0] += 1
        self._stack.append((name, self.executed))
        self._active[name] = self._active.get(name, 0) + 1
        return self.local_trace

    def local_trace(self, frame: Any, event: str, arg: Any) -> Callable | None:
        if event == "opcode":
            self.executed += 1
            self.counts[self._stack[-1][0]][1] += 1
        elif event == "return" and self._stack:
            name, started = self._stack.pop()
            self._active[name] -= 1
            if self._active[name] == 0:  # outermost frame of a recursion: counted once
                self.counts[name][2] += self.executed - started
        return self.local_trace

    def tally(self, calls: int) -> dict[str, Any]:
        ranked = sorted(self.counts.items(), key=lambda kv: -kv[1][2])[:MAX_FUNCTIONS]
        functions = {
            name: {"calls": c, "opcodes": own, "opcodes_inclusive": incl}
            for name, (c, own, incl) in ranked
        }
        return {"version": TALLY_VERSION, "calls": calls, "functions": functions}


def trace_call(call: Callable[[], Any], calls: int) -> dict[str, Any]:
    """The tally of ``calls`` calls of ``call`` (already warmed up)."""
    tracer = _Tracer()
    sys.settrace(tracer.global_trace)
    try:
        for _ in range(calls):
            call()
    finally:
        sys.settrace(None)
    return tracer.tally(calls)


# -- the worker ----------------------------------------------------------------------------------


def _worker_main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    from bench.sweep import impls
    from bench.sweep.inputs import input_for

    request = json.loads(sys.stdin.read())
    calls, warmup = int(request["calls"]), int(request["warmup"])
    tallies: list[dict[str, Any] | None] = []
    for case_dict in request["cases"]:
        try:
            case = Case(**case_dict)
            call = impls.get(case.impl).prepare(case, input_for(case.shape, case.dtype_in))
            for _ in range(max(1, warmup)):
                call()
            tallies.append(trace_call(call, calls))
        except Exception:  # the counted pass reports the case's error; no tally here
            tallies.append(None)
    sys.stdout.write(json.dumps({"tallies": tallies}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(_worker_main())
