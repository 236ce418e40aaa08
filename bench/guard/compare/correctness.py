"""Correctness changes between two runs or two verify results (what ``gfbench compare`` lists).

One job: given the rows of two runs (rounds merged) or two ``gfbench verify --json``
documents, say per case what changed -- output hash (with how far the accuracy against the
oracle moved), output dtype, status, error message, API probe outcome, keyword capability --
as plain dicts that ``bench.guard.compare.command`` renders and turns into exit code 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from bench.guard.compare.rows import as_number, case_label, group_rows, is_null, row_key_columns

#: accuracy fields whose change is reported when an output hash differs
ACCURACY_FIELDS = (
    "max_abs_error",
    "rmse",
    "bias",
    "max_ulp_error",
    "max_grey_levels",
    "frac_correctly_rounded",
    "matches_storage_model",
    "interior_max_abs_error",
    "border_max_abs_error",
)

# correctness change kinds; every one of them except MISSING/NOT_COMPARABLE makes exit 1
OUTPUT, DTYPE, STATUS, ERROR, NONDETERMINISTIC = (
    "output",
    "dtype",
    "status",
    "error-message",
    "nondeterministic",
)
PROBE, GOLDEN, VERIFY_CHECK = "api-probe", "golden", "verify-check"
MISSING, NOT_COMPARABLE = "missing", "not-comparable"
# a case of the baseline that the candidate lost ("only in A") is a change: a gate that
# passes when the candidate silently stopped running cases would pass on nothing (issue 10)
LOST = "lost"
CHANGE_KINDS_FAILING = (
    OUTPUT, DTYPE, STATUS, ERROR, NONDETERMINISTIC, PROBE, GOLDEN, VERIFY_CHECK, LOST,
)  # fmt: skip


def _accuracy_delta(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    delta = {}
    for name in ACCURACY_FIELDS:
        va, vb = a.get(name), b.get(name)
        if is_null(va) and is_null(vb):
            continue
        if isinstance(va, (bool, np.bool_)) or isinstance(vb, (bool, np.bool_)):
            if va != vb:
                delta[name] = {
                    "a": None if is_null(va) else bool(va),
                    "b": None if is_null(vb) else bool(vb),
                }
            continue
        fa, fb = as_number(va), as_number(vb)
        if fa != fb:
            delta[name] = {
                "a": fa,
                "b": fb,
                "change": None if fa is None or fb is None else fb - fa,
            }
    return delta


def _describe_delta(delta: dict[str, Any]) -> str:
    parts = []
    for name in (
        "max_abs_error",
        "max_ulp_error",
        "max_grey_levels",
        "bias",
        "matches_storage_model",
    ):
        if name in delta:
            d = delta[name]
            parts.append(f"{name} {_fmt(d['a'])} -> {_fmt(d['b'])}")
    return "; ".join(parts) if parts else "accuracy vs oracle unchanged"


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def compare_run_correctness(a: pd.DataFrame, b: pd.DataFrame) -> list[dict[str, Any]]:
    """Per-case correctness changes between two runs (rounds merged).

    Returns one dict per case that is not identical: ``kind`` (one of output,
    dtype, status, error-message, nondeterministic, missing, not-comparable),
    ``case``, ``detail`` and, for output changes, ``accuracy`` deltas.
    """
    keys = row_key_columns(a, b)
    changes: list[dict[str, Any]] = []
    groups_a, groups_b = group_rows(a, keys), group_rows(b, keys)
    for key in list(dict.fromkeys([*groups_a, *groups_b])):
        ga, gb = groups_a.get(key), groups_b.get(key)
        base = {"case_id": key[0], "host": key[1] if len(key) > 1 else None}
        if ga is None or gb is None:
            present = gb if ga is None else ga
            base.update(
                kind=MISSING if ga is None else LOST,
                case=case_label(present[0]),
                detail="only in B" if ga is None else "only in A",
            )
            changes.append(base)
            continue
        ra, rb = ga[0], gb[0]
        base["case"] = case_label(ra)
        for side, g in (("A", ga), ("B", gb)):
            hashes = {r.get("output_sha256") for r in g} - {None}
            if len(hashes) > 1:
                changes.append(
                    {
                        **base,
                        "kind": NONDETERMINISTIC,
                        "detail": f"{len(hashes)} different outputs across the rounds of {side}",
                    }
                )
        status_a, status_b = str(ra.get("status")), str(rb.get("status"))
        if status_a != status_b:
            # a missing optional peer says nothing about the subject's behaviour
            kind = NOT_COMPARABLE if "unavailable" in (status_a, status_b) else STATUS
            reason = rb.get("reason") if status_b != "ok" else ra.get("reason")
            detail = f"{status_a} -> {status_b}"
            if not is_null(reason):
                detail += f": {reason}"
            changes.append({**base, "kind": kind, "detail": detail})
            continue
        if status_a == "error":
            if str(ra.get("reason")) != str(rb.get("reason")):
                changes.append(
                    {
                        **base,
                        "kind": ERROR,
                        "detail": f"{ra.get('reason')!s} -> {rb.get('reason')!s}",
                    }
                )
            continue
        if status_a != "ok":
            continue
        dtype_a, dtype_b = ra.get("out_dtype"), rb.get("out_dtype")
        if str(dtype_a) != str(dtype_b):
            changes.append({**base, "kind": DTYPE, "detail": f"out_dtype {dtype_a} -> {dtype_b}"})
        hash_a, hash_b = ra.get("output_sha256"), rb.get("output_sha256")
        if not (is_null(hash_a) or is_null(hash_b)) and hash_a != hash_b:
            delta = _accuracy_delta(ra, rb)
            changes.append(
                {**base, "kind": OUTPUT, "detail": _describe_delta(delta), "accuracy": delta}
            )
    return changes


# -- verify results ----------------------------------------------------------------------------
# The JSON of `gfbench verify --json` (bench/guard/verify.py + reference/results.py): a header with
# "environment" (versions) and "capabilities" ({"radius": bool, "axes": bool}), and "tests",
# one entry per reference test with "group", "case", "outcome" and "details": {"observed": ...}
# (a golden case's dtype/shape/sha256 or exception, a probe's accepted/exception/message).
GOLDEN_TEST = "::test_golden["
PROBE_TEST = "::test_probe["
#: argument forms (reference/test_behaviour.py): outcomes like the probes', compared the same way
FORM_TEST = "::test_form["


def verify_tests(data: dict, marker: str | None) -> dict[str, dict]:
    out = {}
    for test in data.get("tests") or []:
        nodeid = str(test.get("nodeid", ""))
        if marker is None or marker in nodeid:
            out[str(test.get("case") if marker else nodeid)] = test
    return out


def _observed(test: dict) -> dict[str, Any]:
    observed = (test.get("details") or {}).get("observed")
    return observed if isinstance(observed, dict) else {}


def _outcome_text(observed: dict[str, Any]) -> str:
    if not observed:
        return "not run"
    if observed.get("accepted") is False or "exception" in observed:
        return f"raises {observed.get('exception')}: {str(observed.get('message'))[:70]}"
    shape = "x".join(map(str, observed.get("shape") or []))
    text = f"accepted -> {observed.get('dtype')} {shape}".rstrip()
    if observed.get("warnings"):
        text += f" (warns {', '.join(observed['warnings'])})"
    return text


def _observation_change(a: dict[str, Any], b: dict[str, Any]) -> tuple[str, str] | None:
    """(kind, detail) when two observations of the same call differ, else None."""
    raised_a = a.get("accepted") is False or "exception" in a
    raised_b = b.get("accepted") is False or "exception" in b
    if raised_a != raised_b:
        return "accepted", f"{_outcome_text(a)} -> {_outcome_text(b)}"
    if raised_a:
        if (a.get("exception"), a.get("message")) != (b.get("exception"), b.get("message")):
            kind = "exception" if a.get("exception") != b.get("exception") else "message"
            return kind, f"{_outcome_text(a)} -> {_outcome_text(b)}"
        return None
    if a.get("dtype") != b.get("dtype"):
        return "dtype", f"dtype {a.get('dtype')} -> {b.get('dtype')}"
    if a.get("shape") != b.get("shape"):
        return "shape", f"shape {a.get('shape')} -> {b.get('shape')}"
    if a.get("sha256") != b.get("sha256"):
        detail = f"bits {str(a.get('sha256'))[:10]} -> {str(b.get('sha256'))[:10]}"
        if as_number(a.get("sum")) is not None and as_number(b.get("sum")) is not None:
            detail += f"; sum {a['sum']:.10g} -> {b['sum']:.10g}"
        if a.get("max") is not None and b.get("max") is not None:
            detail += f"; max {a['max']:.10g} -> {b['max']:.10g}"
        return "bits", detail
    if a.get("warnings") != b.get("warnings"):
        return "warnings", f"warnings {a.get('warnings')} -> {b.get('warnings')}"
    if a.get("warning_messages") != b.get("warning_messages"):
        return "warnings", (
            f"warning messages {a.get('warning_messages')} -> {b.get('warning_messages')}"
        )
    return None


def compare_verify(a: dict, b: dict) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Diff two verify results: capabilities, probe outcomes, golden outputs, other checks.

    Returns
    -------
    (changes, api_differences)
        ``changes``: one dict per golden case, probe or check that differs (kinds
        ``golden``, ``api-probe``, ``verify-check``; ``not-comparable`` when one side
        skipped it for a missing feature, ``missing`` when only one side has it).
        ``api_differences``: keyword capabilities and probes whose outcome differs --
        the "API features that differ" table.
    """
    changes: list[dict[str, Any]] = []
    api: list[dict[str, Any]] = []
    caps_a, caps_b = a.get("capabilities") or {}, b.get("capabilities") or {}
    for feature in sorted({*caps_a, *caps_b}):
        if caps_a.get(feature) != caps_b.get(feature):
            entry = {
                "probe": f"{feature}= keyword",
                "a": _cap_text(caps_a.get(feature)),
                "b": _cap_text(caps_b.get(feature)),
            }
            api.append(entry)
            changes.append(
                {
                    "kind": PROBE,
                    "case": f"capability {feature}=",
                    "change": "capability",
                    "detail": f"{entry['a']} -> {entry['b']}",
                }
            )
    sections = (
        (GOLDEN, GOLDEN_TEST, "golden "),
        (PROBE, PROBE_TEST, "probe "),
        (PROBE, FORM_TEST, "form "),
    )
    for kind, marker, prefix in sections:
        tests_a, tests_b = verify_tests(a, marker), verify_tests(b, marker)
        for name in dict.fromkeys([*tests_a, *tests_b]):
            ta, tb = tests_a.get(name), tests_b.get(name)
            # a form's case id already starts with "form/": no "form form/..." label
            label = prefix + name.removeprefix(prefix.strip() + "/")
            if ta is None or tb is None:
                changes.append(
                    {
                        "kind": MISSING if ta is None else LOST,
                        "case": label,
                        "detail": "only in B" if ta is None else "only in A",
                    }
                )
                continue
            if "skipped" in (ta.get("outcome"), tb.get("outcome")):
                if ta.get("outcome") != tb.get("outcome"):
                    reason = ta.get("message") or tb.get("message") or ""
                    changes.append(
                        {
                            "kind": NOT_COMPARABLE,
                            "case": label,
                            "detail": f"{ta.get('outcome')} -> {tb.get('outcome')}: {reason[:80]}",
                        }
                    )
                continue
            change = _observation_change(_observed(ta), _observed(tb))
            if change is None:
                continue
            what, detail = change
            entry = {"kind": kind, "case": label, "change": what, "detail": detail}
            changes.append(entry)
            # a probe accepted by both whose result differs only in bits is an output
            # change (listed above), not a difference in the accepted API
            if kind == PROBE and what != "bits":
                api.append(
                    {
                        "probe": name,
                        "a": _outcome_text(_observed(ta)),
                        "b": _outcome_text(_observed(tb)),
                    }
                )
    # every other check of the suite: a pass that became a failure (or back) is a change
    others_a = {
        k: t
        for k, t in verify_tests(a, None).items()
        if GOLDEN_TEST not in k and PROBE_TEST not in k and FORM_TEST not in k
    }
    others_b = verify_tests(b, None)
    for nodeid, ta in others_a.items():
        tb = others_b.get(nodeid)
        if tb is None:
            continue
        oa, ob = ta.get("outcome"), tb.get("outcome")
        seen_a, seen_b = _observed(ta), _observed(tb)
        if oa == ob == "passed" and seen_a and seen_b and seen_a != seen_b:
            # a behaviour both sides accept but observe differently (e.g. which warnings an
            # ordinary call emits, whether a result shares memory) is a change too
            keys = sorted(k for k in {*seen_a, *seen_b} if seen_a.get(k) != seen_b.get(k))
            detail = "; ".join(f"{k}: {seen_a.get(k)} -> {seen_b.get(k)}" for k in keys[:3])
            changes.append({"kind": VERIFY_CHECK, "case": nodeid, "detail": detail[:200]})
            continue
        if oa != ob and "skipped" not in (oa, ob):
            message = tb.get("message") or ta.get("message") or ""
            changes.append(
                {
                    "kind": VERIFY_CHECK,
                    "case": nodeid,
                    "detail": f"{oa} -> {ob}: {message[:100]}",
                }
            )
    return changes, api


def _cap_text(available: Any) -> str:
    return "unknown" if available is None else ("accepted" if available else "not available")
