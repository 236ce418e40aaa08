"""The machine: environment metadata, pinned thread settings and the roofline probes.

``environment()`` gathers what ``run.json`` records (versions, CPU model and flags, cores,
thread variables, BLAS via threadpoolctl, git commit, host). ``measure_bandwidth()`` times a
large ``numpy.copyto`` once per run: the memory bound a filter cannot beat.
``measure_peak_gflops()`` times a float64 matrix product: the compute bound.
"""

from __future__ import annotations

import contextlib
import os
import platform
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

#: Thread-count variables of the common runtimes. Pinned (default 1) so a BLAS or OpenMP pool
#: cannot compete with the measured call for the 2 cores; recorded in run.json.
THREAD_ENV_VARS: tuple[str, ...] = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


@contextlib.contextmanager
def priority(nice: int | None) -> Iterator[int]:
    """Run the ``with`` block at scheduling priority ``nice`` (-20 highest .. 19 lowest).

    On a machine shared with other jobs a negative value makes the kernel's fair scheduler
    give the timed process most of a core when it competes (weight ~88x at -20), which is what
    timings on a busy 2-core VM need. Lowering ``nice`` needs root or CAP_SYS_NICE. Worker
    processes and threads started inside the block inherit it; the old value is restored.
    ``None`` leaves the priority alone. Yields the priority in effect.
    """
    old = os.getpriority(os.PRIO_PROCESS, 0)
    if nice is None or nice == old:
        yield old
        return
    from bench.exitcodes import UsageError

    if not -20 <= nice <= 19:
        raise UsageError(f"--nice: got {nice}; allowed: -20 (highest priority) .. 19")
    try:
        os.setpriority(os.PRIO_PROCESS, 0, nice)
    except PermissionError:
        raise UsageError(
            f"--nice {nice}: raising the priority needs root or CAP_SYS_NICE; "
            f"allowed here: {old} .. 19"
        ) from None
    try:
        yield nice
    finally:
        with contextlib.suppress(PermissionError):  # going back up may need the same right
            os.setpriority(os.PRIO_PROCESS, 0, old)


@contextlib.contextmanager
def pinned_threads(
    value: str = "1", *, exact: Mapping[str, str | None] | None = None
) -> Iterator[dict[str, str]]:
    """Set every thread variable the user has not set to ``value``, for the ``with`` block.

    Worker processes inherit them. Libraries already loaded in this process are limited with
    threadpoolctl as well (environment variables are read only at load time). Everything is
    restored on exit, so calling the sweep from Python leaves the caller's process as it was.
    ``exact`` (a resumed run's recorded values) overrides both the environment and ``value``.
    """
    saved = {var: os.environ.get(var) for var in THREAD_ENV_VARS}
    pinned = {}
    for var in THREAD_ENV_VARS:
        if exact is not None and exact.get(var) is not None:
            os.environ[var] = str(exact[var])
        os.environ.setdefault(var, value)
        pinned[var] = os.environ[var]
    limiter = None
    try:
        from threadpoolctl import threadpool_limits

        limiter = threadpool_limits(int(pinned["OMP_NUM_THREADS"]))
    except (ImportError, ValueError):  # not an int: leave the pools alone
        limiter = None
    try:
        yield pinned
    finally:
        if limiter is not None:
            limiter.restore_original_limits()
        for var, old in saved.items():
            if old is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = old


def _cpu_info() -> dict[str, Any]:
    model, flags = platform.processor() or None, []
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            key, _, value = line.partition(":")
            key = key.strip()
            if key == "model name" and model in (None, "", platform.machine()):
                model = value.strip()
            elif key == "flags" and not flags:
                flags = value.split()
    try:
        import psutil

        physical = psutil.cpu_count(logical=False)
    except ImportError:  # pragma: no cover
        physical = None
    return {
        "model": model,
        "flags": flags,
        "cores_logical": os.cpu_count(),
        "cores_physical": physical,
        "llc_bytes": _llc_bytes(),
        "governor": _read_first("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"),
        "boost": _read_first("/sys/devices/system/cpu/cpufreq/boost"),
    }


def _llc_bytes() -> int | None:
    from bench.sweep.roofs import llc_bytes

    return llc_bytes()


def _read_first(path: str) -> str | None:
    """First line of a sysfs file, or None (VMs often expose no cpufreq at all)."""
    try:
        return Path(path).read_text().strip() or None
    except OSError:
        return None


def busy_warning(threshold: float = 0.5) -> str | None:
    """A warning when other processes already load the machine (pyperf checks the system too).

    Load average over the last minute above ``threshold`` x cores means the timings will be
    shared with other work: minima stay usable, medians and the repeatability target do not.
    """
    if not hasattr(os, "getloadavg"):
        return None
    load = os.getloadavg()[0]
    cores = os.cpu_count() or 1
    if load <= threshold * cores:
        return None
    return (
        f"the machine is busy (load average {load:.1f} on {cores} cores): timings will be "
        "noisy; compare min_ns, use --processes N, or rerun on a quiet machine"
    )


def git_commit() -> str | None:
    """HEAD of the git checkout holding this package (with "-dirty" if modified), or None."""
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("-dirty" if dirty else "")


def _version(module: str) -> str | None:
    import importlib
    import importlib.metadata

    try:
        found = getattr(importlib.import_module(module), "__version__", None)
    except (ImportError, OSError):  # OSError: pyvips without its libvips shared library
        return None
    if found is None:  # dask_image has no __version__; its distribution metadata does
        try:
            found = importlib.metadata.version(module.replace("_", "-"))
        except importlib.metadata.PackageNotFoundError:
            return None
    return str(found)


def _libvips_version() -> str | None:
    """The libvips library pyvips loaded (pyvips-binary's or the system's), or ``None``."""
    try:
        import pyvips
    except (ImportError, OSError):
        return None
    return ".".join(str(pyvips.version(i)) for i in range(3))


def environment() -> dict[str, Any]:
    """Environment metadata for ``run.json`` (the store contract in ``bench.store``)."""
    from bench import __version__

    try:
        from threadpoolctl import threadpool_info

        blas = threadpool_info()
    except ImportError:  # pragma: no cover
        blas = []
    return {
        "gfbench_version": __version__,
        "git_commit": git_commit(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "host": socket.gethostname(),
        "versions": {
            "numpy": np.__version__,
            "scipy": _version("scipy"),
            "opencv": _version("cv2"),
            "skimage": _version("skimage"),
            "pillow": _version("PIL"),
            "dask": _version("dask"),
            "dask_image": _version("dask_image"),
            "pyvips": _version("pyvips"),
            "libvips": _libvips_version(),
            "SimpleITK": _version("SimpleITK"),
            "diplib": _version("diplib"),
            "mahotas": _version("mahotas"),
        },
        "cpu": _cpu_info(),
        "threads": {var: os.environ.get(var) for var in THREAD_ENV_VARS},
        "blas": blas,
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def measure_bandwidth(nbytes: int = 64 * 2**20, repeats: int = 5) -> float:
    """Copy bandwidth in GB/s (bytes read + bytes written per second), best of ``repeats``.

    64 MiB per array is well past the last-level cache, so this is the DRAM bound.
    """
    src = np.ones(nbytes // 8)
    dst = np.empty_like(src)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - t0)
    return 2 * src.nbytes / best / 1e9


def measure_peak_gflops(n: int = 768, repeats: int = 3) -> float:
    """float64 GFLOP/s of a matrix product (2 n^3 flops), best of ``repeats``.

    BLAS runs with the pinned thread count, so this is the compute bound of one thread when
    the variables are pinned to 1: the bound of a single-threaded filter.
    """
    a = np.random.default_rng(0).random((n, n))
    b = a.T.copy()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best / 1e9
