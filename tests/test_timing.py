"""Timing: calibration, statistics, the unstable flag and worker processes.

No test asserts how fast anything is: calibration is checked with a fake clock, statistics
with known samples.
"""

from __future__ import annotations

import gc
import math
import os

import numpy as np
import pytest
from scipy import stats

from bench.sweep.cases import Case
from bench.sweep.timing import sampling as timing
from bench.sweep.timing.sampling import TimingSettings, calibrate, median_ci, summarize, time_call


class FakeClock:
    """perf_counter_ns replacement: each call of ``fn`` costs ``cost_ns``."""

    def __init__(self, cost_ns: int) -> None:
        self.now = 0
        self.cost_ns = cost_ns
        self.calls = 0

    def perf_counter_ns(self) -> int:
        return self.now

    def fn(self) -> None:
        self.calls += 1
        self.now += self.cost_ns


@pytest.mark.parametrize("cost_ns", [1_000, 37_000, 3_000_000, 25_000_000])
def test_calibration_reaches_the_minimum_sample_time(monkeypatch, cost_ns):
    clock = FakeClock(cost_ns)
    monkeypatch.setattr(timing.time, "perf_counter_ns", clock.perf_counter_ns)
    loops = calibrate(clock.fn, 0.010)
    assert loops * cost_ns >= timing.CALIBRATION_MARGIN * 10_000_000 or loops == 1
    # not wildly more than needed: at most ~2x the margin (x2 steps)
    assert loops == 1 or (loops - 1) * cost_ns < 2 * timing.CALIBRATION_MARGIN * 10_000_000


class WarmingClock(FakeClock):
    """Calls cost ``cost_ns`` for the first ``slow_calls`` (a cold start, a busy phase), then
    ``fast_ns``: the samples timed after calibration run faster than the calibrating ones."""

    def __init__(self, cost_ns: int, fast_ns: int, slow_calls: int) -> None:
        super().__init__(cost_ns)
        self.fast_ns, self.slow_calls = fast_ns, slow_calls

    def fn(self) -> None:
        self.calls += 1
        self.now += self.cost_ns if self.calls <= self.slow_calls else self.fast_ns


def test_samples_after_a_slow_calibration_still_last_the_minimum(monkeypatch):
    """Issue 24: loops sized to exactly 1 ms during a slow phase gave 0.7 ms samples once the
    calls ran 30% faster, and the row was flagged "samples last < 1 ms"."""
    clock = WarmingClock(100_000, 70_000, slow_calls=40)
    monkeypatch.setattr(timing.time, "perf_counter_ns", clock.perf_counter_ns)
    loops = calibrate(clock.fn, 0.001)
    assert loops * 70_000 >= 1_000_000
    fields = timing.summarize([70_000.0] * 7, loops=loops, processes=1)
    assert not fields["unstable"], fields["unstable_reason"]


def test_the_short_sample_reason_shows_enough_digits():
    fields = timing.summarize([99_950.0] * 7, loops=10, processes=1)
    assert "samples last 0.999 ms (< 1 ms)" in fields["unstable_reason"]


def test_time_call_uses_the_calibrated_loops_and_returns_per_call_samples(monkeypatch):
    clock = FakeClock(2_000_000)
    monkeypatch.setattr(timing.time, "perf_counter_ns", clock.perf_counter_ns)
    result = time_call(clock.fn, TimingSettings(min_sample_s=0.010, repeats=4, warmup=2))
    assert result.loops == 5 or result.loops * 2_000_000 >= 10_000_000
    assert result.samples_ns == (2_000_000.0,) * 4
    assert result.processes == 0


def test_gc_is_disabled_while_timing_and_restored_after():
    seen = []
    assert gc.isenabled()
    time_call(lambda: seen.append(gc.isenabled()), TimingSettings(min_sample_s=1e-4, repeats=2))
    assert seen and not any(seen)
    assert gc.isenabled()


def test_median_ci_is_the_binomial_order_statistic_interval():
    # n = 10 at 95%: P(B <= 1) = 11/1024, so [x(2), x(9)] covers 1 - 22/1024 = 97.85%;
    # [x(3), x(8)] covers only 1 - 2*56/1024 = 89.1%.
    low, high, coverage = median_ci(list(range(1, 11)))
    assert (low, high) == (2.0, 9.0)
    assert coverage == pytest.approx(1 - 22 / 1024)
    # too few samples for 95%: the whole range, with its real (lower) coverage
    low, high, coverage = median_ci([5.0, 1.0, 3.0])
    assert (low, high) == (1.0, 5.0) and coverage == pytest.approx(0.75)


def test_median_ci_covers_the_true_median_at_its_stated_rate():
    rng = np.random.default_rng(1)
    hits, trials = 0, 2000
    for _ in range(trials):
        low, high, coverage = median_ci(rng.lognormal(0.0, 0.5, size=15))
        hits += low <= 1.0 <= high  # the lognormal(0, s) median is exp(0) = 1
    assert coverage >= 0.95
    # binomial test: the observed rate is consistent with the stated coverage
    assert stats.binomtest(hits, trials, coverage).pvalue > 1e-3


def test_summary_statistics_and_the_unstable_flag():
    steady = summarize([1e7, 1.01e7, 0.99e7, 1e7, 1.02e7], loops=1, processes=0)
    assert steady["min_ns"] == 0.99e7 and steady["median_ns"] == 1e7
    assert steady["iqr_ns"] == pytest.approx(stats.iqr([1e7, 1.01e7, 0.99e7, 1e7, 1.02e7]))
    assert steady["stdev_ns"] == pytest.approx(np.std([1e7, 1.01e7, 0.99e7, 1e7, 1.02e7], ddof=1))
    assert steady["unstable"] is False and steady["unstable_reason"] is None
    noisy = summarize([1e7, 1.7e7, 1e7, 1.1e7], loops=1, processes=0)
    assert noisy["unstable"] is True and "stdev" in noisy["unstable_reason"]
    short = summarize([1e4, 1e4, 1e4], loops=10, processes=0)  # samples of 0.1 ms
    assert short["unstable"] is True and "< 1 ms" in short["unstable_reason"]
    assert all(math.isfinite(v) for v in (noisy["ci_low_ns"], noisy["ci_high_ns"]))


def test_settings_reject_bad_values():
    for kwargs in ({"min_sample_s": 0}, {"repeats": 0}, {"warmup": -1}, {"processes": -2}):
        with pytest.raises(ValueError):
            TimingSettings(**kwargs)


def test_samples_in_fresh_worker_processes_are_pooled():
    case = Case(impl="scipy", dtype="float32", shape=(16, 16), sigma=1.0)
    settings = TimingSettings(min_sample_s=0.001, repeats=2, warmup=1, processes=2)
    # runpy warns when the package imports the module it runs as __main__: an error here
    env = dict(os.environ, PYTHONWARNINGS="error::RuntimeWarning")
    result = timing.time_in_processes(
        "bench.sweep.measure:build_call", case.to_dict(), settings, env=env
    )
    assert result.processes == 2
    assert len(result.samples_ns) == 4
    assert all(s > 0 for s in result.samples_ns)


def test_a_failing_worker_is_reported():
    settings = TimingSettings(min_sample_s=0.001, repeats=1, processes=1)
    with pytest.raises(RuntimeError, match="timing worker exited"):
        timing.time_in_processes("bench.sweep.measure:no_such_function", {}, settings)


def test_the_report_says_why_for_every_unstable_row():
    import pandas as pd

    from bench.report import frames, tables

    base = {"status": "ok", "family": "2d", "shape": [64, 64], "npix": 4096, "sigma": 1.0,
            "mode": "reflect", "truncate": 4.0, "order": 0, "cval": 0.0, "axes": None,
            "dtype": "float64", "median_ns": 2e6, "min_ns": 2e6, "loops": 1}  # fmt: skip
    rows = [
        base | {"impl": "scipy", "unstable": True, "unstable_reason": "samples last 0.620 ms"},
        base | {"impl": "fft", "unstable": True, "unstable_reason": "worker minima vary by 12%"},
        base | {"impl": "fft", "sigma": 2.0, "unstable": False, "unstable_reason": None},
    ]
    table = tables.unstable_rows(frames.prepare(pd.DataFrame(rows)))
    assert list(table["impl"]) == ["fft", "scipy"]
    assert list(table["reason"]) == ["worker minima vary by 12%", "samples last 0.620 ms"]
