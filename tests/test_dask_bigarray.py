"""The chunked big-array subject (``bench.sweep.bigarray``, ``gfbench bigarray``) on arrays small
enough to also filter whole, so every verdict is checked against a direct full-array comparison."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("dask_image")

from conftest import run_gfbench
from scipy import ndimage

from bench.exitcodes import UsageError
from bench.sweep import bigarray
from bench.sweep.bigarray.block_check import tile_indices
from bench.sweep.cases import MODES

SPEC = bigarray.BigArraySpec(shape=(160, 130), chunks=(48, 40), sigma=2.3, cval=3.5)


@pytest.mark.parametrize("shape", [(64, 48), (7, 5), (3, 9), (100,), (12, 10, 6)])
def test_any_block_of_the_input_agrees_with_the_whole(shape):
    whole = bigarray.input_block(shape, [range(n) for n in shape], "float32")
    assert whole.shape == shape
    assert whole.min() >= 0 and whole.max() <= 255 and np.array_equal(whole, np.round(whole))
    rng = np.random.default_rng(7)
    index = [rng.integers(0, n, size=5) for n in shape]
    picked = bigarray.input_block(shape, index, "uint8")
    assert picked.dtype == np.uint8
    assert np.array_equal(picked, whole[np.ix_(*index)])
    # deterministic: a fresh call gives the same values
    assert np.array_equal(bigarray.input_block(shape, index, "uint8"), picked)


def test_the_input_has_noise_and_the_structured_bands():
    x = bigarray.input_block((64, 48), [range(64), range(48)], "uint8")
    assert np.array_equal(x[0], (np.arange(48) * 255 // 47).astype(np.uint8))  # ramp
    assert set(np.unique(x[4:8])) == {0, 255}  # step edge and checkerboard
    assert len(np.unique(x[32:])) > 100  # hash noise


@pytest.mark.parametrize("mode", MODES)
def test_scipy_on_overlapping_tiles_is_scipy_on_the_whole_array(mode):
    """The reference the check relies on: tile by tile, bit for bit the full-array result."""
    shape, r = SPEC.shape, SPEC.radius
    x = bigarray.input_block(shape, [range(n) for n in shape], "float32")
    whole = ndimage.gaussian_filter(x, SPEC.sigma, mode=mode, cval=SPEC.cval)
    for lo0, hi0 in [(0, 48), (48, 96), (144, 160)]:
        for lo1, hi1 in [(0, 40), (40, 80), (120, 130)]:
            idx0, cut0 = tile_indices(lo0, hi0, shape[0], r, mode)
            idx1, cut1 = tile_indices(lo1, hi1, shape[1], r, mode)
            region = bigarray.input_block(shape, [idx0, idx1], "float32")
            tile = ndimage.gaussian_filter(region, SPEC.sigma, mode=mode, cval=SPEC.cval)
            assert np.array_equal(tile[cut0, cut1], whole[lo0:hi0, lo1:hi1]), (lo0, lo1)


@pytest.fixture(scope="module")
def result() -> bigarray.BigArrayResult:
    return bigarray.check(SPEC, num_workers=2)


def test_each_mode_verdict_matches_a_direct_whole_array_comparison(result):
    import dask.array as da
    from dask_image.ndfilters import gaussian_filter

    x = bigarray.input_block(SPEC.shape, [range(n) for n in SPEC.shape], "float32")
    assert [m.mode for m in result.modes] == list(MODES)
    for verdict in result.modes:
        scipy_out = ndimage.gaussian_filter(x, SPEC.sigma, mode=verdict.mode, cval=SPEC.cval)
        chunked = gaussian_filter(
            da.from_array(x, chunks=SPEC.chunks), SPEC.sigma, mode=verdict.mode, cval=SPEC.cval
        ).compute(scheduler="synchronous")
        differs = chunked != scipy_out
        assert verdict.equals_scipy == (not differs.any()), verdict.mode
        assert verdict.n_diff_pixels == int(differs.sum())
        diff = np.abs(chunked.astype(np.float64) - scipy_out)
        assert verdict.max_abs_diff == pytest.approx(float(diff.max()), rel=0, abs=0)
        # accuracy against the oracle on the checked tiles: float32 on 0..255 data
        assert verdict.max_abs_error_vs_oracle is not None
        if verdict.equals_scipy:
            assert verdict.max_abs_error_vs_oracle < 1e-4


def test_only_the_wrap_modes_differ_and_only_near_the_array_edge(result):
    """What this dask-image does: each outer block wraps onto itself (boundary='none')."""
    differing = {m.mode for m in result.modes if not m.equals_scipy}
    assert differing == {"wrap", "grid-wrap"}
    for m in result.modes:
        if not m.equals_scipy:
            assert m.n_diff_interior == 0  # every differing pixel is within a radius of an edge
            nb0, nb1 = (-(-n // c) for n, c in zip(SPEC.shape, SPEC.chunks, strict=True))
            edge_tiles = {(i, j) for i in range(nb0) for j in range(nb1)} - {
                (i, j) for i in range(1, nb0 - 1) for j in range(1, nb1 - 1)
            }
            assert set(m.diff_tiles) == edge_tiles
            assert m.max_abs_error_vs_oracle > 1  # wrong by grey levels, not by rounding


def test_a_single_chunk_equals_scipy_in_every_mode():
    whole = bigarray.BigArraySpec(shape=(40, 36), chunks=(40, 36), oracle_tiles=1)
    assert all(m.equals_scipy for m in bigarray.check(whole).modes)


def test_write_and_load_round_trip(result, tmp_path):
    path = bigarray.write(result, tmp_path / "run")
    assert path == tmp_path / "run" / "bigarray.json"
    frame = bigarray.load(tmp_path / "run")
    assert list(frame["mode"]) == list(MODES)
    assert frame.set_index("mode").loc["wrap", "equals_scipy"].item() is False
    assert frame.attrs["bigarray"]["spec"]["shape"] == [160, 130]


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"chunks": (4, 4)}, "--chunks"),
        ({"chunks": (48, 40, 3)}, "--chunks"),
        ({"dtype": "float16"}, "--dtype"),
        ({"modes": ("reflect", "bogus")}, "--mode"),
        ({"sigma": 0.0}, "--sigma"),
        ({"shape": (0, 5)}, "--shape"),
        ({"oracle_tiles": -1}, "--oracle-tiles"),
    ],
)
def test_bad_specs_name_the_argument(kwargs, argument):
    fields = {"shape": SPEC.shape, "chunks": SPEC.chunks, **kwargs}
    with pytest.raises(UsageError, match=argument):
        bigarray.BigArraySpec(**fields)


def test_cli_writes_the_verdicts_and_rejects_bad_input(tmp_path):
    def gfbench(*args):
        return run_gfbench("bigarray", *args, cwd=tmp_path, timeout=120)

    proc = gfbench("--shape", "96", "80", "--chunks", "32", "--mode", "wrap", "--mode",
                   "reflect", "--out", "out.json", "--json")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    printed = json.loads(proc.stdout)
    written = json.loads((tmp_path / "out.json").read_text())
    assert printed["modes"] == written["modes"]
    verdicts = {m["mode"]: m["equals_scipy"] for m in written["modes"]}
    assert verdicts == {"wrap": False, "reflect": True}

    bad = gfbench("--mode", "sideways", "--out", "never.json")
    assert bad.returncode == 2
    assert "--mode" in bad.stderr and "reflect" in bad.stderr
    assert not (tmp_path / "never.json").exists()
