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
