"""Native peak memory of one call: how far the process's resident high-water mark rises.

tracemalloc (``peak_mem_bytes``) sees only allocations made through Python's allocators; the C and
C++ scratch buffers of SciPy, OpenCV or pyvips are invisible to it. The kernel sees every page
that is touched, so this module measures on Linux::

    malloc_trim(0)                      # give the pages of freed blocks back to the kernel
    echo 5 > /proc/self/clear_refs      # reset VmHWM to the current VmRSS
    before = VmRSS; call(); growth = VmHWM - before

Why the allocator matters, what it sees and cannot, why not memray: docs/compare.md.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

#: glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: glibc's default (and smallest dynamic) mmap threshold; also used for the trim threshold
MMAP_THRESHOLD_BYTES = 128 * 1024
_STATUS = "/proc/self/status"
_CLEAR_REFS = "/proc/self/clear_refs"

_fixed = False
#: set by the processes gfbench owns (``bench.cli.entry``, a dask worker): only they may call
#: ``use_fixed_mmap_threshold``; a library call (``run_sweep`` from a notebook, pytest) may not
_owned = False


@functools.lru_cache(maxsize=1)
def _libc() -> Any:
    """glibc, or None (musl and others have no malloc_trim)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.gnu_get_libc_version.restype = ctypes.c_char_p
        libc.gnu_get_libc_version()
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    except (OSError, AttributeError):
        return None
    return libc


def _status_bytes() -> dict[str, int]:
    """VmRSS and VmHWM of this process, in bytes."""
    found = {}
    with open(_STATUS, encoding="ascii") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":", 1)
                number, unit = value.split()
                if unit != "kB":
                    raise OSError(f"{_STATUS}: unexpected unit {unit!r} for {key}")
                found[key] = int(number) * 1024
    if len(found) != 2:
        raise OSError(f"{_STATUS} has no VmRSS/VmHWM lines")
    return found


def _reset_high_water() -> None:
    # "5" resets the peak resident set size to the current one (Linux >= 4.0, proc(5))
    with open(_CLEAR_REFS, "w", encoding="ascii") as clear_refs:
        clear_refs.write("5")


@functools.lru_cache(maxsize=1)
def unsupported_reason() -> str | None:
    """Why ``measure`` cannot work in this process, or None when it can."""
    if not sys.platform.startswith("linux"):
        return f"peak RSS needs Linux's /proc (this is {sys.platform})"
    try:
        _status_bytes()
    except OSError as exc:
        return f"peak RSS: cannot read {_STATUS}: {exc}"
    try:
        _reset_high_water()
    except OSError as exc:
        return f"peak RSS: cannot reset the high-water mark ({_CLEAR_REFS}: {exc})"
    if _libc() is None:
        # without malloc_trim freed memory stays resident and a repeated call reads ~0
        return "peak RSS: needs glibc's malloc_trim to return freed memory between calls"
    return None


def use_fixed_mmap_threshold() -> bool:
    """Fix glibc's mmap and trim thresholds at 128 KiB in this process (once; irreversible).

    Every block >= 128 KiB is then mmapped and unmapped at free, in every thread, so a pool
    thread's reused blocks are counted too. It makes later calls pay their page faults again
    (measured: 2.5x slower at 128x128), so call it only in a process that times nothing.
    Returns True when the thresholds are fixed.
    """
    global _fixed
    libc = _libc()
    if libc is None:
        return False
    if not _fixed:
        ok = libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
        ok = libc.mallopt(_M_TRIM_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1 and ok
        _fixed = ok
    return _fixed


def own_this_process() -> None:
    """Declare this process gfbench's own: cases run here may fix the malloc thresholds.

    Called by the ``gfbench`` command's entry point and by dask workers, never on import, so a
    caller's own process (``run_sweep`` in a notebook, pytest) keeps its allocator untouched.
    """
    global _owned
    _owned = True


def may_fix_mmap_threshold() -> bool:
    """Whether this process is gfbench's own (``own_this_process``)."""
    return _owned


def fixed_mmap_threshold() -> bool:
    """Whether ``use_fixed_mmap_threshold`` is in effect in this process."""
    return _fixed


def resolution_bytes() -> int:
    """How far a growth may be off: two readings of the kernel's per-CPU-batched RSS counter.

    Each reading may miss up to CPUs x batch pages, the batch being the kernel's
    ``percpu_counter_batch``, max(32, 2 x CPUs) pages: 512 KiB on 2 CPUs.
    """
    cpus = os.cpu_count() or 1
    return 2 * cpus * max(32, 2 * cpus) * os.sysconf("SC_PAGE_SIZE")


def measure(call: Callable[[], T]) -> tuple[T, int | None]:
    """Call once; return its result and the growth of resident memory's high-water mark.

    The growth is None where ``unsupported_reason()`` says why. The cyclic garbage collector
    is paused during the call, so that freeing unrelated garbage cannot hide its pages.
    """
    if unsupported_reason() is not None:
        return call(), None
    _libc().malloc_trim(0)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        _reset_high_water()
        before = _status_bytes()["VmRSS"]
        result = call()
        peak = _status_bytes()["VmHWM"]
    finally:
        if was_enabled:
            gc.enable()
    return result, max(peak - before, 0)


def describe(*, fixed: bool) -> dict[str, Any]:
    """What run.json records about the method; ``fixed``: the thresholds are fixed where the
    cases run (``use_fixed_mmap_threshold``)."""
    return {
        "method": (
            "growth of the process's resident high-water mark (VmHWM - VmRSS, after resetting "
            "it through /proc/self/clear_refs) over one call, after malloc_trim(0): every touched "
            "page, native buffers included; untouched pages are not seen"
        ),
        "allocator": (
            "glibc mmap/trim thresholds fixed at 128 KiB (this process times nothing): blocks "
            "freed by any thread are returned at once"
            if fixed
            else "glibc's default (dynamic) thresholds: blocks a pool thread frees and reuses "
            "inside one call may be undercounted"
        ),
        "fixed_mmap_threshold": fixed,
        "resolution_bytes": resolution_bytes(),
        "unsupported": unsupported_reason(),
    }
