"""Peak resident memory of ``gfbench bigarray`` against the array's size (issue 24, finding 9).

Runs ``gfbench bigarray`` in a child process and prints the child's peak RSS (``getrusage``,
RUSAGE_CHILDREN: the high-water mark of the largest child, in KiB on Linux) next to the array's
size, so the docs can say what the check costs in memory instead of "a few tiles per thread".

Usage:
    python scripts/measure_bigarray_rss.py --shape 8192 8192 --chunks 2048 2048 --mode reflect
    python scripts/measure_bigarray_rss.py                 # the default 16384^2 float32, 4096^2
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _header import load, print_header


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", type=int, nargs=2, default=[16384, 16384])
    parser.add_argument("--chunks", type=int, nargs=2, default=[4096, 4096])
    parser.add_argument("--mode", action="append", default=None)
    args = parser.parse_args()
    print_header()
    cmd = [sys.executable, "-m", "bench", "bigarray", "--shape", *map(str, args.shape),
           "--chunks", *map(str, args.chunks)]  # fmt: skip
    for mode in args.mode or ["reflect"]:
        cmd += ["--mode", mode]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    array = args.shape[0] * args.shape[1] * 4
    chunk = args.chunks[0] * args.chunks[1] * 4
    print(f"gfbench bigarray exit {proc.returncode} in {seconds:.0f} s (load after: {load()})")
    print(f"array {array / 2**30:.3f} GiB float32, chunk {chunk / 2**20:.0f} MiB: peak RSS "
          f"{peak_kib / 2**20:.2f} GiB = {peak_kib * 1024 / array:.2f}x the array, "
          f"{peak_kib * 1024 / chunk:.1f}x one chunk")  # fmt: skip
    return proc.returncode


if __name__ == "__main__":
    raise SystemExit(main())
