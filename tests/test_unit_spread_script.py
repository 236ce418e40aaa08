"""``scripts/unit_spread.py`` on two synthetic interleaved runs with known round-to-round load.

Round ``k`` of both sides is scaled by the same machine factor; B is 1.25x A. So the per-round
log ratio is exactly log 1.25 (sd(d) 0, r 1) while each side's units spread like the factor.
"""

from __future__ import annotations

import importlib.util
import math
import sys

import numpy as np
import pytest
from conftest import REPO
from synthetic_runs import case_params, make_rows, write_run

SCRIPT = REPO / "scripts" / "unit_spread.py"
sys.path.insert(0, str(SCRIPT.parent))  # the script imports its sibling _header
_spec = importlib.util.spec_from_file_location("unit_spread", SCRIPT)
unit_spread = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(unit_spread)
MACHINE = [1.0, 1.5, 0.8, 1.2, 0.9, 1.7]  # one factor per round, shared by both sides


def _run(folder, cases, factor):
    rows = make_rows(cases, seed=1, processes=len(MACHINE), per_process=3, process_sd=0.0,
                     sample_sd=0.0)  # fmt: skip
    for row in rows:
        samples = [float(s) for s in row["samples_ns"]]
        per = len(samples) // len(MACHINE)
        row["samples_ns"] = [int(s * MACHINE[i // per] * factor) for i, s in enumerate(samples)]
    return write_run(folder, rows, run_id="session-1", interleaved=True)


@pytest.fixture
def matrix(tmp_path):
    cases = case_params(3)
    _run(tmp_path / "scipy-a" / "runs" / "x-interleaved", cases, 1.0)
    _run(tmp_path / "scipy-b" / "runs" / "x-interleaved", cases, 1.25)
    return tmp_path


def test_a_load_shared_by_both_sides_cancels_in_the_per_round_ratio(matrix, capsys):
    assert unit_spread.main([str(matrix)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# date: ")
    medians = dict(
        part.rsplit(" ", 1) for part in out.splitlines()[-1].split(": ", 1)[1].split(", ")
    )
    spread = float(np.std(np.log(MACHINE), ddof=1))
    assert float(medians["log_sd_a"]) == pytest.approx(spread, abs=1e-3)
    assert float(medians["log_sd_b"]) == pytest.approx(spread, abs=1e-3)
    assert float(medians["r"]) == pytest.approx(1.0, abs=1e-3)
    assert float(medians["sd_d"]) == pytest.approx(0.0, abs=1e-3)
    table = [line.split() for line in out.splitlines() if line.endswith(tuple("0123456789"))]
    ratios = [float(cols[-5]) for cols in table if len(cols) >= 7 and cols[-6] == "6"]
    assert len(ratios) == 3 and all(r == pytest.approx(1.25, abs=1e-3) for r in ratios)
    assert math.isfinite(float(medians["r"]))


def test_anything_but_two_runs_is_refused_naming_the_argument(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        unit_spread.main([str(tmp_path)])
    assert exit_.value.code == 2 and "folders:" in capsys.readouterr().err
