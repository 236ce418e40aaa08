"""history.json stores its paths relative to its own folder and they are checked on load.

A results folder travels between machines: a timeline drawn here, moved elsewhere, must read
back with its matrix and figures found there, and a path from a file made elsewhere (absolute,
or climbing out) must be refused, never joined.
"""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from conftest import REPO

from bench.cli import history
from bench.guard.compare import sides as compare_sides
from bench.guard.compare.sides import Side
from bench.store.validate import FileError


def _side(version: str, factor: float) -> Side:
    rows = []
    for cid, base_ms in (("a", 1.0), ("v", 5.0)):
        samples = [base_ms * factor * 1e6 * k for k in (1.0, 1.05, 1.1, 1.02, 1.08, 1.01)]
        rows.append({
            "case_id": cid, "status": "ok", "impl": "scipy", "dtype": "float64",
            "family": "3d" if cid == "v" else "2d", "shape": [8, 8], "sigma": 1.0,
            "mode": "reflect", "min_ns": min(samples), "samples_ns": samples, "processes": 3,
            "n_samples": len(samples), "out_dtype": "float64", "output_sha256": f"sha-{cid}",
        })  # fmt: skip
    env = {"versions": {"scipy": version, "numpy": "2.2.6"}}
    return Side(label=f"scipy-{version}", path="-", frame=pd.DataFrame(rows), env=env)


@pytest.fixture
def drawn(tmp_path, monkeypatch):
    """A timeline drawn into ``work/matrix-X/history/`` from two synthetic environments."""
    matrix_dir = tmp_path / "work" / "matrix-20261203T000000Z"
    matrix_dir.mkdir(parents=True)
    (matrix_dir / "matrix.json").write_text(json.dumps({"grid": "guard", "environments": []}))
    monkeypatch.setattr(
        compare_sides, "load_sides", lambda paths: [_side("1.14.1", 1.0), _side("1.15.0", 2.0)]
    )
    history.draw(matrix_dir, meta={"since": "1.14.1", "grid": "guard"})
    return matrix_dir


def test_history_json_paths_are_relative(drawn):
    record = json.loads((drawn / "history" / "history.json").read_text())
    assert record["matrix"] == ".."
    assert record["figures"] == ["history_2d.png", "history_3d.png"]
    # nothing of the machine it was drawn on
    assert str(drawn.parent) not in (drawn / "history" / "history.json").read_text()


def test_history_reads_back_after_the_folder_moved(drawn, tmp_path):
    moved = shutil.move(str(drawn), str(tmp_path / "elsewhere" / drawn.name))
    loaded = history.load_history(tmp_path / "elsewhere" / drawn.name / "history" / "history.json")
    assert loaded.matrix_dir == (tmp_path / "elsewhere" / drawn.name).resolve()
    assert [p.name for p in loaded.figures] == ["history_2d.png", "history_3d.png"]
    assert all(p.is_file() and str(p).startswith(str(moved)) for p in loaded.figures)


def test_committed_example_reads_back():
    """reports/history/ holds history.json beside its matrix folder: a folder name."""
    loaded = history.load_history(REPO / "reports" / "history" / "history.json")
    assert loaded.matrix_dir == REPO / "reports" / "history" / "matrix-20261203T062507Z"
    assert [p.name for p in loaded.figures] == ["history_2d.png", "history_3d.png"]
    assert all(p.is_file() for p in loaded.figures)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("matrix", "/tmp/i23/hist/matrix-20261203T062507Z", "not a valid identifier"),
        ("matrix", "../..", "not a valid identifier"),
        ("matrix", "../other", "not a valid identifier"),
        ("matrix", "nowhere", "no matrix.json there"),
        ("figures", ["/etc/passwd"], "not a valid identifier"),
        ("figures", ["../history_2d.png"], "not a valid identifier"),
        ("figures", ["history.md"], "is not a .png file"),
        ("figures", "history_2d.png", "must be a list of file names"),
    ],
)
def test_a_path_from_elsewhere_is_refused(drawn, field, value, message):
    path = drawn / "history" / "history.json"
    record = json.loads(path.read_text())
    record[field] = value
    path.write_text(json.dumps(record))
    with pytest.raises(FileError, match=message) as err:
        history.load_history(path)
    assert err.value.field == field or err.value.field.startswith(f"{field}[")
