"""Write synthetic run folders that follow ROW_SCHEMA (run.json + cases.jsonl) for compare tests.

Timing is simulated the way the 2-core VMs behave (measured: the median of 7 swings up to 1.7x
between processes): every worker process gets its own multiplicative luck factor (log-normal,
``process_sd``), and the samples inside a process add small one-sided noise on top of it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

MODES = ("reflect", "constant", "nearest", "mirror", "wrap")


def case_params(n_cases: int) -> list[dict[str, Any]]:
    """``n_cases`` distinct cases over two families, two dtypes and a few modes/sigmas."""
    cases = []
    for i in range(n_cases):
        family = "2d" if i % 2 == 0 else "3d"
        shape = [128, 128] if family == "2d" else [32, 32, 32]
        dtype = "float64" if i % 4 < 2 else "uint8"
        sigma = [0.8, 1.5, 3.0, 5.0][(i // 4) % 4]
        mode = MODES[(i // 16) % len(MODES)]
        params = {
            "impl": "scipy",
            "dtype": dtype,
            "shape": shape,
            "sigma": sigma,
            "mode": mode,
            "truncate": 4.0,
            "order": 0,
            "cval": 0.0,
            "axes": None,
            "index": i,
        }
        params["case_id"] = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[
            :12
        ]
        params["family"] = family
        cases.append(params)
    return cases


def timing_fields(
    base_ns: float,
    rng: np.random.Generator,
    *,
    processes: int,
    per_process: int,
    process_sd: float,
    sample_sd: float = 0.03,
) -> dict[str, Any]:
    """Simulated timing columns of one row."""
    samples: list[int] = []
    for _ in range(processes):
        luck = float(np.exp(rng.normal(0.0, process_sd)))
        group = base_ns * luck * np.exp(np.abs(rng.normal(0.0, sample_sd, per_process)))
        group = [int(x) for x in group]
        samples.extend(group)
    arr = np.asarray(samples, dtype=float)
    q1, q3 = np.percentile(arr, [25, 75])
    fields = {
        "n_samples": len(samples),
        "loops": 1,
        "processes": processes,
        "samples_ns": samples,
        "min_ns": int(arr.min()),
        "median_ns": float(np.median(arr)),
        "mean_ns": float(arr.mean()),
        "stdev_ns": float(arr.std(ddof=1)) if len(arr) > 1 else 0.0,
        "iqr_ns": float(q3 - q1),
        "ci_low_ns": float(q1),
        "ci_high_ns": float(q3),
        "unstable": False,
        "unstable_reason": None,
    }
    return fields


def make_rows(
    cases: Sequence[dict[str, Any]],
    *,
    seed: int,
    slowdown: float = 1.0,
    slow_cases: Iterable[int] | None = None,
    processes: int = 5,
    per_process: int = 5,
    process_sd: float = 0.02,
    sample_sd: float = 0.03,
) -> list[dict[str, Any]]:
    """Rows for ``cases``; ``slowdown`` multiplies the time of ``slow_cases`` (default all)."""
    rng = np.random.default_rng(seed)
    slow = set(range(len(cases))) if slow_cases is None else set(slow_cases)
    rows = []
    for i, case in enumerate(cases):
        base = 2e6 * (1 + (i % 7)) * (slowdown if i in slow else 1.0)
        out_hash = hashlib.sha256(f"output-{case['case_id']}".encode()).hexdigest()
        integer = case["dtype"] == "uint8"
        row = {
            "case_id": case["case_id"],
            "impl": case["impl"],
            "dtype": case["dtype"],
            "dtype_in": case["dtype"],
            "dtype_out": case["dtype"],
            "shape": case["shape"],
            "ndim": len(case["shape"]),
            "npix": int(np.prod(case["shape"])),
            "channels": None,
            "sigma": case["sigma"],
            "mode": case["mode"],
            "truncate": case["truncate"],
            "order": case["order"],
            "cval": case["cval"],
            "radius": [int(4 * case["sigma"] + 0.5)],
            "axes": None,
            "family": case["family"],
            "status": "ok",
            "reason": None,
            "out_dtype": case["dtype"],
            "output_sha256": out_hash,
            "max_abs_error": 2.0 if integer else 1e-13,
            "rmse": 1.0 if integer else 1e-14,
            "bias": -1.0 if integer else 0.0,
            "max_ulp_error": None if integer else 4.0,
            "max_grey_levels": 2.0 if integer else None,
            "frac_correctly_rounded": 0.4 if integer else None,
            "matches_storage_model": True,
            "interior_max_abs_error": None,
            "border_max_abs_error": None,
            "approximate": False,
            "peak_mem_bytes": 1000,
            "gbytes_per_s": 1.0,
            "gflops_per_s": 1.0,
            "bound_fraction": 0.1,
            "host": "vm-1",
            "finished_at": "2026-01-01T00:00:00+00:00",
        }
        row.update(
            timing_fields(
                base,
                rng,
                processes=processes,
                per_process=per_process,
                process_sd=process_sd,
                sample_sd=sample_sd,
            )
        )
        rows.append(row)
    return rows


def write_run(
    folder: Path,
    rows: Sequence[dict[str, Any]],
    *,
    scipy: str = "1.17.1",
    numpy: str = "2.4.6",
    run_id: str | None = None,
    interleaved: bool = False,
) -> Path:
    """Write a complete run folder; returns it.

    ``interleaved``: mark it as timed by ``bench.guard.ab_session`` (with ``run_id`` shared by
    the runs of one session).
    """
    folder.mkdir(parents=True, exist_ok=True)
    meta = {
        "schema_version": 1,
        "run_id": run_id or folder.name,
        "grid": {"name": "synthetic", "cases": len(rows)},
        "started_at": "2026-01-01T00:00:00+00:00",
        "finished_at": "2026-01-01T00:01:00+00:00",
        "status": "complete",
        "gfbench_version": "0.1.0",
        "git_commit": None,
        "python": "3.11.7",
        "platform": "Linux-x86_64",
        "versions": {
            "numpy": numpy,
            "scipy": scipy,
            "opencv": None,
            "skimage": None,
            "pillow": None,
            "dask": None,
            "dask_image": None,
        },
        "cpu": {
            "model": "AMD EPYC (synthetic)",
            "flags": ["avx2"],
            "cores_logical": 2,
            "cores_physical": 1,
        },
        "threads": {"OMP_NUM_THREADS": "1"},
        "blas": [],
        "bandwidth_gbs": 14.0,
        "timing": {
            "min_sample_s": 0.01,
            "repeats": 5,
            "processes": 5,
            "warmup": 1,
            **({"interleaved": {"rounds": 5}} if interleaved else {}),
        },
        "host": "vm-1",
    }
    (folder / "run.json").write_text(json.dumps(meta, indent=1))
    with open(folder / "cases.jsonl", "w") as fh:
        for row in rows:
            fh.write(json.dumps(row) + "\n")
    return folder
