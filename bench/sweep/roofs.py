"""The roofline's operation count and roofs, shared by the sweep (``bound_fraction``) and the
report's roofline plot, so that no measured point can sit above its roof.

The operation count of a direct separable convolution (3r + 1 per element and axis), the
compute roof (``peak_gflops`` x the lane factor of the narrowest type x threads) and the memory
roof (DRAM bandwidth, for cases larger than the last-level cache).

Why: docs/report.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def operations(radii: tuple[int, ...], npix: int) -> int:
    """Operations of a direct separable symmetric convolution: 3r + 1 per element per axis."""
    return int(npix * sum(3 * int(r) + 1 for r in radii))


def lane_factor(dtype_in: str, dtype_out: str) -> float:
    """How many more operations per cycle than float64 the narrowest type allows (1, 2 or 4)."""
    narrowest = min(np.dtype(dtype_in).itemsize, np.dtype(dtype_out).itemsize)
    return 8.0 / max(2, min(8, narrowest))


def compute_roof(peak_gflops: float, dtype_in: str, dtype_out: str, threads: int | None) -> float:
    """GOP/s no direct method on these types and threads can exceed."""
    return float(peak_gflops) * lane_factor(dtype_in, dtype_out) * max(1, int(threads or 1))


def memory_bound_applies(bytes_moved: float, llc_bytes: int | None) -> bool:
    """Whether the DRAM bandwidth bounds a case: its bytes exceed the last-level cache."""
    return llc_bytes is not None and llc_bytes > 0 and bytes_moved > llc_bytes


def llc_bytes() -> int | None:
    """Size of the largest CPU cache (sysfs), or ``None`` where the system does not say."""
    sizes = []
    for path in Path("/sys/devices/system/cpu/cpu0/cache").glob("index*/size"):
        text = path.read_text().strip().upper()
        scale = {"K": 2**10, "M": 2**20, "G": 2**30}.get(text[-1:], 1)
        digits = text.rstrip("KMG")
        if digits.isdigit():
            sizes.append(int(digits) * scale)
    return max(sizes) if sizes else None


def time_bound(
    *,
    ops: int,
    bytes_moved: int,
    direct: bool,
    dtype_in: str,
    dtype_out: str,
    threads: int | None,
    bandwidth_gbs: float | None,
    peak_gflops: float | None,
    llc: int | None,
) -> float | None:
    """The least time the case can take by the roofs that apply to it (seconds), or ``None``."""
    bounds = []
    if direct and peak_gflops:
        bounds.append(ops / (compute_roof(peak_gflops, dtype_in, dtype_out, threads) * 1e9))
    if bandwidth_gbs and memory_bound_applies(bytes_moved, llc):
        bounds.append(bytes_moved / (bandwidth_gbs * 1e9))
    return max(bounds) if bounds else None
