"""Interleaved timing (``bench.sweep.timing.paired``) and the paired test it allows.

The fake workers are small scripts standing in for an environment's interpreter
(``Timer.python``): they ignore ``-m bench.sweep.timing.paired`` and answer in its protocol,
logging every request with the system-wide monotonic clock so the order can be checked.
"""

from __future__ import annotations

import json
import math
import stat
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pytest
from scipy import stats

from bench.exitcodes import UsageError
from bench.guard.stats import one_look as seq
from bench.guard.stats.round_units import MIN, PAIRED_MEDIAN, round_pair, round_units
from bench.guard.stats.sequential_design import SequentialDesign, replay
from bench.sweep.cases import Case
from bench.sweep.timing.paired import run_interleaved
from bench.sweep.timing.sampling import TimingSettings
from bench.sweep.timing.worker import Timer

CASES = [
    Case(impl="scipy", dtype="float32", shape=(16, 16), sigma=1.0),
    Case(impl="scipy", dtype="uint8", shape=(12, 20), sigma=2.0, mode="nearest"),
    Case(impl="scipy", dtype="float64", shape=(24,), sigma=1.5, mode="wrap"),
]
SETTINGS = TimingSettings(min_sample_s=0.0005, repeats=4, warmup=0, processes=1)


def fake_server(
    folder: Path,
    label: str,
    log: Path,
    *,
    on_sample: str = "",
    calibrated: int = 5,
    on_start: str = "",
) -> Timer:
    """A Timer whose "interpreter" serves the protocol with fixed samples, logging each op.

    ``on_sample`` is code run before a sample is answered (``case_id`` and ``n`` are set);
    ``calibrated`` the loop count its calibration finds; ``on_start`` code run before it says
    it is ready.
    """
    script = folder / f"fake-{label}"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys, time\n"
        f"LOG = open({str(log)!r}, 'a')\n"
        "def emit(message):\n"
        "    sys.stdout.write(json.dumps(message) + '\\n'); sys.stdout.flush()\n"
        "request = json.loads(sys.stdin.readline())\n"
        f"LOG.write(json.dumps([time.monotonic_ns(), {label!r}, "
        "{'op': 'started', 'pid': os.getpid()}]) + '\\n'); LOG.flush()\n"
        f"{on_start}\n"
        "emit({'ready': True})\n"
        "n = 0\n"
        "for line in sys.stdin:\n"
        "    command = json.loads(line)\n"
        f"    LOG.write(json.dumps([time.monotonic_ns(), {label!r}, command]) + '\\n')\n"
        "    LOG.flush()\n"
        "    if command['op'] == 'calibrate':\n"
        f"        emit({{'case_id': command['case_id'], 'loops': {calibrated}}})\n"
        "    elif command['op'] == 'sample':\n"
        "        case_id, n = command['case_id'], n + 1\n"
        f"{_indent(on_sample, 8)}"
        "        emit({'case_id': case_id, 'sample_ns': 1000.0 + n})\n"
        "    elif command['op'] == 'end':\n"
        "        emit({'ref_ns': 42.0}); break\n"
        "    else:\n"
        "        emit({'ok': True})\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return Timer(label=label, python=str(script))


def _indent(code: str, spaces: int) -> str:
    return "".join(" " * spaces + line + "\n" for line in code.splitlines())


def _ops(log: Path) -> list[tuple[str, dict]]:
    entries = sorted(json.loads(line) for line in log.read_text().splitlines())
    return [(label, command) for _, label, command in entries]


def _all_gone(log: Path) -> None:
    """Every worker that started is gone: killed and reaped."""
    pids = [c["pid"] for _, c in _ops(log) if c["op"] == "started"]
    assert len(pids) == 2
    for pid in pids:
        assert not psutil.pid_exists(pid)


def test_every_sample_of_one_side_lies_next_to_one_of_the_other(tmp_path):
    log = tmp_path / "ops.jsonl"
    timers = [fake_server(tmp_path, "a", log, calibrated=5),
              fake_server(tmp_path, "b", log, calibrated=9)]  # fmt: skip
    loops: dict[str, int] = {}
    results = run_interleaved(timers, CASES, SETTINGS, loops=loops, seed=7, timeout_s=60)
    ops = _ops(log)
    # each case is calibrated once by every worker before its first sample; both then sample
    # with the larger count
    assert loops == {c.case_id: 9 for c in CASES}
    calibrated = [c["case_id"] for _, c in ops if c["op"] == "calibrate"]
    assert sorted(calibrated) == sorted(c.case_id for c in CASES for _ in "ab")
    assert all(c["loops"] == 9 for _, c in ops if c["op"] == "sample")
    samples = [(label, c["case_id"]) for label, c in ops if c["op"] == "sample"]
    assert len(samples) == 2 * len(CASES) * SETTINGS.repeats
    pairs = [samples[i : i + 2] for i in range(0, len(samples), 2)]
    # each pair: one case, both sides, back to back
    assert all(x[1] == y[1] and {x[0], y[0]} == {"a", "b"} for x, y in pairs)
    # the side that goes first is drawn per pair, so neither always leads
    assert 0 < sum(x[0] == "a" for x, _ in pairs) < len(pairs)
    # every pass visits every case once, in an order of its own
    passes = [[x[1] for x, _ in pairs[i : i + len(CASES)]] for i in range(0, len(pairs), 3)]
    assert all(sorted(p) == sorted(c.case_id for c in CASES) for p in passes)
    for label in ("a", "b"):
        result = results[label]
        assert result.ref_ns == 42.0 and not result.errors
        assert set(result.units) == {c.case_id for c in CASES}
        assert all(len(got) == SETTINGS.repeats and n == 9 for got, n in result.units.values())


def test_real_workers_time_every_case_on_both_sides_and_reuse_their_loops():
    timers = [Timer(label=label) for label in ("a", "b")]
    loops: dict[str, int] = {}
    first = run_interleaved(timers, CASES, SETTINGS, loops=loops, seed=1, timeout_s=300)
    assert set(loops) == {c.case_id for c in CASES} and all(n >= 1 for n in loops.values())
    for label in ("a", "b"):
        result = first[label]
        assert not result.errors and result.ref_ns is not None and result.ref_ns > 0
        assert set(result.units) == {c.case_id for c in CASES}
        for cid, (got, used) in result.units.items():
            assert len(got) == SETTINGS.repeats and all(s > 0 for s in got) and used == loops[cid]
    again = run_interleaved(timers, CASES, SETTINGS, loops=dict.fromkeys(loops, 3), seed=2,
                            timeout_s=300)  # fmt: skip
    assert all(u[1] == 3 for r in again.values() for u in r.units.values())


def test_a_case_failing_on_one_side_is_dropped_from_both(tmp_path):
    log = tmp_path / "ops.jsonl"
    bad = CASES[1].case_id
    failing = (
        f"if case_id == {bad!r}:\n"
        "    emit({'case_id': case_id, 'error': 'timing: ValueError: no'}); continue\n"
    )
    timers = [fake_server(tmp_path, "a", log), fake_server(tmp_path, "b", log, on_sample=failing)]
    results = run_interleaved(timers, CASES, SETTINGS, loops={}, seed=3, timeout_s=60)
    assert results["b"].errors == {bad: "timing: ValueError: no"}
    assert all(bad not in r.units and len(r.units) == len(CASES) - 1 for r in results.values())
    asked = [c["case_id"] for label, c in _ops(log) if c["op"] == "sample" and label == "b"]
    assert asked.count(bad) == 1  # not asked again once it failed


def test_a_worker_that_dies_names_its_reason_and_takes_the_other_down(tmp_path):
    log = tmp_path / "ops.jsonl"
    dying = "if n == 3:\n    sys.stderr.write('MemoryError: the real reason\\n'); sys.exit(3)\n"
    timers = [fake_server(tmp_path, "a", log), fake_server(tmp_path, "b", log, on_sample=dying)]
    with pytest.raises(RuntimeError, match="worker of b exited 3: MemoryError: the real reason"):
        run_interleaved(timers, CASES, SETTINGS, loops={}, seed=4, timeout_s=60)
    _all_gone(log)


def test_a_hung_worker_is_killed_at_the_timeout(tmp_path):
    log = tmp_path / "ops.jsonl"
    hang = "if n == 2:\n    time.sleep(600)\n"
    timers = [fake_server(tmp_path, "a", log, on_sample=hang), fake_server(tmp_path, "b", log)]
    with pytest.raises(RuntimeError, match="worker of a ran past 3 s"):
        run_interleaved(timers, CASES, SETTINGS, loops={}, seed=5, timeout_s=3)
    _all_gone(log)


def test_a_worker_that_dies_at_start_is_reported_before_a_hung_one_times_out(tmp_path):
    """Workers start side by side: b's crash at start is the error, not a's hang (which would
    be reported only at its timeout, as "ran past")."""
    log = tmp_path / "ops.jsonl"
    hang = "time.sleep(600)"
    crash = "sys.stderr.write('ImportError: no scipy here\\n'); sys.exit(4)"
    timers = [fake_server(tmp_path, "a", log, on_start=hang),
              fake_server(tmp_path, "b", log, on_start=crash)]  # fmt: skip
    with pytest.raises(RuntimeError, match="worker of b exited 4: ImportError: no scipy here"):
        run_interleaved(timers, CASES, SETTINGS, loops={}, seed=6, timeout_s=120)
    # a may be killed before it logs its start: look for the fakes among this process's children
    assert [p for p in psutil.Process().children(recursive=True) if _runs_from(p, tmp_path)] == []


def test_ctrl_c_while_the_workers_start_kills_them_without_waiting_for_a_hung_one(
    tmp_path, monkeypatch
):
    """Ctrl-C reaches only the driver (the workers run in their own session): the workers are
    killed then, not left to a hung one's watchdog (30 min in a session)."""
    import concurrent.futures

    from bench.sweep.timing import paired

    log = tmp_path / "ops.jsonl"
    timers = [fake_server(tmp_path, "a", log, on_start="time.sleep(600)"),
              fake_server(tmp_path, "b", log)]  # fmt: skip
    expired: list[str] = []
    expire = paired._Served._expire

    def watchdog(self: paired._Served) -> None:
        expired.append(self.timer.label)
        expire(self)

    def ctrl_c(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(paired._Served, "_expire", watchdog)
    monkeypatch.setattr(concurrent.futures, "wait", ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        run_interleaved(timers, CASES, SETTINGS, loops={}, seed=7, timeout_s=20)
    assert expired == []  # killed at once, not by a's watchdog 20 s later
    assert [p for p in psutil.Process().children(recursive=True) if _runs_from(p, tmp_path)] == []


def _runs_from(process: psutil.Process, folder: Path) -> bool:
    try:
        return any(str(folder) in part for part in process.cmdline())
    except psutil.Error:  # gone, or a zombie of another test: not one of this test's fakes
        return False


def test_timers_need_distinct_labels():
    with pytest.raises(ValueError, match="distinct labels"):
        run_interleaved([Timer("x"), Timer("x")], CASES, SETTINGS, loops={}, seed=1)


def test_a_case_that_fails_to_calibrate_is_not_sampled(tmp_path):
    log = tmp_path / "ops.jsonl"
    timers = [fake_server(tmp_path, "a", log), fake_server(tmp_path, "b", log)]
    bad = CASES[0].case_id
    script = Path(timers[1].python)
    script.write_text(script.read_text().replace(
        "    if command['op'] == 'calibrate':\n",
        f"    if command['op'] == 'calibrate' and command['case_id'] == {bad!r}:\n"
        "        emit({'case_id': command['case_id'], 'error': 'timing: MemoryError: big'})\n"
        "    elif command['op'] == 'calibrate':\n",
    ))  # fmt: skip
    loops: dict[str, int] = {}
    results = run_interleaved(timers, CASES, SETTINGS, loops=loops, seed=6, timeout_s=60)
    assert results["b"].errors == {bad: "timing: MemoryError: big"} and bad not in loops
    assert all(c["case_id"] != bad for _, c in _ops(log) if c["op"] == "sample")
    assert all(bad not in r.units for r in results.values())


# --- the paired test ---------------------------------------------------------------------------


def test_paired_decision_is_a_t_test_of_the_per_round_log_ratios():
    a = [100.0, 140.0, 90.0, 120.0, 105.0]
    b = [124.0, 171.0, 113.0, 150.0, 128.0]
    plan = seq.LookPlan(4)
    d = seq.decide({"c": (a, b)}, look=2, plan=plan, paired=True)["c"]
    alpha_k = plan.alpha_at(2)
    diff = np.log(b) - np.log(a)
    n, mean, se = diff.size, diff.mean(), diff.std(ddof=1) / math.sqrt(diff.size)
    t = mean / se
    half = stats.t.isf(alpha_k, n - 1) * se  # one-sided bounds = the (1 - 2 alpha_k) interval
    assert d.ratio == pytest.approx(math.exp(mean))
    assert (d.ci_low, d.ci_high) == pytest.approx((math.exp(mean - half), math.exp(mean + half)))
    assert d.p_slower == pytest.approx(stats.t.sf(t, n - 1))
    assert d.p_faster == pytest.approx(stats.t.cdf(t, n - 1))
    assert d.verdict == "slower" and "5 paired rounds" in d.reason


def test_what_a_round_does_to_both_sides_cancels_only_when_paired():
    rng = np.random.default_rng(0)
    machine = np.array([1.0, 1.6, 0.7, 1.3, 0.8, 1.9])  # a neighbour's load, round by round
    a = 100 * machine * np.exp(rng.normal(0, 0.01, 6))
    b = 115 * machine * np.exp(rng.normal(0, 0.01, 6))
    plan = seq.LookPlan(1)
    unpaired = seq.decide({"c": (a, b)}, look=1, plan=plan)["c"]
    paired = seq.decide({"c": (a, b)}, look=1, plan=plan, paired=True)["c"]
    assert unpaired.verdict == "undecided"
    assert paired.verdict == "slower" and 1.1 < paired.ci_low < paired.ci_high < 1.2


def test_paired_units_need_as_many_on_each_side():
    with pytest.raises(ValueError, match="as many on each side, got 3 and 4"):
        seq.decide({"c": ([1.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0])}, look=1,
                   plan=seq.LookPlan(1), paired=True)  # fmt: skip


def test_paired_ratios_that_repeat_exactly_are_decided_exactly():
    a = [100.0, 150.0, 90.0]
    d = seq.decide({"c": (a, [x * 1.5 for x in a])}, look=1, plan=seq.LookPlan(1), paired=True)
    assert d["c"].verdict == "slower" and d["c"].ci_low == pytest.approx(1.5)


@pytest.mark.parametrize(
    ("factor", "verdict", "most"), [(1.0, "slower", 0.05), (1.3, "slower", 1.0)]
)
def test_paired_looks_keep_the_error_rate_under_round_to_round_load(factor, verdict, most):
    """Seeded simulation: 400 sessions, 30% load swings between rounds, 3% noise within one.
    A/A: false "slower" at most alpha (0.05) plus 3 standard errors; 1.3x: nearly all found."""
    rng = np.random.default_rng(11)
    design = SequentialDesign(min_rounds=3, max_rounds=10, paired=True)
    units = {}
    for i in range(400):
        machine = np.exp(rng.normal(0, 0.3, design.max_rounds))
        units[i] = (
            list(100 * machine * np.exp(rng.normal(0, 0.03, design.max_rounds))),
            list(100 * factor * machine * np.exp(rng.normal(0, 0.03, design.max_rounds))),
        )
    outcomes = replay(units, design, family=lambda key: key)  # each session on its own
    rate = sum(o.decision.verdict == verdict for o in outcomes.values()) / len(outcomes)
    if factor == 1.0:
        assert rate <= most + 3 * math.sqrt(most * (1 - most) / len(outcomes))
        same = sum(o.decision.verdict == "same" for o in outcomes.values()) / len(outcomes)
        assert same > 0.9  # and the A/A sessions end decided, not open
    else:
        assert rate > 0.97


def test_the_design_stores_pairing_and_older_designs_read_as_unpaired():
    design = SequentialDesign(paired=True)
    assert SequentialDesign.from_dict(design.to_dict()) == design
    older = {k: v for k, v in design.to_dict().items() if k != "paired"}
    assert SequentialDesign.from_dict(older) == SequentialDesign(paired=False)
    assert SequentialDesign.from_dict({**design.to_dict(), "paired": "yes"}) is None


# --- a round's units (bench.guard.stats.round_units) -------------------------------------------


def test_a_burst_that_reaches_one_side_only_moves_the_minima_not_the_paired_median():
    # B is 10% slower in every pass; in pass 3 a quiet moment reached A's sample, not B's
    a = [200.0, 200.0, 100.0, 200.0, 200.0, 200.0, 200.0]
    b = [220.0] * 7
    assert round_pair(a, b, MIN) == (100.0, 220.0)  # ratio 2.2
    low, high = round_pair(a, b, PAIRED_MEDIAN)
    assert low == 100.0 and high / low == pytest.approx(1.1)


def test_the_paired_median_is_the_median_of_the_passes_log_ratios():
    rng = np.random.default_rng(3)
    phase = np.exp(rng.normal(0, 0.4, 21))  # what the machine did during each pass
    a = 60e3 * phase * np.exp(rng.normal(0, 0.05, 21))
    b = 66e3 * phase * np.exp(rng.normal(0, 0.05, 21))
    low, high = round_pair(list(a), list(b), PAIRED_MEDIAN)
    assert low == a.min()
    assert math.log(high / low) == pytest.approx(np.median(np.log(b) - np.log(a)))
    assert 1.05 < high / low < 1.15  # the passes' shared phase cancels: 1.1 within noise


def test_round_units_are_checked():
    with pytest.raises(ValueError, match="same passes on both sides, got 2 and 3"):
        round_pair([1.0, 2.0], [1.0, 2.0, 3.0], PAIRED_MEDIAN)
    with pytest.raises(ValueError, match="unit must be one of min, paired-median"):
        round_pair([1.0], [1.0], "mean")
    with pytest.raises(ValueError, match="at least one sample"):
        round_pair([], [1.0], MIN)
    assert round_units([[3.0, 1.0], [2.0, 4.0]], [[6.0, 2.0], [4.0, 8.0]], PAIRED_MEDIAN) == (
        [1.0, 2.0],
        [pytest.approx(2.0), pytest.approx(4.0)],
    )


def test_the_design_stores_its_unit_and_older_designs_read_as_minima():
    design = SequentialDesign(paired=True, unit=PAIRED_MEDIAN)
    assert SequentialDesign.from_dict(design.to_dict()) == design
    older = {k: v for k, v in design.to_dict().items() if k != "unit"}
    assert SequentialDesign.from_dict(older).unit == MIN
    assert SequentialDesign.from_dict({**design.to_dict(), "unit": "mean"}) is None
    with pytest.raises(UsageError, match="unit must be one of min, paired-median, got 'mean'"):
        SequentialDesign(unit="mean")
    # B's units are made from A's samples: a file that says "not paired" is not a session's
    with pytest.raises(UsageError, match="unit 'paired-median' needs paired rounds"):
        SequentialDesign(unit=PAIRED_MEDIAN)
    assert SequentialDesign.from_dict({**design.to_dict(), "paired": False}) is None
    with pytest.raises(ValueError, match="the sides have 2 and 1 rounds"):
        round_units([[1.0], [2.0]], [[1.0]], PAIRED_MEDIAN)


def _session_rows(samples: dict[str, np.ndarray]) -> pd.DataFrame:
    """Rows as an A/B session stores them: each round a worker process of its passes' samples."""
    return pd.DataFrame([{
        "case_id": cid, "impl": "scipy", "dtype": "float64", "shape": [8, 8], "sigma": 1.0,
        "mode": "reflect", "status": "ok", "samples_ns": [float(x) for x in got.ravel()],
        "processes": got.shape[0], "min_ns": float(got.min()), "n_samples": got.size,
    } for cid, got in samples.items()])  # fmt: skip


def test_compare_says_which_cases_it_replayed_on_minima_because_their_rounds_do_not_pair():
    """A stored paired-median session whose rounds no longer pair pass by pass (an edited
    file): those cases are replayed on each side's minima, and compare's timing note says so."""
    from bench.guard.compare.result import _timing_note
    from bench.guard.compare.timing import compare_run_performance

    rng = np.random.default_rng(3)
    design = SequentialDesign(min_rounds=3, max_rounds=8, paired=True, unit=PAIRED_MEDIAN)
    a = {cid: rng.uniform(1.0, 1.02, (6, 5)) * 1e6 for cid in ("c1", "c2", "c3")}
    b = {cid: got * 1.3 for cid, got in a.items()}
    b["c2"] = b["c2"][:, :4]  # one pass fewer in every round of B: nothing to pair it with
    perf = compare_run_performance(_session_rows(a), _session_rows(b), time_matched=True,
                                   design=design)  # fmt: skip
    assert perf.attrs["unpaired"] == ["c2"]
    by_case = perf.set_index("case_id")
    assert set(by_case["verdict"]) == {"slower"}
    # c2's decision is the replay of each round's minima, computed here from the arrays
    minima = replay({"c2": (list(a["c2"].min(axis=1)), list(b["c2"].min(axis=1)))}, design)
    assert by_case.loc["c2", "ratio"] == pytest.approx(minima["c2"].decision.ratio)
    note = _timing_note(perf, True, design, False)
    assert "1 case(s) whose stored rounds do not pair pass by pass" in note
    assert "each round: each side's minimum (c2)" in note
    # an unpaired case with fewer rounds than the first look gets no row, so no mention
    short = compare_run_performance(_session_rows(a | {"c2": a["c2"][:2]}),
                                    _session_rows(b | {"c2": b["c2"][:2]}), time_matched=True,
                                    design=design)  # fmt: skip
    assert "c2" not in set(short["case_id"]) and "unpaired" not in short.attrs
    paired = compare_run_performance(_session_rows(a), _session_rows(
        {cid: got * 1.3 for cid, got in a.items()}), time_matched=True, design=design)  # fmt: skip
    assert "unpaired" not in paired.attrs
    assert "do not pair" not in _timing_note(paired, True, design, False)
