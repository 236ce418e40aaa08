"""SciPy or numpy? Attribute each change of a matrix to the factor that explains it.

A matrix built with ``--numpy`` (or any set of sides whose numpy differs) varies two factors.
`attribute` compares every two sides that differ in exactly one of them (same SciPy, another
numpy; or same numpy, another SciPy) with `bench.guard.compare.result.compare_sides` -- outputs,
API probes and the timing gate, exactly as ``gfbench compare`` does -- and says per factor
whether it changes anything, and whether it does so at every level of the other factor:
"outputs change with numpy (1.26 -> 2.2) at every SciPy version; SciPy alone changes nothing".

Timing: pairs of one A/B session (a matrix) are time-matched, so their verdicts replay the
session's sequential looks; pairs timed apart are drift-corrected only when numpy is the same
(compare says so in its notes), which is why numpy steps of separate runs stay "inconclusive".
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from bench.guard.compare.correctness import DTYPE, GOLDEN, GOLDEN_TEST, OUTPUT, verify_tests
from bench.guard.compare.result import Comparison, compare_sides
from bench.guard.compare.sides import Side
from bench.guard.stats import verdicts as gate

FACTORS = ("scipy", "numpy")
#: change kinds that are a different result (bits, dtype) rather than a different API
OUTPUT_KINDS = (OUTPUT, GOLDEN, DTYPE)


def _feature(version: str) -> str:
    """1.26.4 -> 1.26: numpy's float behaviour moves with its feature releases."""
    return ".".join(str(version).split(".")[:2])


def observed_golden_changes(a: dict | None, b: dict | None) -> list[dict[str, Any]]:
    """Golden cases whose observed output bits differ, whatever each side's verdict.

    ``gfbench verify`` skips a float golden case whose bits differ from its record when
    numpy.exp takes another CPU path on this machine than where the record was made, so a
    plain comparison calls the pair "not comparable"; but both sides still *observed* the
    output, and the factor question is whether those observations differ.
    """
    if not a or not b:
        return []
    tests_a, tests_b = verify_tests(a, GOLDEN_TEST), verify_tests(b, GOLDEN_TEST)
    found = []
    for name, ta in tests_a.items():
        tb = tests_b.get(name)
        seen_a = ((ta.get("details") or {}).get("observed") or {}) if tb else {}
        seen_b = ((tb.get("details") or {}).get("observed") or {}) if tb else {}
        bits_a, bits_b = seen_a.get("sha256"), seen_b.get("sha256")
        if bits_a and bits_b and bits_a != bits_b:
            found.append(
                {
                    "kind": GOLDEN,
                    "case": f"golden {name}",
                    "detail": f"bits {bits_a[:10]} -> {bits_b[:10]}",
                }
            )
    return found


def _levels(side: Side) -> dict[str, str] | None:
    versions = side.versions
    if not all(versions.get(f) for f in FACTORS):
        return None
    return {f: str(versions[f]) for f in FACTORS}


def _step_entry(factor: str, a: Side, b: Side, la: dict, lb: dict, pair) -> dict[str, Any]:
    other = "numpy" if factor == "scipy" else "scipy"
    failing = pair.failing_changes + observed_golden_changes(a.verify, b.verify)
    # an accepted call whose result differs only in bits is an output change, not an API one
    is_output = [c["kind"] in OUTPUT_KINDS or c.get("change") == "bits" for c in failing]
    outputs = sorted({c["case"] for c, o in zip(failing, is_output, strict=True) if o})
    api = sorted({c["case"] for c, o in zip(failing, is_output, strict=True) if not o})
    counts = pair.verdict_counts()
    slower = faster = []
    if not pair.perf.empty:
        slower = sorted(pair.perf.loc[pair.perf["verdict"] == gate.SLOWER, "case"].astype(str))
        faster = sorted(pair.perf.loc[pair.perf["verdict"] == gate.FASTER, "case"].astype(str))
    return {
        "factor": factor,
        "from": la[factor],
        "to": lb[factor],
        "at": {other: la[other]},
        "a": a.label,
        "b": b.label,
        "outputs": outputs,
        "api": api,
        "timed": len(pair.perf),
        "time_counts": counts,
        "slower": slower,
        "faster": faster,
    }


def attribute(
    sides: Sequence[Side],
    *,
    threshold: float = gate.DEFAULT_THRESHOLD,
    alpha: float = gate.DEFAULT_ALPHA,
) -> dict[str, Any] | None:
    """Per factor, its single-factor comparisons and the sentence that sums them up.

    Returns None unless at least two numpy versions and a side pair that differs in numpy
    alone are present (a matrix without ``--numpy`` varies SciPy and numpy together).
    """
    labelled = [(s, lv) for s in sides if (lv := _levels(s)) is not None]
    if len({lv["numpy"] for _, lv in labelled}) < 2:
        return None
    steps: list[dict[str, Any]] = []
    for (a, la), (b, lb) in itertools.combinations(labelled, 2):
        differing = [f for f in FACTORS if la[f] != lb[f]]
        if len(differing) != 1 or a.env_vars != b.env_vars:
            continue
        if _version(lb[differing[0]]) < _version(la[differing[0]]):
            (a, la), (b, lb) = (b, lb), (a, la)  # every step reads old -> new
        factor, other = differing[0], FACTORS[1 - FACTORS.index(differing[0])]
        low, high = _version(la[factor]), _version(lb[factor])
        if any(lc[other] == la[other] and low < _version(lc[factor]) < high for _, lc in labelled):
            continue  # only neighbours: 1.10 -> 1.14 is the sum of 1.10 -> 1.13 -> 1.14
        pair = compare_sides(a, b, threshold=threshold, alpha=alpha)
        steps.append(_step_entry(differing[0], a, b, la, lb, pair))
    if not any(s["factor"] == "numpy" for s in steps):
        return None
    summary = {
        factor: _summarise(factor, [s for s in steps if s["factor"] == factor])
        for factor in FACTORS
    }
    return {"steps": steps, "summary": summary}


def _version(text: str):
    from packaging.version import InvalidVersion, Version

    try:
        return Version(str(text))
    except InvalidVersion:
        return Version("0")


def _name(factor: str) -> str:
    return "SciPy" if factor == "scipy" else "numpy"


def _span(step: dict[str, Any]) -> str:
    show = _feature if step["factor"] == "numpy" else str
    return f"{show(step['from'])} -> {show(step['to'])}"


def _summarise(factor: str, steps: list[dict[str, Any]]) -> dict[str, str]:
    """One sentence for outputs/API and one for time, for this factor, span by span."""
    other = "numpy" if factor == "scipy" else "scipy"
    if not steps:
        return {
            "outputs": f"no two sides differ in {_name(factor)} alone: not attributable",
            "time": "",
        }
    out = {}
    for what, keys in (("outputs", ("outputs", "api")), ("time", ("slower", "faster"))):
        if what == "time" and not any(s["timed"] for s in steps):
            out[what] = f"time: {_name(factor)} steps were not timed"
            continue
        if not any(s[k] for s in steps for k in keys):
            where = sorted({s["at"][other] for s in steps})
            undecided = sum(s["time_counts"].get(gate.INCONCLUSIVE, 0) for s in steps)
            timed = sum(s["timed"] for s in steps)
            if what == "time" and undecided:
                # "nothing" needs every interval inside the threshold; undecided is not "same"
                out[what] = (
                    f"time: no {_name(factor)} step found slower or faster, but {undecided} of "
                    f"{timed} case comparisons are inconclusive ({len(steps)} comparisons at "
                    f"{_name(other)} {', '.join(where)})"
                )
                continue
            out[what] = (
                f"{what}: {_name(factor)} alone changes nothing ({len(steps)} "
                f"comparisons at {_name(other)} {', '.join(where)})"
            )
            continue
        spans: dict[str, list[dict[str, Any]]] = {}
        for s in steps:
            spans.setdefault(_span(s), []).append(s)
        changed_parts, same = [], []
        for span, group in spans.items():
            changed = [s for s in group if any(s[k] for k in keys)]
            if not changed:
                same.append(span)
                continue
            tried = [s["at"][other] for s in group]
            scope = (
                f"at every {_name(other)} version tried ({', '.join(tried)})"
                if len(changed) == len(group)
                else f"at {len(changed)} of {len(group)} {_name(other)} versions "
                f"({', '.join(s['at'][other] for s in changed)} of {', '.join(tried)})"
            )
            counts = ", ".join(
                f"{max(len(s[k]) for s in changed)} {'API' if k == 'api' else k}"
                for k in keys
                if any(s[k] for s in changed)
            )
            changed_parts.append(f"change with {_name(factor)} ({span}) {scope}: {counts}")
        text = f"{what}: " + "; ".join(changed_parts)
        if same:
            text += f"; no change with {_name(factor)} {', '.join(same)}"
        out[what] = text
    return out


def render_factors(factors: dict[str, Any] | None, *, limit: int = 5) -> str:
    """The "which factor?" section of ``gfbench compare``'s text."""
    if not factors:
        return ""
    lines = ["== which factor explains each change? (sides that differ in one factor only) =="]
    for factor in FACTORS:
        for sentence in factors["summary"][factor].values():
            if sentence:
                lines.append(f"- {sentence}")
    for s in factors["steps"]:
        shown = s["outputs"][:limit] + s["api"][: max(0, limit - len(s["outputs"]))]
        lines.append(
            f"  {_name(s['factor'])} {s['from']} -> {s['to']} at "
            f"{', '.join(f'{_name(k)} {v}' for k, v in s['at'].items())}: "
            f"{len(s['outputs'])} outputs, {len(s['api'])} API, time "
            f"{s['time_counts'].get(gate.SLOWER, 0)} slower / "
            f"{s['time_counts'].get(gate.FASTER, 0)} faster / "
            f"{s['time_counts'].get(gate.SAME, 0)} same of {s['timed']}"
            + (f"; e.g. {', '.join(shown)}" if shown else "")
        )
    return "\n".join(lines)


def attach_factors(result: Comparison) -> Comparison:
    """Set ``result.factors`` (compare's JSON and text show it) when numpy varies."""
    result.factors = attribute(result.sides, threshold=result.threshold, alpha=result.alpha)
    return result
