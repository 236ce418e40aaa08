"""Write small synthetic run folders (run.json + cases.jsonl, as ``bench.store`` says) for the
report tests.

The numbers are made up but shaped like the facts measured on this project's VMs (SciPy uint8 bias
about -1 grey level, float32 errors about 1e-5, OpenCV float32 several times faster), so every
table, plot and recommendation of the report has something to show. Tests then check that
the report says what these rows say.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

IMPLS = ("scipy", "opencv-1t", "pillow", "fft")
DTYPES = ("float64", "float32", "uint8")
SHAPES = ((64, 64), (256, 256))
SIGMAS = (1.0, 2.5)
MODES = ("reflect", "constant")

# ns per pixel per kernel tap, per (impl, dtype): SciPy float32 barely beats float64.
COST = {
    ("scipy", "float64"): 1.00,
    ("scipy", "float32"): 0.85,
    ("scipy", "uint8"): 0.90,
    ("opencv-1t", "float64"): 0.50,
    ("opencv-1t", "float32"): 0.15,
    ("opencv-1t", "uint8"): 0.08,
    ("pillow", "uint8"): 0.05,
    ("fft", "float64"): 3.00,
    ("skimage", "uint8"): 0.02,
}
# (max_abs_error, bias, max_grey_levels, frac_correctly_rounded) per (impl, dtype)
ERRORS = {
    ("scipy", "float64"): (4e-14, 1e-16, None, None),
    ("scipy", "float32"): (1.5e-5, 2e-8, None, None),
    ("scipy", "uint8"): (1.9, -1.0, 2, 0.31),
    ("opencv-1t", "float64"): (6e-14, -1e-16, None, None),
    ("opencv-1t", "float32"): (3.1e-5, 1e-8, None, None),
    ("opencv-1t", "uint8"): (0.55, 0.01, 1, 0.97),
    ("pillow", "uint8"): (4.6, 0.2, 5, 0.4),
    ("fft", "float64"): (2e-12, 1e-15, None, None),
    # scikit-image returns float64 for uint8 input: exact, fast here, but not a uint8 output
    ("skimage", "uint8"): (1e-13, 1e-15, None, None),
}
OUT_DTYPE = {("skimage", "uint8"): "float64"}


def run_meta(run_id: str = "20261127T090000Z-test", **overrides: Any) -> dict[str, Any]:
    """A complete run.json, the store contract's fields only."""
    meta = {
        "schema_version": 1,
        "run_id": run_id,
        "grid": {"name": "test", "impl": list(IMPLS), "dtype": list(DTYPES), "sigma": list(SIGMAS)},
        "started_at": "2026-11-27T09:00:00Z",
        "finished_at": "2026-11-27T09:01:00Z",
        "status": "complete",
        "gfbench_version": "0.1.0",
        "git_commit": "0123456789abcdef",
        "python": "3.11.2",
        "platform": "Linux-x86_64",
        "versions": {
            "numpy": "2.4.0",
            "scipy": "1.17.1",
            "opencv": "5.0.0",
            "skimage": "0.26.0",
            "pillow": "13.0.0",
            "dask": None,
            "dask_image": None,
        },
        "cpu": {
            "model": "AMD EPYC (test)",
            "flags": ["sse4_2", "avx", "avx2", "fma"],
            "cores_logical": 2,
            "cores_physical": 1,
        },
        "threads": {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"},
        "blas": [{"internal_api": "openblas", "version": "0.3.27", "num_threads": 1}],
        "bandwidth_gbs": 14.0,
        "timing": {"min_sample_s": 0.01, "repeats": 5, "processes": 2, "warmup": 1},
        "host": "testhost",
    }
    meta.update(overrides)
    return meta


def _case_id(params: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:12]


def make_row(
    impl: str,
    dtype: str,
    shape: Sequence[int],
    sigma: float,
    mode: str | None,
    *,
    seed: int = 0,
    status: str = "ok",
    reason: str | None = None,
    order: int | list[int] = 0,
) -> dict[str, Any]:
    """One Row as a flat dict with every field of ``bench.store.Row``."""
    rng = np.random.default_rng(seed)
    npix = int(np.prod(shape))
    radius = int(4.0 * sigma + 0.5)
    params = {
        "impl": impl,
        "dtype": dtype,
        "shape": list(shape),
        "sigma": sigma,
        "mode": mode,
        "truncate": 4.0,
        "order": order,
        "cval": 0.0,
    }
    row: dict[str, Any] = {
        "case_id": _case_id(params),
        **params,
        "dtype_in": dtype.split("->")[0],
        "dtype_out": dtype.split("->")[-1],
        "ndim": len(shape),
        "npix": npix,
        "channels": None,
        "radius": [radius] * len(shape),
        "axes": None,
        "family": "2d",
        "status": status,
        "reason": reason,
        "out_dtype": OUT_DTYPE.get((impl, dtype), dtype.split("->")[-1])
        if status == "ok"
        else None,
        "output_sha256": hashlib.sha256(repr(params).encode()).hexdigest()
        if status == "ok"
        else None,
        "host": "testhost",
        "finished_at": "2026-11-27T09:00:30Z",
    }
    timing_keys = (
        "n_samples",
        "loops",
        "processes",
        "samples_ns",
        "min_ns",
        "median_ns",
        "mean_ns",
        "stdev_ns",
        "iqr_ns",
        "ci_low_ns",
        "ci_high_ns",
        "unstable",
        "unstable_reason",
    )
    accuracy_keys = (
        "max_abs_error",
        "rmse",
        "bias",
        "max_ulp_error",
        "max_grey_levels",
        "frac_correctly_rounded",
        "matches_storage_model",
        "interior_max_abs_error",
        "border_max_abs_error",
        "approximate",
        "peak_mem_bytes",
        "gbytes_per_s",
        "gflops_per_s",
        "bound_fraction",
    )
    if status != "ok":
        row.update(dict.fromkeys(timing_keys + accuracy_keys))
        return row
    base = npix * (2 * radius + 1) * 2 * COST.get((impl, dtype), 1.0)
    samples = [int(base * (1 + abs(rng.normal(0, 0.02)))) for _ in range(6)]
    arr = np.asarray(samples, dtype=float)
    q1, q3 = np.percentile(arr, [25, 75])
    median = float(np.median(arr))
    itemsize = {"float64": 8, "float32": 4, "uint8": 1}[dtype]
    gbytes = 2 * npix * itemsize / median
    gflops = 2 * 2 * (2 * radius + 1) * npix / median
    max_abs, bias, grey, frac = ERRORS.get((impl, dtype), ERRORS[("scipy", dtype)])
    scale = 1 + 0.1 * rng.random()
    row.update(
        {
            "n_samples": len(samples),
            "loops": 1,
            "processes": 2,
            "samples_ns": samples,
            "min_ns": int(arr.min()),
            "median_ns": median,
            "mean_ns": float(arr.mean()),
            "stdev_ns": float(arr.std(ddof=1)),
            "iqr_ns": float(q3 - q1),
            "ci_low_ns": float(q1),
            "ci_high_ns": float(q3),
            "unstable": False,
            "unstable_reason": None,
            "max_abs_error": max_abs * scale,
            "rmse": max_abs * scale / 3,
            "bias": bias * scale,
            "max_ulp_error": None if grey is not None else float(rng.integers(1, 4)),
            "max_grey_levels": grey,
            "frac_correctly_rounded": frac,
            "matches_storage_model": True if impl == "scipy" and dtype != "float64" else None,
            "interior_max_abs_error": max_abs * scale * 0.5,
            "border_max_abs_error": max_abs * scale * (3.0 if impl == "pillow" else 1.0),
            "approximate": impl == "pillow",
            "peak_mem_bytes": npix * itemsize * 2,
            "gbytes_per_s": gbytes,
            "gflops_per_s": gflops,
            "bound_fraction": (2 * npix * itemsize / 14.0) / median,
        }
    )
    return row


def make_rows() -> list[dict[str, Any]]:
    """The default synthetic run: every impl/dtype it supports, 2 sizes, 2 sigmas, 2 modes,
    plus one row of each non-ok status and one unstable row."""
    rows = []
    seed = 0
    for impl, dtype in COST:
        for shape in SHAPES:
            for sigma in SIGMAS:
                for mode in (None,) if impl == "pillow" else MODES:
                    seed += 1
                    rows.append(make_row(impl, dtype, shape, sigma, mode, seed=seed))
    rows[3]["unstable"] = True
    rows[3]["unstable_reason"] = "IQR is 31% of the median"
    # derivatives of a uint8 image wrap around: hundreds of grey levels off
    for order, grey in (([0, 1], 250.0), ([0, 2], 230.0)):
        row = make_row("scipy", "uint8", (64, 64), 2.5, "reflect", seed=order[1], order=order)
        row.update(max_abs_error=grey, max_grey_levels=grey, bias=40.0, matches_storage_model=True)
        rows.append(row)
    rows.append(
        make_row(
            "pillow",
            "float64",
            (64, 64),
            1.0,
            None,
            status="unsupported",
            reason="Pillow filters uint8 images only",
        )
    )
    rows.append(make_row("dask-image", "float64", (64, 64), 1.0, "reflect", status="unavailable"))
    rows.append(
        make_row("fft", "float64", (64, 64), 1.0, "wrap", status="error", reason="ValueError: boom")
    )
    return rows


def write_run(
    folder: Path, rows: Iterable[dict[str, Any]] | None = None, meta: dict[str, Any] | None = None
) -> Path:
    """Write ``folder/run.json`` and ``folder/cases.jsonl``; return ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    meta = run_meta() if meta is None else meta
    (folder / "run.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    with (folder / "cases.jsonl").open("w", encoding="utf-8") as handle:
        for row in make_rows() if rows is None else rows:
            handle.write(json.dumps(row) + "\n")
    return folder
