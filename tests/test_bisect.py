"""gfbench bisect: the search's step bound and answers (fake environments), its report of
non-monotone changes, its usage errors, and two real bisections over released SciPy wheels."""

from __future__ import annotations

import json
import math

import pytest

from bench.exitcodes import ExitCode, UsageError
from bench.guard.bisect.command import bisect, render
from bench.guard.bisect.search import (
    AMBIGUOUS,
    DIFFERS,
    FOUND,
    GOOD,
    NO_DIFFERENCE,
    SAME,
    SKIP,
    Evaluation,
    search,
)
from tests.conftest import run_gfbench


def fake(states: list[str]):
    """An evaluator over versions whose behaviour is ``states[i]`` ('a' = good's, else other)."""
    calls: list[int] = []

    def evaluate(index: int) -> Evaluation:
        calls.append(index)
        if index == 0:
            return Evaluation("v0", GOOD)
        if states[index] == "skip":
            return Evaluation(f"v{index}", SKIP, note="could not be installed")
        if states[index] == states[0]:
            return Evaluation(f"v{index}", SAME)
        diff = ({"kind": "api-probe", "check": f"probe {states[index]}", "detail": "x"},)
        return Evaluation(f"v{index}", DIFFERS, diff)

    return evaluate, calls


@pytest.mark.parametrize("n", range(2, 65))
def test_every_answer_within_the_bound(n: int) -> None:
    # a range of n versions (both ends included), the change first appearing at each k
    bound = math.ceil(math.log2(n)) + 1
    for k in range(1, n):
        states = ["a"] * k + ["b"] * (n - k)
        evaluate, calls = fake(states)
        result = search([f"v{i}" for i in range(n)], evaluate)
        assert result.outcome == FOUND
        assert result.first_differs == k and result.last_same == k - 1
        assert len(calls) == len(set(calls)) == result.evaluations <= bound, (n, k, calls)
        assert calls[0] == 0


def test_worst_case_reaches_the_bound() -> None:
    # the bound is tight: some answer of n = 9 needs ceil(log2 9) + 1 = 5 environments
    worst = 0
    for k in range(1, 9):
        evaluate, calls = fake(["a"] * k + ["b"] * (9 - k))
        search([f"v{i}" for i in range(9)], evaluate)
        worst = max(worst, len(calls))
    assert worst == 5


def test_no_difference_at_bad() -> None:
    evaluate, calls = fake(["a"] * 6)
    result = search([f"v{i}" for i in range(6)], evaluate)
    assert result.outcome == NO_DIFFERENCE and result.first_differs is None
    assert calls[-1] == 5  # --bad was evaluated to say so


def test_transient_change_missed_when_bad_agrees() -> None:
    # appears at v1, gone at v2: --bad agrees, and no step lands on v1: no lasting difference
    evaluate, calls = fake(["a", "b", "a", "a", "a", "a"])
    assert search([f"v{i}" for i in range(6)], evaluate).outcome == NO_DIFFERENCE
    assert 1 not in calls


def test_transient_change_hit_by_a_step_is_a_measured_transition() -> None:
    # appears at v2, gone at v3: the first step lands on v2, so v1 -> v2 is found and measured
    evaluate, _ = fake(["a", "a", "b", "a", "a"])
    result = search([f"v{i}" for i in range(5)], evaluate)
    assert (result.outcome, result.last_same, result.first_differs) == (FOUND, 1, 2)


def test_skipped_versions_make_a_range() -> None:
    states = ["a", "a", "skip", "b", "b", "b"]
    evaluate, calls = fake(states)
    result = search([f"v{i}" for i in range(6)], evaluate)
    assert result.outcome == AMBIGUOUS
    assert result.candidates == ("v2", "v3")
    assert 2 in calls


def fake_observe(behaviour: dict[str, dict[str, str]]):
    """observe(index, candidate) from a table version -> {check: outcome}."""
    good_version = next(iter(behaviour))

    def observe(index, cand):
        seen = behaviour[cand.version]
        if index == 0:
            return Evaluation(cand.version, GOOD, facts={"numpy": "1.26.4"})
        diffs = tuple(
            {"kind": "api-probe", "check": check, "detail": f"{behaviour[good_version][check]} "
             f"-> {value}"}
            for check, value in seen.items() if value != behaviour[good_version][check]
        )  # fmt: skip
        return Evaluation(cand.version, DIFFERS if diffs else SAME, diffs)

    return observe


def test_bisect_reports_a_transient_check(tmp_path) -> None:
    # shaped like SciPy 1.11.4 .. 1.13.1 with numpy pinned (reference/data records): the
    # output-name KeyError appears in 1.12.0 and is gone in 1.13.0, a form change lasts
    table = {
        "1.11.4": {"probe output/str-float32": "ok", "form axis/python-float": "ok"},
        "1.12.0": {"probe output/str-float32": "KeyError", "form axis/python-float": "raises"},
        "1.13.0": {"probe output/str-float32": "ok", "form axis/python-float": "raises"},
        "1.13.1": {"probe output/str-float32": "ok", "form axis/python-float": "raises"},
    }
    record = bisect(good="1.11.4", bad="1.13.1", versions=list(table), out=tmp_path,
                    observe=fake_observe(table), log=lambda m: None)  # fmt: skip
    assert record["outcome"] == FOUND and record["first_differs"] == "1.12.0"
    assert record["last_same"] == "1.11.4"
    assert record["environments"] <= math.ceil(math.log2(4)) + 1
    assert record["transient"] == [
        {"check": "probe output/str-float32", "differs_at": "1.12.0", "back_at": "1.13.0"}
    ]
    assert record["exit_code"] == ExitCode.CHANGED
    text = render(record)
    assert "first version that differs from 1.11.4: 1.12.0" in text
    assert "transient: probe output/str-float32 differs at 1.12.0 but is back" in text
    saved = json.loads((next(tmp_path.glob("bisect-*")) / "bisect.json").read_text())
    assert saved["first_differs"] == "1.12.0"


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"good": "1.15.0", "bad": "1.14.1"}, "--bad 1.14.1 must be a release after"),
        ({"good": "1.x"}, "--good '1.x' is not a version"),
        ({"good": "1.14.1"}, "--bad: give --bad VERSION"),
        ({"good": "1.14.1", "bad": "1.15.0", "metric": "time"}, "--metric time: needs --grid"),
        ({"good": "1.14.1", "bad": "1.15.0", "case": "abc"}, "--case: needs --grid"),
        ({"good": "1.14.1", "bad": "1.15.0", "numpy": "two"}, "--numpy 'two' is not a version"),
    ],
)
def test_bad_input_names_the_option(kwargs, fragment, tmp_path) -> None:
    with pytest.raises(UsageError, match=fragment.replace("(", r"\(")):
        bisect(**kwargs, versions=["1.14.1", "1.15.0"], out=tmp_path, observe=lambda i, c: None)


def test_cli_usage_error_exit_2() -> None:
    proc = run_gfbench("bisect", "--good", "1.15.0", "--bad", "1.14.1")
    assert proc.returncode == 2
    assert "must be a release after" in proc.stderr


# -- real bisections over released wheels (network: PyPI; environments cached) --------------
@pytest.mark.network
@pytest.mark.slow
def test_real_zero_d_sigma_bisects_to_1_15_0(tmp_path) -> None:
    record = bisect(good="1.13.1", bad="1.17.1", checks=["sigma/array-0d"], groups=["behaviour"],
                    out=tmp_path, log=print)  # fmt: skip
    assert record["outcome"] == FOUND, render(record)
    assert (record["last_same"], record["first_differs"]) == ("1.14.1", "1.15.0")
    assert record["environments"] <= record["bound"]
    step = next(s for s in record["steps"] if s["version"] == "1.15.0")
    assert any("sigma/array-0d" in d["check"] for d in step["differences"])


@pytest.mark.network
@pytest.mark.slow
def test_real_string_dtype_keyerror_bisects_to_1_12_0(tmp_path) -> None:
    # numpy pinned, so SciPy alone changes; probes and forms only (the fast groups)
    record = bisect(good="1.11.4", bad="1.13.1", numpy="1.26.4", groups=["probes", "behaviour"],
                    out=tmp_path, log=print)  # fmt: skip
    assert record["outcome"] == FOUND, render(record)
    assert (record["last_same"], record["first_differs"]) == ("1.11.4", "1.12.0")
    step = next(s for s in record["steps"] if s["version"] == "1.12.0")
    keyerrors = [d for d in step["differences"] if "output/str-float32" in d["check"]]
    assert keyerrors and "KeyError" in keyerrors[0]["detail"]
    # gone again in 1.13.0: reported as transient, not as lasting
    assert any("output/str-float32" in e["check"] and e["back_at"] == "1.13.0"
               for e in record["transient"])  # fmt: skip


@pytest.mark.slow
def test_time_metric_runs_an_ab_session_against_good(tmp_path) -> None:
    """--metric time's step: an A/B session of --good against the candidate (here this
    interpreter twice, an A/A pair), its verdicts turned into the step's evidence."""
    import sys
    from pathlib import Path

    from bench.guard.bisect.observe import Observed, Observer, Selection, evaluation
    from bench.guard.stats.sequential_design import SequentialDesign
    from bench.sweep.driver import run_sweep

    grid = tmp_path / "one.toml"
    grid.write_text(
        'name = "one"\nwhy = "one case"\n[[group]]\nname = "g"\nwhy = "w"\n'
        'impl = { values = ["scipy"], why = "w" }\ndtype = { values = ["float64"], why = "w" }\n'
        'shape = { values = [[64, 64]], why = "w" }\nsigma = { values = [2.0], why = "w" }\n'
        'mode = { values = ["reflect"], why = "w" }\n'
    )
    seen = []
    for name in ("good", "other"):
        folder = tmp_path / name
        run = run_sweep(grid=grid, out=folder / "runs", timing=False, progress=False)
        seen.append(Observed(label=name, folder=folder, python=Path(sys.executable),
                             run=Path(run.run_dir)))  # fmt: skip
    observer = Observer(None, tmp_path, Selection(grid=str(grid), metric="time"))
    observer.good = seen[0]
    got = evaluation(observer, seen[1], is_good=False, time_options={
        "design": SequentialDesign(min_rounds=2, max_rounds=3), "budget_s": None})  # fmt: skip
    # no assertion on the verdict itself (an A/A pair on a shared machine may, rarely, be
    # called slower): the step must carry the session's evidence in every case
    assert "A/B session: " in got.note or got.note.startswith("time undecided: A/B session")
    assert got.status in ("same", "skip", "differs")
    for d in got.differences:
        assert d["kind"] == "time" and d["detail"].startswith("time x")


@pytest.mark.network
@pytest.mark.slow
def test_real_wheels_walked_after_good_in_the_order_given(tmp_path) -> None:
    """--wheel: repacked 1.17.1 wheels after --good 1.17.1 (the same code, then a wider kernel
    radius): the first that differs is the wider kernel, with the unchanged one as 'same'."""
    from tests.scipy_wheels import candidate_wheel

    wheels = [str(candidate_wheel("unchanged")), str(candidate_wheel("wider-kernel"))]
    record = bisect(good="1.17.1", wheels=wheels, groups=["probes"], out=tmp_path, log=print)
    assert record["outcome"] == FOUND, render(record)
    assert record["first_differs"].startswith("scipy-1.18.0.dev0+gfbench.wider")
    assert record["last_same"].startswith("scipy-1.18.0.dev0+gfbench.unchanged")
    assert record["environments"] <= record["bound"] == 3
