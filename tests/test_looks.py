"""Sequential sessions and drift correction, on synthetic units with known answers.

- `bench.guard.stats.sequential_design.replay`: the looks an A/B session takes, replayed from
  its units, give the
  verdicts the live session reached (a decided case stops receiving rounds), and the error
  rates over a whole simulated session stay within alpha (seeded simulation, fast);
- drift correction (`bench.guard.compare.timing`): a machine that ran everything 25% slower
  during run B (the reference workload included) is not a regression once corrected, a real
  slowdown still is;
- the timing workers' file (`bench.store.units`): a cut line is dropped, bad fields are named.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from synthetic_runs import case_params, make_rows, write_run

from bench.exitcodes import UsageError
from bench.guard.compare import command as compare
from bench.guard.compare import timing as compare_perf
from bench.guard.stats import verdicts as gate
from bench.guard.stats.sequential_design import SequentialDesign, replay, still_open
from bench.store import UNITS_FILE, WorkerRecord, append_worker, read_workers
from bench.store.validate.files import FileError


def _units(rng, n: int, ratio: float, cv: float) -> tuple[list[float], list[float]]:
    a = np.exp(rng.normal(0.0, cv, n)) * 1e6
    b = np.exp(rng.normal(math.log(ratio), cv, n)) * 1e6
    return list(a), list(b)


def _live(cases: dict, design: SequentialDesign) -> tuple[dict, dict]:
    """A live session: units arrive one round at a time, decided cases get no more."""
    given = {k: ([], []) for k in cases}
    open_keys = list(cases)
    outcomes = {}
    for r in range(design.max_rounds):
        for k in open_keys:
            given[k][0].append(cases[k][0][r])
            given[k][1].append(cases[k][1][r])
        if r + 1 >= design.min_rounds:
            outcomes = replay(given, design)
            open_keys = still_open(outcomes, open_keys)
        if not open_keys:
            break
    return given, outcomes


def test_replay_of_the_stored_units_gives_the_live_verdicts():
    rng = np.random.default_rng(7)
    design = SequentialDesign(min_rounds=3, max_rounds=8)
    cases = {f"c{i}": _units(rng, 8, ratio, 0.04)
             for i, ratio in enumerate([1.0] * 10 + [1.3] * 5 + [1.1] * 5)}  # fmt: skip
    stored, live = _live(cases, design)
    again = replay(stored, design)
    assert {k: (o.decision.verdict, o.rounds) for k, o in again.items()} == {
        k: (o.decision.verdict, o.rounds) for k, o in live.items()
    }
    # a decided case received no round after the look that decided it
    for k, outcome in live.items():
        if outcome.decided:
            assert len(stored[k][0]) == outcome.rounds
    verdicts = {k: o.decision.verdict for k, o in live.items()}
    assert all(verdicts[f"c{i}"] == gate.SLOWER for i in range(10, 15))  # 30% at 4% noise
    assert all(verdicts[f"c{i}"] != gate.SLOWER for i in range(10))


def test_first_look_needs_min_rounds_and_a_clear_case_stops_there():
    design = SequentialDesign(min_rounds=3, max_rounds=6)
    units = {"short": ([1.0, 1.0], [1.0, 1.0]),
             "clear": ([1.00, 1.01, 0.99], [1.50, 1.51, 1.49])}  # fmt: skip
    out = replay(units, design)
    assert "short" not in out  # fewer than min_rounds units: no look yet
    assert out["clear"].decision.verdict == gate.SLOWER and out["clear"].rounds == 3
    assert still_open(out, ["short", "clear"]) == ["short"]


def test_design_is_validated_and_round_trips():
    design = SequentialDesign(min_rounds=4, max_rounds=9, spending="obrien-fleming")
    assert design.max_looks == 6
    assert SequentialDesign.from_dict(json.loads(json.dumps(design.to_dict()))) == design
    for bad in ({"min_rounds": 1}, {"max_rounds": 2}, {"threshold": 0}, {"alpha": 0.7},
                {"spending": "peek"}):  # fmt: skip
        with pytest.raises(UsageError):
            SequentialDesign(**bad)
    # what a run.json carries is untrusted: anything odd reads as "no design"
    assert SequentialDesign.from_dict({"min_rounds": "3"}) is None
    assert SequentialDesign.from_dict([1, 2]) is None
    assert SequentialDesign.from_dict({**design.to_dict(), "alpha": float("nan")}) is None


def _live_many(cases: dict, design: SequentialDesign) -> dict:
    """`_live` for many independent one-case sessions at once (BH within each)."""
    given = {k: ([], []) for k in cases}
    open_keys = list(cases)
    outcomes = {}
    for r in range(design.max_rounds):
        for k in open_keys:
            given[k][0].append(cases[k][0][r])
            given[k][1].append(cases[k][1][r])
        if r + 1 >= design.min_rounds:
            outcomes = replay(given, design, family=lambda k: k)
            open_keys = still_open(outcomes, open_keys)
    return outcomes


@pytest.mark.parametrize("cv", [0.02, 0.05])
def test_simulated_sessions_keep_the_error_rates(cv):
    """Seeded: n whole sequential sessions of one case each, with stopping at each look."""
    rng = np.random.default_rng(2026)
    design = SequentialDesign(min_rounds=3, max_rounds=10)
    n = 1000
    aa = _live_many({("aa", i): _units(rng, 10, 1.0, cv) for i in range(n)}, design)
    slow = _live_many({("slow", i): _units(rng, 10, 1.3, cv) for i in range(n)}, design)
    false_slower = sum(o.decision.verdict == gate.SLOWER for o in aa.values())
    same_when_slow = sum(o.decision.verdict == gate.SAME for o in slow.values())
    found = sum(o.decision.verdict == gate.SLOWER for o in slow.values())
    # alpha = 0.05 spent over the looks bounds each rate; 99.9% binomial margin on top
    bound = 0.05 * n + 3.1 * math.sqrt(n * 0.05 * 0.95)
    assert false_slower <= bound and same_when_slow <= bound
    assert found >= 0.95 * n
    # and A/A sessions mostly end "same" at this noise within 10 rounds
    assert sum(o.decision.verdict == gate.SAME for o in aa.values()) >= 0.6 * n


def _drifted_pair(tmp_path, *, slowdown: float):
    """Run B taken while the machine ran everything 25% slower (reference included)."""
    cases = case_params(30)
    rows_a = make_rows(cases, seed=11)
    rows_b = make_rows(cases, seed=12, slowdown=1.25 * slowdown)
    rng = np.random.default_rng(3)
    for rows, speed in ((rows_a, 1.0), (rows_b, 1.25)):
        for row in rows:
            row["ref_ns"] = list(3e5 * speed * np.exp(rng.normal(0, 0.01, row["processes"])))
    return (write_run(tmp_path / "a", rows_a), write_run(tmp_path / "b", rows_b))


def test_drift_is_corrected_by_the_reference_workload(tmp_path):
    a, b = _drifted_pair(tmp_path, slowdown=1.0)
    pair = compare.compare([a, b]).pairs[0]
    assert (pair.perf["verdict"] != gate.SLOWER).all()
    assert pair.perf["unit"].eq("process/reference").all()
    assert pair.perf.attrs["drift"] == pytest.approx(1.25, rel=0.02)
    assert any("relative to the reference workload" in n and "1.25" in n for n in pair.notes)
    # without the reference times the same data is a 25% "regression"
    plain = compare_perf.compare_run_performance(
        pair_frames(a), pair_frames(b), drift=False
    )  # fmt: skip
    assert (plain["verdict"] == gate.SLOWER).mean() > 0.9


def test_a_real_slowdown_survives_drift_correction(tmp_path):
    a, b = _drifted_pair(tmp_path, slowdown=1.3)
    perf = compare.compare([a, b]).pairs[0].perf
    assert (perf["verdict"] == gate.SLOWER).mean() > 0.9
    assert perf["ratio"].median() == pytest.approx(1.3, rel=0.05)


def test_no_correction_across_numpy_versions(tmp_path):
    a, b = _drifted_pair(tmp_path, slowdown=1.0)
    meta = json.loads((b / "run.json").read_text())
    meta["versions"]["numpy"] = "1.26.4"  # the reference workload itself may differ
    (b / "run.json").write_text(json.dumps(meta))
    pair = compare.compare([a, b]).pairs[0]
    assert not pair.perf["unit"].str.endswith("/reference").any()
    assert any("different NumPy versions" in n for n in pair.notes)


def pair_frames(run):
    from bench.store import load

    return load(run)


def _record(worker: int) -> WorkerRecord:
    return WorkerRecord(worker=worker, label="self", seed=5, ref_ns=3e5, seconds=1.5,
                        units={"0123456789ab": ((1e6, 1.1e6), 4)}, errors={})  # fmt: skip


def test_units_file_keeps_finished_workers_and_drops_a_cut_line(tmp_path):
    append_worker(tmp_path, _record(0))
    with open(tmp_path / UNITS_FILE, "a") as fh:
        fh.write('{"worker": 1, "label": "se')  # killed while writing
    assert [r.worker for r in read_workers(tmp_path)] == [0]
    append_worker(tmp_path, _record(1))  # the cut line is dropped, not glued to this one
    got = read_workers(tmp_path)
    assert [r.worker for r in got] == [0, 1]
    assert got[1].units["0123456789ab"] == ((1e6, 1.1e6), 4)


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda d: d.update(worker=-1), "worker"),
        (lambda d: d.update(ref_ns=float("inf")), "ref_ns"),
        (lambda d: d["units"].update({"../../etc": {"samples_ns": [1], "loops": 1}}), "units"),
        (lambda d: d["units"]["0123456789ab"].update(samples_ns=[0]), "units"),
        (lambda d: d["units"]["0123456789ab"].update(loops=0), "units"),
    ],
)
def test_units_file_is_validated_on_load(tmp_path, edit, field):
    data = _record(0).to_json()
    edit(data)
    (tmp_path / UNITS_FILE).write_text(json.dumps(data) + "\n")
    with pytest.raises(FileError, match=field):
        read_workers(tmp_path)
