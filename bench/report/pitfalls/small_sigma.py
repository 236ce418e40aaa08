"""Pitfall 9: at small sigma the sampled kernel is not the Gaussian asked for."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import ndimage, optimize

from bench.report.pitfalls.base import Pitfall, run_sigmas, run_snippet
from bench.report.pitfalls.radius_rule import scipy_taps
from bench.report.tables import to_table

SMALL_SIGMA = """
import numpy as np
from scipy import ndimage

sigma = {sigma}
impulse = np.zeros(21)
impulse[10] = 1.0
kernel = ndimage.gaussian_filter1d(impulse, sigma, mode="constant")
offsets = np.arange(-10, 11)
actual = np.sqrt(np.sum(kernel * offsets**2))
print(f"asked for sigma {{sigma}}, the kernel's standard deviation is {{actual:.4f}}")
"""

SMALL_SIGMAS = (0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.5)


def kernel_std(sigma: float, truncate: float = 4.0) -> float:
    """The standard deviation of SciPy's sampled, normalised kernel (its impulse response)."""
    half = int(truncate * sigma + 0.5) + 2
    impulse = np.zeros(2 * half + 1)
    impulse[half] = 1.0
    kernel = ndimage.gaussian_filter1d(impulse, sigma, mode="constant", truncate=truncate)
    offsets = np.arange(-half, half + 1)
    return float(np.sqrt(np.sum(kernel * offsets**2)))


def sigma_for_std(target: float) -> float:
    """The sigma to ask SciPy for so that its sampled kernel has standard deviation ``target``."""
    return float(
        optimize.brentq(lambda s: kernel_std(s) - target, 0.2 * target, 3 * target, xtol=1e-6)
    )


def small_sigma(frame: pd.DataFrame) -> Pitfall:
    """At small sigma the sampled kernel is narrower than the Gaussian asked for."""
    run_small = [s for s in run_sigmas(frame, ()) if s < 1.5]
    sigmas = sorted(set(SMALL_SIGMAS) | set(run_small))
    records = []
    for s in sigmas:
        actual = kernel_std(s)
        records.append(
            {
                "sigma asked": s,
                "in this run": s in run_small,
                "kernel taps": scipy_taps(s),
                "actual std": actual,
                "actual / asked": actual / s,
            }
        )
    table = pd.DataFrame(records)
    smallest = float(table["sigma asked"].min())
    ns, code = run_snippet(SMALL_SIGMA.format(sigma=smallest))
    actual = float(ns["actual"])
    target = 0.5
    needed = sigma_for_std(target)
    return Pitfall(
        "At small sigma the kernel is not the Gaussian asked for",
        code,
        f"SciPy samples the Gaussian at integer offsets and normalises it; at sigma {smallest:g} "
        f"the kernel has {scipy_taps(smallest)} taps and a standard deviation of {actual:.4f} "
        f"({100 * actual / smallest:.0f}% of the request). The table gives the ratio for a few "
        f"small sigmas and for every sigma below 1.5 in this run.",
        f"treat sigma below about 1 as a nominal value; if the width matters, ask for the sigma "
        f"whose sampled kernel has the width you want: for a standard deviation of {target:g}, "
        f"ask for sigma={needed:.4f} (solved at render time).",
        tables=(to_table(table, "Sampled kernel width at small sigma (truncate 4)"),),
        numbers={
            "table": table,
            "smallest": smallest,
            "actual": actual,
            "needed": needed,
            "target": target,
        },
    )
