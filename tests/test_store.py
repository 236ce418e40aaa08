"""The results store: rows, run.json, round trip, truncated lines, resume and export."""

from __future__ import annotations

import json
import warnings

import pandas as pd
import pytest

from bench import store
from bench.exitcodes import UsageError
from bench.store import Row, RunStore
from bench.sweep.cases import Case
from bench.sweep.measure import CaseSettings, identity_fields, run_case
from bench.sweep.timing.sampling import TimingSettings

META = {"grid": {"name": "t"}, "started_at": "2026-01-01T00:00:00+00:00", "host": "h"}


def rows(n: int = 3) -> list[Row]:
    settings = CaseSettings(timing=TimingSettings(min_sample_s=1e-4, repeats=3))
    out = []
    for i in range(n):
        case = Case(impl="scipy", dtype="uint8", shape=(12, 10 + i), sigma=1.0)
        out.append(run_case(case, settings))
    out.append(run_case(Case(impl="pillow", dtype="float32", shape=(8, 8), sigma=1.0), settings))
    return out


@pytest.fixture(scope="module")
def some_rows() -> list[Row]:
    return rows()


def make_run(tmp_path, some_rows) -> RunStore:
    run = RunStore.create(tmp_path, "run1", META)
    for row in some_rows:
        run.append(row)
    run.finish("complete")
    return run


def test_row_validates_itself():
    ident = identity_fields(Case(impl="scipy", dtype="float64", shape=(4, 4), sigma=1.0))
    with pytest.raises(ValueError, match="status"):
        Row(**ident, status="fine")
    with pytest.raises(ValueError, match="reason"):
        Row(**ident, status="error")
    with pytest.raises(ValueError, match="out_dtype"):
        Row(**ident, status="ok")
    with pytest.raises(ValueError, match="timings"):
        Row(**ident, status="unsupported", reason="x", min_ns=1.0)
    with pytest.raises(ValueError, match="n_samples"):
        Row(
            **ident,
            status="ok",
            out_dtype="float64",
            samples_ns=(1.0, 2.0),
            n_samples=3,
            min_ns=1.0,
            median_ns=1.5,
        )
    with pytest.raises(ValueError, match="case_id"):
        Row(**{**ident, "case_id": "xyz"}, status="ok", out_dtype="float64")


def test_round_trip_to_a_dataframe(tmp_path, some_rows):
    run = make_run(tmp_path, some_rows)
    frame = store.load(run.run_dir)
    assert len(frame) == len(some_rows)
    assert list(frame.case_id) == [r.case_id for r in some_rows]
    ok = frame[frame.status == "ok"]
    assert ok.shape[0] == 3 and ok.min_ns.gt(0).all() and ok.bias.lt(0).all()
    assert frame.loc[frame.impl == "pillow", "status"].item() == "unsupported"
    assert frame["shape"].iloc[0] == [12, 10]
    meta = store.load_run_meta(run.run_dir)
    assert meta["status"] == "complete" and meta["schema_version"] == store.SCHEMA_VERSION
    assert frame.attrs["run"] == meta
    assert (frame.run_id == "run1").all()
    # a results folder resolves to its newest run; run.json and cases.jsonl to their run
    assert len(store.load(tmp_path)) == len(some_rows)
    assert len(store.load(run.run_dir / "cases.jsonl")) == len(some_rows)


def test_every_line_is_one_json_object(tmp_path, some_rows):
    run = make_run(tmp_path, some_rows)
    text = (run.run_dir / "cases.jsonl").read_text()
    assert text.endswith("\n")
    lines = text.splitlines()
    assert len(lines) == len(some_rows)
    for line in lines:
        assert isinstance(json.loads(line), dict)
    json.loads((run.run_dir / "run.json").read_text())


def test_a_truncated_last_line_is_ignored_with_a_warning(tmp_path, some_rows):
    run = make_run(tmp_path, some_rows)
    cases = run.run_dir / "cases.jsonl"
    full = cases.read_bytes()
    cases.write_bytes(full[: len(full) - 40])  # the last row cut mid-write
    with pytest.warns(UserWarning, match="incomplete"):
        frame = store.load(run.run_dir)
    assert len(frame) == len(some_rows) - 1
    with pytest.warns(UserWarning, match="recomputed"):
        reopened = RunStore.reopen(run.run_dir)
    assert set(reopened.done) == {r.case_id for r in some_rows[:-1]}
    reopened.append(some_rows[-1])
    reopened.finish("complete")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = store.load(run.run_dir)
    assert sorted(again.case_id) == sorted(r.case_id for r in some_rows)


def test_a_bad_line_in_the_middle_is_an_error(tmp_path, some_rows):
    run = make_run(tmp_path, some_rows)
    cases = run.run_dir / "cases.jsonl"
    lines = cases.read_text().splitlines()
    lines[1] = lines[1][:20]
    cases.write_text("\n".join(lines) + "\n")
    with pytest.raises(UsageError, match="line 2"):
        store.load(run.run_dir)


def test_unknown_schema_version_is_refused(tmp_path, some_rows):
    run = make_run(tmp_path, some_rows)
    meta = json.loads((run.run_dir / "run.json").read_text())
    meta["schema_version"] = 99
    (run.run_dir / "run.json").write_text(json.dumps(meta))
    with pytest.raises(UsageError, match="schema_version 99"):
        store.load(run.run_dir)


def test_not_a_run_folder(tmp_path):
    with pytest.raises(UsageError, match="not a run folder"):
        store.load(tmp_path)


def test_unwritable_out_is_a_usage_error(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(UsageError, match="--out"):
        store.check_writable(blocker / "sub")
    with pytest.raises(UsageError, match="--out"):
        RunStore.create(blocker, "r", META)


def test_export_csv_and_parquet(tmp_path, some_rows):
    run = make_run(tmp_path, some_rows)
    written = store.export(run.run_dir, ("csv", "parquet"))
    assert [p.name for p in written] == ["cases.csv", "cases.parquet"]
    csv = pd.read_csv(written[0])
    assert len(csv) == len(some_rows)
    assert json.loads(csv["shape"].iloc[0]) == [12, 10]
    parquet = pd.read_parquet(written[1])
    assert len(parquet) == len(some_rows)
    assert list(parquet["shape"].iloc[0]) == [12, 10]
    assert parquet["min_ns"].iloc[0] == pytest.approx(some_rows[0].min_ns)
    with pytest.raises(UsageError, match="allowed: csv, parquet"):
        store.export(run.run_dir, ("xlsx",))
