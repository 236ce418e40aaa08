"""The roofline's operation count fits the code, and no measured point sits above its roof."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from bench.report import frames, plots
from bench.store import load, load_run_meta
from bench.sweep import roofs, run_sweep

GRID = Path(__file__).parent / "data" / "roofline_grid.toml"


def symmetric_correlate(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, int]:
    """The symmetric direct convolution of SciPy's correlate1d, counting its operations."""
    r = len(w) // 2
    padded = np.pad(x, r, mode="edge")
    n = len(x)
    out = w[r] * padded[r : r + n]
    ops = n  # one multiply per element
    for k in range(1, r + 1):
        out = out + w[r + k] * (padded[r - k : r - k + n] + padded[r + k : r + k + n])
        ops += 3 * n  # an add of the pair, a multiply, an accumulate
    return out, ops


@pytest.mark.parametrize("sigma", [0.7, 2.0, 5.3])
def test_operation_count_is_what_a_symmetric_direct_convolution_does(sigma):
    x = np.random.default_rng(0).random(97)
    r = int(4 * sigma + 0.5)
    w = ndimage._filters._gaussian_kernel1d(sigma, 0, r)[::-1]
    out, ops = symmetric_correlate(x, w)
    assert np.allclose(out, ndimage.gaussian_filter1d(x, sigma, mode="nearest"), atol=1e-12)
    assert ops == roofs.operations((r,), x.size)


def test_lane_factors_follow_the_narrowest_type():
    assert roofs.lane_factor("float64", "float64") == 1
    assert roofs.lane_factor("float32", "float32") == 2
    assert roofs.lane_factor("int32", "int32") == 2
    for dtype in ("uint8", "uint16", "int16"):
        assert roofs.lane_factor(dtype, dtype) == 4
    assert roofs.lane_factor("uint8", "float64") == 4
    assert roofs.compute_roof(10.0, "uint8", "uint8", 2) == 80.0


def test_memory_roof_binds_only_past_the_last_level_cache():
    assert not roofs.memory_bound_applies(1e6, None)
    assert not roofs.memory_bound_applies(1e6, 32 * 2**20)
    assert roofs.memory_bound_applies(64 * 2**20, 32 * 2**20)


@pytest.mark.slow  # over 5 s on a quiet machine: the full suite runs it
def test_no_point_of_a_real_run_sits_above_its_roof(tmp_path):
    """A real sweep (integer and float paths, 1 and all threads, in and out of cache)."""
    result = run_sweep(grid=GRID, out=tmp_path, progress=False, min_sample_s=0.005, repeats=3)
    meta = load_run_meta(result.run_dir)
    assert meta["peak_gflops"] and meta["bandwidth_gbs"]
    frame = frames.prepare(load(result.run_dir))
    points = plots.roofline_points(frame, meta)
    assert len(points) >= 20 and points["roof_gops"].notna().all()
    assert set(points["lanes"]) == {1.0, 2.0, 4.0}
    above = points[points["gops"] > points["roof_gops"]]
    assert above.empty, above.to_string()
    # the sweep's own bound_fraction uses the same roofs: never above 1
    fractions = frame["bound_fraction"].dropna().astype(float)
    assert len(fractions) and (fractions <= 1.0).all(), fractions.max()
