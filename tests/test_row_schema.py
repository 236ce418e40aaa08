"""One row schema, enforced where rows are made (issue 18).

``Row`` checks and normalises its fields with the loader's own table, so no writer can write
what the reader refuses. The property tests build rows the way the sweep (``identity_fields``
of a real ``Case`` plus measured fields) and the A/B session (the untimed run read back through
pandas, then ``bench.guard.ab_session.timed_row``) build them, write them with ``RunStore``,
load them, and require them back equal. The A/B path is where ``channels`` came out as 3.0:
pandas holds an int column with a missing value as floats.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench import __version__, store
from bench.exitcodes import UsageError
from bench.guard.ab_session import _clean, timed_row
from bench.store import Row, RunStore
from bench.store.validate import (
    FieldError,
    InvalidWrite,
    checked_json,
    validate_bigarray,
    validate_env,
    validate_matrix,
    validate_run_meta,
    validate_verify,
)
from bench.store.validate.run_folder import ROW_FIELDS
from bench.sweep.cases import DTYPES, MODES, Case
from bench.sweep.measure import identity_fields
from bench.sweep.timing.sampling import summarize

META = {"grid": {"name": "prop", "spec": {}, "filters": {}}, "gfbench_version": __version__}


# ------------------------------------------------------------------------------ strategies
@st.composite
def cases(draw) -> Case:
    """Any case a grid can hold: 2-D, 3-D or colour, any dtype, mode, per-axis sigma."""
    family = draw(st.sampled_from(["2d", "3d", "rgb"]))
    side = st.integers(4, 40)
    if family == "2d":
        shape, channel_axis, naxes = (draw(side), draw(side)), None, 2
    elif family == "3d":
        shape, channel_axis, naxes = (draw(st.integers(2, 8)), draw(side), draw(side)), None, 3
    else:
        shape, channel_axis, naxes = (draw(side), draw(side), draw(st.sampled_from([3, 4]))), -1, 2
    one = st.floats(0.3, 6.0, allow_nan=False)
    sigma = draw(st.one_of(one, st.tuples(*[one] * naxes)))
    return Case(
        impl=draw(st.sampled_from(["scipy", "opencv-1t", "fft", "dask-image"])),
        dtype=draw(st.sampled_from(sorted(DTYPES))),
        shape=shape,
        sigma=sigma,
        mode=draw(st.sampled_from(MODES)),
        truncate=draw(st.sampled_from([4.0, 2.0, 3.5])),
        order=draw(st.integers(0, 2)),
        cval=draw(st.sampled_from([0.0, 5.5, -1.25])),
        channel_axis=channel_axis,
        group=draw(st.sampled_from(["dtypes", "rgb", "volume"])),
    )


pos = st.floats(1.0, 1e9, allow_nan=False)
maybe = st.none() | st.floats(0.0, 1e3, allow_nan=False)


@st.composite
def sweep_rows(draw, *, timed: bool = True) -> Row:
    """A row as ``bench.sweep.measure`` builds one: ok (timed or not) or not ok; ``timed=False``:
    as the A/B session's untimed runs hold them (``gfbench sweep --no-timing``)."""
    case = draw(cases())
    ident = identity_fields(case)
    status = draw(st.sampled_from(["ok", "ok", "unsupported", "error", "unavailable"]))
    if status != "ok":
        return Row(**ident, status=status, reason=draw(st.text(min_size=1, max_size=30)))
    fields = {
        "out_dtype": DTYPES[case.dtype][1],
        "output_sha256": draw(st.text("0123456789abcdef", min_size=64, max_size=64)),
        "threads": draw(st.none() | st.integers(1, 64)),
        "max_abs_error": draw(maybe),
        "rmse": draw(maybe),
        "bias": draw(st.none() | st.floats(-10, 10, allow_nan=False)),
        "max_ulp_error": draw(maybe),
        "frac_correctly_rounded": draw(st.none() | st.floats(0, 1)),
        "matches_storage_model": draw(st.none() | st.booleans()),
        "approximate": draw(st.none() | st.booleans()),
        # the median over worker processes of an int: may be x.5
        "peak_rss_bytes": draw(st.none() | st.integers(0, 2**40) | st.floats(0, 1e12)),
        "peak_mem_bytes": draw(st.none() | st.integers(0, 2**40)),
        "bytes_moved": draw(st.none() | st.integers(1, 2**40)),
        "case_seconds": draw(maybe),
        # --cache-sim: misses per call, a mean over the counted calls (may be x.33)
        "l1_misses": draw(st.none() | st.floats(0, 1e9)),
        "ll_misses": draw(st.none() | st.floats(0, 1e9)),
        "host": "h",
    }
    if timed and draw(st.booleans()):  # timed in worker processes
        processes = draw(st.integers(1, 4))
        per = draw(st.integers(1, 5))
        samples = draw(st.lists(pos, min_size=processes * per, max_size=processes * per))
        fields.update(summarize(samples, loops=draw(st.integers(1, 100)), processes=processes))
        fields["ref_ns"] = tuple(draw(st.lists(pos, min_size=processes, max_size=processes)))
    return Row(**ident, status="ok", **fields)


# ------------------------------------------------------------------------------ helpers
def write_and_read(rows: list[Row], parent: Path) -> list[dict]:
    run = RunStore.create(parent, "run-1", META)
    for row in rows:
        run.append(row)
    run.finish("complete")
    return store.read_rows(run.run_dir / store.CASES_FILE)[0]


def through_pandas(run_dir: Path) -> list[dict]:
    """The untimed rows as the A/B session reads them (``_common_cases``)."""
    return [{k: _clean(v) for k, v in r.items()} for r in store.load(run_dir).to_dict("records")]


# ------------------------------------------------------------------------------ properties
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(sweep_rows(), min_size=1, max_size=4, unique_by=lambda r: r.case_id))
def test_sweep_rows_round_trip(rows):
    with tempfile.TemporaryDirectory() as tmp:
        back = write_and_read(rows, Path(tmp))
    assert [Row(**r) for r in back] == rows


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(sweep_rows(timed=False), min_size=1, max_size=4, unique_by=lambda r: r.case_id),
    st.data(),
)
def test_ab_session_rows_round_trip(untimed, data):
    """Untimed run -> pandas -> timed_row -> written -> loaded: equal, ints still ints."""
    with tempfile.TemporaryDirectory() as tmp:
        first = RunStore.create(Path(tmp) / "untimed", "run-1", META)
        for row in untimed:
            first.append(row)
        first.finish("complete")
        timed = []
        for row in through_pandas(first.run_dir):
            rounds = data.draw(st.integers(1, 4))
            per = data.draw(st.integers(1, 4))
            chunks = [data.draw(st.lists(pos, min_size=per, max_size=per)) for _ in range(rounds)]
            failure = data.draw(st.none() | st.just("worker: Boom"))
            refs = data.draw(st.lists(st.none() | pos, min_size=rounds, max_size=rounds))
            timed.append(timed_row(row, chunks=chunks if row["status"] == "ok" else None,
                                   loops=data.draw(st.integers(1, 50)), refs=refs,
                                   failure=failure))  # fmt: skip
        back = write_and_read(timed, Path(tmp) / "timed")
    assert [Row(**r) for r in back] == timed
    for before, after in zip(untimed, back, strict=True):
        # what the reader refused on main (issue 18): 3.0 for an int field
        for name in ("channels", "ndim", "npix", "order", "threads", "loops", "processes"):
            assert after[name] is None or type(after[name]) is int, (name, after[name])
        assert after["channels"] == before.channels


def test_a_colour_row_through_pandas_keeps_channels_an_int(tmp_path):
    """The bug of issue 18, as it happened: an RGB case beside 2-D ones (channels null)."""
    rows = [
        Row(**identity_fields(c), status="ok", out_dtype="uint8")
        for c in (
            Case(impl="scipy", dtype="uint8", shape=(8, 8, 3), sigma=1.0, channel_axis=-1),
            Case(impl="scipy", dtype="uint8", shape=(8, 8), sigma=1.0),
        )
    ]
    run = RunStore.create(tmp_path / "a", "run-1", META)
    for row in rows:
        run.append(row)
    run.finish("complete")
    read = through_pandas(run.run_dir)
    assert read[0]["channels"] == 3.0 and isinstance(read[0]["channels"], float)  # pandas' doing
    timed = [timed_row(r, chunks=[[1e5, 1.1e5], [1.05e5, 1.2e5]], loops=3, refs=[5e5, 5e5])
             for r in read]  # fmt: skip
    assert timed[0].channels == 3 and type(timed[0].channels) is int
    back = write_and_read(timed, tmp_path / "b")
    assert '"channels":3,' in (tmp_path / "b" / "run-1" / "cases.jsonl").read_text()
    assert [Row(**r) for r in back] == timed
    assert store.load(tmp_path / "b").loc[0, "channels"] == 3


# ------------------------------------------------------------------------------ the Row writer
IDENT = identity_fields(Case(impl="scipy", dtype="uint8", shape=(8, 8, 3), sigma=1.0,
                             channel_axis=-1))  # fmt: skip


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        ("channels", 2.5, "an int >= 0 or null"),
        ("channels", "3", "an int >= 0 or null"),
        ("npix", -1, "an int >= 1 or null"),
        ("min_ns", float("inf"), None),  # not finite: null, then min_ns <= median_ns fails
        ("samples_ns", (1.0, -2.0), "numbers in (0, "),
        ("frac_correctly_rounded", 1.5, "a fraction in [0, 1] or null"),
        ("shape", (8, 0, 3), "a list of positive ints"),
        ("unstable", "yes", "true, false or null"),
        ("threads", True, "an int >= 0 or null"),
        ("l1_misses", -1.0, "a number >= 0 or null"),
        ("ll_misses", "12", "a number >= 0 or null"),
    ],
)
def test_a_field_the_reader_refuses_fails_at_the_writer_naming_it(field, value, allowed):
    extra = {"out_dtype": "uint8"}
    if field in ("min_ns", "samples_ns"):
        extra |= {"samples_ns": (1.0, 2.0), "n_samples": 2, "min_ns": 1.0, "median_ns": 1.5}
    with pytest.raises(ValueError) as info:
        Row(**{**IDENT, **extra, field: value}, status="ok")
    if allowed is not None:
        assert isinstance(info.value, FieldError) and info.value.field == field
        assert f"Row field {field!r}" in str(info.value) and allowed in str(info.value)


def test_integral_floats_and_numpy_values_become_what_the_reader_reads():
    odd = {"channels": 3.0, "ndim": np.float64(3), "npix": np.int64(64),
           "shape": np.array([8, 8, 3]), "bias": np.float32(0.5), "unstable": np.bool_(True),
           "max_abs_error": float("nan")}  # fmt: skip
    row = Row(**{**IDENT, **odd}, status="ok", out_dtype="uint8")
    assert (row.channels, row.ndim, row.npix, row.shape) == (3, 3, 64, (8, 8, 3))
    assert type(row.channels) is int and type(row.ndim) is int and type(row.npix) is int
    assert row.bias == 0.5 and row.unstable is True and row.max_abs_error is None
    assert json.loads(json.dumps(row.to_json()))["channels"] == 3


def test_every_row_field_has_the_readers_check():
    assert set(Row.field_names()) == set(ROW_FIELDS)


# ------------------------------------------------------------------------------ the JSON writers
@pytest.mark.parametrize(
    ("validate", "data", "kwargs", "field"),
    [
        (validate_run_meta, {"schema_version": 1, "run_id": "r1", "grid": {}, "status": "done"},
         {"schema_version": 1}, "status"),
        (validate_run_meta, {"schema_version": 1, "run_id": "r1", "grid": {},
                             "timing": {"repeats": 0}}, {"schema_version": 1}, "timing.repeats"),
        (validate_verify, {"tool": "gfbench verify", "tests": [{"nodeid": 3, "outcome": "x"}]},
         {}, "tests[0].nodeid"),
        (validate_matrix, {"environments": [{"status": "ok", "folder": "../x"}]}, {},
         "environments[0].folder"),
        (validate_env, {"label": "a", "versions": ["1.17"]}, {}, "versions"),
        (validate_bigarray, {"modes": [{"mode": "reflect", "equals_scipy": 1}]}, {},
         "modes[0].equals_scipy"),
    ],
)  # fmt: skip
def test_a_json_file_the_reader_refuses_is_never_written(validate, data, kwargs, field):
    with pytest.raises(InvalidWrite, match=rf"field '{re.escape(field)}'.*a bug in gfbench"):
        checked_json(data, validate, file="f.json", **kwargs)


def test_run_json_and_units_writers_check_before_writing(tmp_path):
    with pytest.raises(InvalidWrite, match="field 'bandwidth_gbs'"):
        RunStore.create(tmp_path, "r1", {**META, "bandwidth_gbs": -1.0})
    run = RunStore.create(tmp_path, "r2", META)
    with pytest.raises(InvalidWrite, match="field 'wall_seconds'"):
        run.finish("complete", wall_seconds="slow")
    assert json.loads((run.run_dir / "run.json").read_text())["status"] == "running"  # untouched
    run.close()
    record = store.WorkerRecord(worker=0, label="a", seed=1, ref_ns=math.nan, seconds=1.0,
                                units={"0123456789ab": ((1.0,), 1)}, errors={})  # fmt: skip
    with pytest.raises(InvalidWrite):
        store.append_worker(run.run_dir, record)
    assert not (run.run_dir / store.UNITS_FILE).exists()


# ------------------------------------------------------------------------------ who is to blame
def _folder_with_bad_row(tmp_path: Path, meta: dict) -> Path:
    run = RunStore.create(tmp_path, "r1", meta)
    run.append(Row(**IDENT, status="ok", out_dtype="uint8"))
    run.finish("complete")
    cases = run.run_dir / store.CASES_FILE
    cases.write_text(cases.read_text().replace('"channels":3,', '"channels":3.0,'))
    return run.run_dir


def test_a_folder_gfbench_wrote_and_its_reader_refuses_is_a_gfbench_bug(tmp_path):
    run_dir = _folder_with_bad_row(tmp_path, {**META, "git_commit": "0dd4f66abc"})
    with pytest.raises(UsageError) as info:
        store.load(run_dir)
    text = str(info.value)
    assert "cases.jsonl: line 1: field 'channels': 3.0 is not valid" in text
    assert f"written by gfbench {__version__} at commit 0dd4f66abc (this version)" in text
    assert "a bug in gfbench, not in your files" in text and "please report" in text


def test_a_folder_from_elsewhere_gets_the_plain_error(tmp_path):
    run_dir = _folder_with_bad_row(tmp_path, {"grid": META["grid"]})  # no writer recorded
    with pytest.raises(UsageError) as info:
        store.load(run_dir)
    assert "field 'channels': 3.0 is not valid" in str(info.value)
    assert "gfbench" not in str(info.value).split("is not valid")[1]
