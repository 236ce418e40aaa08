"""What issue 20's checks cost a sweep and a resume (pytest-benchmark; CI runs these once with
--benchmark-disable).

Target: the checks (regular-file, link and size checks, capped streamed reads, nesting depth,
the run-folder lock, the disk-full reserve, random ``O_EXCL`` temporaries) add under 1% to the
quick grid's sweep. The state a resume loads is the committed example run of the quick grid
(``reports/example/run``: run.json and 500+ rows); the per-sweep costs are the lock, the reserve
and one atomic run.json write. docs/reliability.md gives the measured figures against the
sweep's own wall time.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bench.store import CASES_FILE, RunStore, load_run_meta, read_rows, read_workers
from bench.store.locks import RunLock
from bench.store.validate import validate_row

EXAMPLE_RUN = Path(__file__).resolve().parents[2] / "reports" / "example" / "run"


@pytest.fixture
def example_run(tmp_path) -> Path:
    return Path(shutil.copytree(EXAMPLE_RUN, tmp_path / "run"))


def plain_read_rows(file: Path) -> list[dict]:
    """The reading before issue 20 (whole file, no file-type, size or depth checks): the
    baseline the safe reader is compared with in the same benchmark session."""
    rows = []
    for number, raw in enumerate(file.read_bytes().split(b"\n")[:-1], start=1):
        rows.append(validate_row(json.loads(raw), file=file, line=number))
    return rows


def test_resume_state_load_safe(benchmark, example_run):
    def load_state():
        meta = load_run_meta(example_run)
        rows, _ = read_rows(example_run / CASES_FILE)
        return meta, rows, read_workers(example_run)

    meta, rows, _ = benchmark(load_state)
    assert meta["grid"]["name"] == "quick" and len(rows) == meta["grid"]["n_cases"]


def test_resume_state_load_plain_baseline(benchmark, example_run):
    rows = benchmark(plain_read_rows, example_run / CASES_FILE)
    assert len(rows) == len(read_rows(example_run / CASES_FILE)[0])


def test_per_sweep_lock_reserve_and_run_json(benchmark, example_run):
    """Taking the lock, writing the 64 KiB reserve, one atomic run.json, closing."""

    def open_and_close():
        lock = RunLock(example_run)
        store = RunStore.reopen(example_run)
        store.update_meta(status="running")
        store.finish("complete")
        lock.release()

    benchmark(open_and_close)
    assert not (example_run / ".gfbench-reserve").exists()
