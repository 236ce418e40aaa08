"""The report states, per mode, whether chunked dask-image filtering equals SciPy (issue 6)."""

from __future__ import annotations

import json

import pytest
import report_runs
from conftest import gfbench_inproc

from bench.report import render_report

pytest.importorskip("dask_image")


@pytest.fixture(scope="module")
def run_with_bigarray(tmp_path_factory):
    base = tmp_path_factory.mktemp("bigarray-report")
    run = report_runs.write_run(base / "run")
    # a real, small chunked check written into the run folder, as a user would
    result = gfbench_inproc(
        "bigarray", "--shape", "48", "40", "--chunks", "16", "--sigma", "1.5",
        "--mode", "reflect", "--mode", "wrap", "--mode", "constant", "--out", str(run),
        timeout=300,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    data = json.loads((run / "bigarray.json").read_text())
    index = render_report(run, out_dir=base / "out", formats=("md", "html"))
    return {"data": data, "md": (index.parent / "report.md").read_text(), "index": index}


def test_report_has_a_verdict_per_mode(run_with_bigarray):
    md = run_with_bigarray["md"]
    assert "Big arrays (dask-image, chunked)" in md
    table = md.split("**Chunked filtering vs SciPy, per mode**", 1)[1]
    for mode in run_with_bigarray["data"]["modes"]:
        verdict = "yes" if mode["equals_scipy"] else "no"
        assert f"| {mode['mode']}" in table
        line = next(ln for ln in table.splitlines() if ln.startswith(f"| {mode['mode']} "))
        assert f"| {verdict} " in line
        assert f"| {mode['n_diff_pixels']} " in line


def test_wrap_difference_is_named_and_reflect_is_exact(run_with_bigarray):
    modes = {m["mode"]: m for m in run_with_bigarray["data"]["modes"]}
    assert modes["reflect"]["equals_scipy"]
    assert modes["constant"]["equals_scipy"]
    # measured: dask-image does not wrap across chunks (boundary="none")
    assert not modes["wrap"]["equals_scipy"]
    assert "wrap: differs from SciPy" in run_with_bigarray["md"]


def test_report_without_bigarray_has_no_such_section(synthetic_report):
    assert not (synthetic_report["run"] / "bigarray.json").exists()
    assert "Big arrays" not in (synthetic_report["out"] / "report.md").read_text()


def test_rows_from_several_machines_are_grouped_by_host(tmp_path):
    rows = report_runs.make_rows()
    for i, row in enumerate(rows):
        row["host"] = "node-a" if i % 2 else "node-b"
    meta = report_runs.run_meta(
        machines={"node-a": {"cpu": {"model": "CPU A"}, "bandwidth_gbs": 12.5}, "node-b": {}}
    )
    run = report_runs.write_run(tmp_path / "run", rows=rows, meta=meta)
    index = render_report(run, out_dir=tmp_path / "out", formats=("md",))
    md = (index.parent / "report.md").read_text()
    table = md.split("**Rows per machine (times compare only within one machine)**", 1)[1]
    line_a = next(ln for ln in table.splitlines() if ln.startswith("| node-a"))
    assert f"| {sum(1 for r in rows if r['host'] == 'node-a')} " in line_a
    assert "CPU A" in line_a and "12.5" in line_a
