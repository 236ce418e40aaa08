"""``bench.sweep.timing.worker.run_worker``: chatty, hung and failing workers; the shuffle order.

The fake workers are small scripts standing in for the interpreter (``Timer.python``): they
ignore ``-m bench.sweep.timing.worker``, read the request and answer in the worker's protocol.
"""

from __future__ import annotations

import random
import stat
import sys
from pathlib import Path

import pytest

from bench.sweep.cases import Case
from bench.sweep.timing.sampling import TimingSettings
from bench.sweep.timing.worker import Timer, run_worker

CASE = Case(impl="scipy", dtype="float32", shape=(16, 16), sigma=1.0)
SETTINGS = TimingSettings(min_sample_s=0.0005, repeats=2, warmup=0, processes=1)
#: well past a pipe's buffer (64 KiB on Linux): a worker writing this to a pipe nobody reads blocks
CHATTER_BYTES = 1 << 20


def fake_worker(folder: Path, body: str) -> Timer:
    """A Timer whose "interpreter" is a script running ``body`` (``request`` already read)."""
    script = folder / "fake-python"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys, time\n"
        "request = json.loads(sys.stdin.read())\n"
        "def emit(message):\n"
        "    sys.stdout.write(json.dumps(message) + '\\n'); sys.stdout.flush()\n" + body
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return Timer(label="fake", python=str(script))


def test_a_worker_writing_a_megabyte_to_stderr_is_read_to_the_end(tmp_path):
    timer = fake_worker(
        tmp_path,
        f"sys.stderr.write('x' * {CHATTER_BYTES}); sys.stderr.flush()\n"
        f"emit({{'case_id': {CASE.case_id!r}, 'sample_ns': 1000.0, 'loops': 3}})\n"
        "emit({'ref_ns': 50.0})\n",
    )
    result = run_worker(timer, [CASE], SETTINGS, loops={}, seed=1, timeout_s=120)
    assert result.units == {CASE.case_id: ((1000.0,), 3)}
    assert result.ref_ns == 50.0 and not result.errors


def test_a_failing_worker_names_its_last_stderr_line_after_much_chatter(tmp_path):
    timer = fake_worker(
        tmp_path,
        f"sys.stderr.write('y' * {CHATTER_BYTES} + '\\nValueError: the real reason\\n')\n"
        "sys.exit(3)\n",
    )
    with pytest.raises(RuntimeError, match="exited 3: ValueError: the real reason"):
        run_worker(timer, [CASE], SETTINGS, loops={}, seed=1, timeout_s=120)


def test_a_silent_hung_worker_is_killed_at_its_timeout(tmp_path):
    pid_file = tmp_path / "pid"
    timer = fake_worker(
        tmp_path,
        f"import os; open({str(pid_file)!r}, 'w').write(str(os.getpid()))\ntime.sleep(3600)\n",
    )
    with pytest.raises(RuntimeError, match="ran past 2 s"):
        run_worker(timer, [CASE], SETTINGS, loops={}, seed=1, timeout_s=2)
    pid = int(pid_file.read_text())
    assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()


def test_the_worker_order_is_the_seeded_shuffle_alone():
    """Each pass runs the cases in ``random.Random(seed)``'s shuffled order: nothing else draws
    from that generator (a removed experiment drew a random pad size per built call)."""
    cases = [Case(impl="scipy", dtype="float32", shape=(8 + k, 8), sigma=1.0) for k in range(6)]
    seen: list[str] = []
    seed = 12345
    result = run_worker(
        Timer(), cases, SETTINGS, loops={}, seed=seed, on_unit=seen.append, timeout_s=300
    )
    assert not result.errors
    rng = random.Random(seed)
    expected: list[str] = []
    for _ in range(SETTINGS.repeats):
        order = [c.case_id for c in cases]
        rng.shuffle(order)
        expected.extend(order)
    assert seen == expected
