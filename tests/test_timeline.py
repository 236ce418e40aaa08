"""gfbench history's timeline: per version x family x dtype geometric means with their
interval, the output-change marker, the sentences and the plot, on synthetic sides."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from bench.guard.compare.sides import Side
from bench.guard.compare.timeline import describe, timeline_table
from bench.report.plots.timeline import timeline_figures

# per worker minima in ms, three workers (rounds) per case
BASE = {"a": [1.00, 1.10, 0.95], "b": [2.00, 2.10, 1.90], "v": [5.0, 5.5, 5.2]}


def frame(factor: float, changed: bool = False) -> pd.DataFrame:
    rows = []
    for cid, minima in BASE.items():
        # two samples per worker: the minimum and one above it
        samples = [x * factor * 1e6 for m in minima for x in (m, m * 1.05)]
        rows.append({
            "case_id": cid, "status": "ok", "impl": "scipy", "dtype": "float64",
            "family": "3d" if cid == "v" else "2d", "shape": [8, 8], "sigma": 1.0,
            "mode": "reflect", "min_ns": min(samples), "samples_ns": samples, "processes": 3,
            "n_samples": len(samples), "out_dtype": "float64",
            "output_sha256": "changed" if (changed and cid == "a") else f"sha-{cid}",
        })  # fmt: skip
    return pd.DataFrame(rows)


def side(version: str, numpy: str, factor: float, changed: bool = False) -> Side:
    env = {"versions": {"scipy": version, "numpy": numpy}}
    return Side(label=f"scipy-{version}", path="-", frame=frame(factor, changed), env=env)


@pytest.fixture
def sides() -> list[Side]:
    return [side("1.13.1", "2.2.6", 1.0), side("1.14.1", "2.2.6", 1.0),
            side("1.15.0", "2.4.6", 2.0, changed=True)]  # fmt: skip


def test_geomean_interval_and_markers(sides) -> None:
    table = timeline_table(sides)
    two_d = table[table["family"] == "2d"].sort_values("order")
    assert list(two_d["version"]) == ["scipy-1.13.1", "scipy-1.14.1", "scipy-1.15.0"]
    # independent: mean of the per-case mean log minima; interval from their standard errors
    logs = [np.log(BASE[c]) for c in ("a", "b")]
    mean = np.mean([lg.mean() for lg in logs])
    se = math.sqrt(sum((lg.std(ddof=1) / math.sqrt(3)) ** 2 for lg in logs)) / 2
    half = stats.t.ppf(0.975, 2) * se
    first = two_d.iloc[0]
    assert first["ms"] == pytest.approx(math.exp(mean))
    assert (first["ms_low"], first["ms_high"]) == pytest.approx(
        (math.exp(mean - half), math.exp(mean + half))
    )
    assert list(two_d["ratio"]) == pytest.approx([1.0, 1.0, 2.0])
    assert list(two_d["outputs_changed"]) == [0, 0, 1]
    assert two_d.iloc[2]["changed_cases"] == ["a"]
    three_d = table[table["family"] == "3d"]
    assert list(three_d["outputs_changed"]) == [0, 0, 0]


def test_sentences_name_the_step_and_the_change(sides) -> None:
    text = "\n".join(describe(timeline_table(sides)))
    assert "2d float64: 3 versions, time 1.00x..2.00x of scipy-1.13.1" in text
    assert "scipy-1.14.1 -> scipy-1.15.0 x2.00" in text
    assert "outputs changed at scipy-1.15.0 (1)" in text
    assert "3d float64" in text and "outputs identical across versions" in text


def test_no_step_when_intervals_overlap() -> None:
    same = [side("1.13.1", "2.2.6", 1.0), side("1.14.1", "2.2.6", 1.02)]
    text = "\n".join(describe(timeline_table(same)))
    assert "no step of >= 10%" in text


def test_plot_written_per_family(sides, tmp_path) -> None:
    paths = timeline_figures(timeline_table(sides), tmp_path)
    assert sorted(p.name for p in paths) == ["history_2d.png", "history_3d.png"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in paths)


def _counted(s: Side, per_case: dict[str, float]) -> Side:
    frame = s.frame.copy()
    frame["instructions"] = frame["case_id"].map(per_case)
    return Side(label=s.label, path="-", frame=frame, env=s.env)


def test_instruction_steps_of_one_percent_are_named() -> None:
    base = {"a": 1.0e6, "b": 4.0e6, "v": 9.0e6}
    # 1.15.0 adds 2% to case a and 0.5% to b: the 2-D family's geometric mean moves by
    # sqrt(1.02 * 1.005) = 1.0125x, a step; the 3-D case v does not move
    grown = {"a": 1.02e6, "b": 4.02e6, "v": 9.0e6}
    sides = [
        _counted(side("1.13.1", "2.2.6", 1.0), base),
        _counted(side("1.14.1", "2.2.6", 1.0), base),
        _counted(side("1.15.0", "2.4.6", 1.0), grown),
    ]
    table = timeline_table(sides)
    two_d = table[table["family"] == "2d"].sort_values("order")
    assert list(two_d["instructions"]) == pytest.approx([2.0e6, 2.0e6, math.sqrt(1.02e6 * 4.02e6)])
    lines = {line.split(":")[0]: line for line in describe(table)}
    step = math.sqrt(1.02 * 1.005)
    assert (
        f"instructions change by >= 1% at scipy-1.14.1 -> scipy-1.15.0 x{step:.3f}"
        in (lines["2d float64"])
    )
    assert (
        "instructions: no step of >= 1% between neighbours (1.0000x..1.0000x"
        in (lines["3d float64"])
    )


def test_no_instruction_sentence_without_counts(sides) -> None:
    assert not any("instructions" in line for line in describe(timeline_table(sides)))


# -- the session's round units -----------------------------------------------------------------

ROUNDS, PASSES = 4, 6


def _session_side(version: str, samples: dict[str, np.ndarray], unit: str | None) -> Side:
    """A side as `ab_session` writes it: one row per case, ``ROUNDS`` processes of ``PASSES``
    samples each (process order), and the session's design in run.json when ``unit`` is set."""
    from bench.guard.stats.sequential_design import SequentialDesign

    rows = [{
        "case_id": cid, "status": "ok", "impl": "scipy", "dtype": "float64", "family": "2d",
        "shape": [8, 8], "sigma": 1.0, "mode": "reflect", "min_ns": float(got.min()),
        "samples_ns": [float(x) for x in got.ravel()], "processes": ROUNDS,
        "n_samples": got.size, "out_dtype": "float64", "output_sha256": f"sha-{cid}",
    } for cid, got in samples.items()]  # fmt: skip
    design = None if unit is None else SequentialDesign(paired=True, unit=unit).to_dict()
    metas = ({"timing": {"sequential": design}},) if design else ()
    env = {"versions": {"scipy": version, "numpy": "2.2.6"}}
    return Side(label=f"scipy-{version}", path="-", frame=pd.DataFrame(rows), env=env,
                metas=metas)  # fmt: skip


def _two_speed_sessions(unit: str | None) -> tuple[list[Side], dict[str, list[np.ndarray]]]:
    """Three versions timed side by side on a host that runs some passes at half speed: B is
    1.2x A and C is A, each pass's pair within 1% of that, but the slow passes fall on different
    versions' minima."""
    rng = np.random.default_rng(7)
    cases = {"a": 1e6, "b": 3e6}
    by_version: dict[str, dict[str, np.ndarray]] = {"1.13.1": {}, "1.14.1": {}, "1.15.0": {}}
    for cid, base in cases.items():
        speed = rng.choice([1.0, 2.0], size=(ROUNDS, PASSES))  # the host's state, per pass
        speed[:, 0] = 1.0  # every round has at least one fast pass on A
        a = base * speed * rng.uniform(1.0, 1.01, (ROUNDS, PASSES))
        b = a * 1.2 * rng.uniform(0.99, 1.01, (ROUNDS, PASSES))
        c = a * rng.uniform(0.99, 1.01, (ROUNDS, PASSES))
        b[:, 0] *= 2.0  # B's pass that is fast on A ran slow: its minimum comes from a slow pass
        by_version["1.13.1"][cid], by_version["1.14.1"][cid], by_version["1.15.0"][cid] = a, b, c
    sides = [_session_side(v, got, unit) for v, got in by_version.items()]
    arrays = {cid: [by_version[v][cid] for v in by_version] for cid in cases}
    return sides, arrays


def test_a_paired_median_session_draws_the_units_its_gate_used() -> None:
    sides, arrays = _two_speed_sessions("paired-median")
    table = timeline_table(sides).sort_values("order")
    # independent: each round's unit is A's minimum x the median over its passes of V/A
    for order, version in enumerate(["scipy-1.13.1", "scipy-1.14.1", "scipy-1.15.0"]):
        logs = []
        for per_version in arrays.values():
            a, v = per_version[0], per_version[order]
            per_round = np.log(a.min(axis=1)) + np.median(np.log(v / a), axis=1)
            logs.append(per_round - np.log(1e6))
        row = table[table["version"] == version].iloc[0]
        assert row["ms"] == pytest.approx(math.exp(np.mean([lg.mean() for lg in logs])))
        assert row["rounds"] == ROUNDS
    assert list(table["ratio"]) == pytest.approx([1.0, 1.2, 1.0], rel=0.01)
    assert (table.attrs["unit"], table.attrs["unpaired"]) == ("paired-median", [])


def test_sessions_without_the_paired_unit_keep_each_versions_minima() -> None:
    for unit in (None, "min"):
        sides, arrays = _two_speed_sessions(unit)
        table = timeline_table(sides).sort_values("order")
        for order, row in enumerate(table.itertuples()):
            logs = [np.log(per[order].min(axis=1) / 1e6) for per in arrays.values()]
            assert row.ms == pytest.approx(math.exp(np.mean([lg.mean() for lg in logs])))
        assert (table.attrs["unit"], table.attrs["unpaired"]) == ("min", [])
        # the minima of the two-speed passes are not what the pairs say: B is not 1.2x
        assert abs(table.iloc[1]["ratio"] - 1.2) > 0.05


def test_rounds_that_cannot_be_paired_fall_back_to_minima() -> None:
    sides, arrays = _two_speed_sessions("paired-median")
    frame = sides[1].frame.copy()
    frame.at[0, "samples_ns"] = frame.at[0, "samples_ns"][
        : PASSES * ROUNDS - ROUNDS
    ]  # a pass short
    sides[1] = Side(label=sides[1].label, path="-", frame=frame, env=sides[1].env,
                    metas=sides[1].metas)  # fmt: skip
    table = timeline_table(sides).sort_values("order")
    assert table.attrs["unpaired"] == ["a"]  # history.md names it
    # case "a" on every side: minima (B's now in 4 processes of 5 samples); case "b": paired
    a_logs = np.log(arrays["a"][0].min(axis=1) / 1e6).mean()
    short = np.asarray(frame.at[0, "samples_ns"]).reshape(ROUNDS, PASSES - 1)
    a_b_logs = np.log(short.min(axis=1) / 1e6).mean()
    base, other = arrays["b"][0], arrays["b"][1]
    b_b_logs = (np.log(base.min(axis=1) / 1e6) + np.median(np.log(other / base), axis=1)).mean()
    assert table.iloc[0]["ms"] == pytest.approx(
        math.exp((a_logs + np.log(base.min(axis=1) / 1e6).mean()) / 2)
    )
    assert table.iloc[1]["ms"] == pytest.approx(math.exp((a_b_logs + b_b_logs) / 2))
