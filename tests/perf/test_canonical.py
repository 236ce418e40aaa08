"""Canonical ``scipy.ndimage.gaussian_filter`` cases as pytest-benchmark benchmarks.

For a CI that guards SciPy (or a library on top of it) against speed regressions with
nothing but pytest-benchmark. The file needs only numpy, scipy, pytest and
pytest-benchmark, so it can be copied into another repository as is, and it runs on every
SciPy from 1.10 (``radius=``) on; ``axes=`` (SciPy >= 1.11) is skipped where missing,
by capability, not by version string.

In your CI, first on the baseline (e.g. the main branch), then on the candidate::

    pytest tests/perf/test_canonical.py --benchmark-enable --benchmark-autosave
    pytest tests/perf/test_canonical.py --benchmark-enable \\
        --benchmark-compare --benchmark-compare-fail=min:10%

``--benchmark-compare`` picks the latest saved run in ``.benchmarks/`` (keep that folder in
the CI cache) and ``min:10%`` fails the job when a case's minimum time grows by more than
10%. The minimum is the statistic to gate on: on small shared VMs the median of a process
swings up to 1.7x between processes, while the minimum stays within about 5%. For a
statistical verdict across many cases, with false-discovery control and "inconclusive"
when the machine is too noisy, use ``gfbench sweep`` twice and ``gfbench compare``.

Every benchmark also checks a property of its output that any correct Gaussian blur has
(dtype, and values inside the input's range: the weights are positive and sum to one),
so a fast wrong answer cannot pass. gfbench's own CI runs them once with
``--benchmark-disable``.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from scipy import ndimage

ACCEPTS = set(inspect.signature(ndimage.gaussian_filter).parameters)


def pattern(shape: tuple[int, ...], dtype: str) -> np.ndarray:
    """Deterministic 0..255 values, exact in every dtype, identical on every numpy version."""
    n = int(np.prod(shape))
    values = (np.arange(n, dtype=np.uint64) * np.uint64(2654435761)) % np.uint64(251)
    return values.reshape(shape).astype(dtype)


# id -> (shape, dtype, sigma, keyword arguments, expected output dtype, required keyword)
CASES = {
    # why each is here: the dtypes users feed, the sizes that are overhead-, cache- and
    # memory-bound, a volume, a colour image, a wide kernel, and the newer keywords
    "2d-float64-512-s2": ((512, 512), "float64", 2.0, {}, "float64", None),
    "2d-float32-512-s2": ((512, 512), "float32", 2.0, {}, "float32", None),
    "2d-uint8-512-s2": ((512, 512), "uint8", 2.0, {}, "uint8", None),
    "2d-uint8-to-float32-512-s2": ((512, 512), "uint8", 2.0, {"output": np.float32},
                                   "float32", None),
    "2d-float64-64-s1": ((64, 64), "float64", 1.0, {}, "float64", None),
    "2d-float32-2048-s2": ((2048, 2048), "float32", 2.0, {}, "float32", None),
    "3d-float32-64-s1.5": ((64, 64, 64), "float32", 1.5, {}, "float32", None),
    "rgb-uint8-512-s2": ((512, 512, 3), "uint8", (2.0, 2.0, 0.0), {}, "uint8", None),
    "wide-float32-512-s12": ((512, 512), "float32", 12.0, {}, "float32", None),
    "2d-float64-512-constant": ((512, 512), "float64", 2.0, {"mode": "constant"}, "float64",
                                None),
    "2d-float64-512-radius3": ((512, 512), "float64", 2.0, {"radius": 3}, "float64", "radius"),
    "rgb-uint8-512-axes01": ((512, 512, 3), "uint8", 2.0, {"axes": (0, 1)}, "uint8", "axes"),
}  # fmt: skip


@pytest.mark.parametrize("case_id", list(CASES))
@pytest.mark.benchmark(group="canonical gaussian_filter")
def test_canonical(benchmark, case_id):
    shape, dtype, sigma, kwargs, out_dtype, requires = CASES[case_id]
    if requires is not None and requires not in ACCEPTS:
        pytest.skip(f"this SciPy has no {requires}= keyword")
    image = pattern(shape, dtype)
    result = benchmark(ndimage.gaussian_filter, image, sigma, **kwargs)
    assert result.dtype == np.dtype(out_dtype)
    assert result.shape == image.shape
    low = 0.0 if kwargs.get("mode") == "constant" else float(image.min())
    # a convex combination of the inputs; float32 rounding may step a hair outside
    slack = 1e-3 if result.dtype.kind == "f" else 0
    assert float(result.min()) >= low - slack
    assert float(result.max()) <= float(image.max()) + slack
