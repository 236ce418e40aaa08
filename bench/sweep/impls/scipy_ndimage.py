"""``scipy.ndimage.gaussian_filter``: the subject of the benchmark.

The test-only hook ``GFBENCH_SCIPY_PATCH`` (``reference.patching``) applies here too, so that the
harness's own tests can plant a change (a memory growth, a slowdown) in a real sweep: every
process that prepares a SciPy call applies it once (``test_patch``), the recorded version says
``+patched:<spec>`` and a warning is printed, so a patched run never passes for the real SciPy.
"""

from __future__ import annotations

import functools
import inspect
import warnings

import numpy as np

from bench.exitcodes import UsageError
from bench.sweep.cases import Case
from bench.sweep.impls.base import Adapter, Call


@functools.cache
def test_patch() -> str | None:
    """Apply ``GFBENCH_SCIPY_PATCH`` once in this process; return its spec, or None if unset.

    Raises
    ------
    UsageError
        If the spec is malformed or names a function that cannot be imported.
    """
    from reference import patching  # the one module that reads the variable (and small)

    if patching.active_spec() is None:
        return None  # the usual case
    try:
        spec = patching.apply_from_environment()
    except Exception as exc:  # a bad spec or an unimportable module: the user's input
        raise UsageError(
            f"{patching.ENV_VAR}: cannot apply it ({type(exc).__name__}: {exc})"
        ) from None
    warnings.warn(
        f"scipy.ndimage patched by {patching.ENV_VAR}={spec}: these results describe that variant, "
        "not the installed SciPy",
        stacklevel=2,
    )
    return spec


class ScipyNdimage(Adapter):
    name = "scipy"
    module = "scipy.ndimage"
    distribution = "scipy"
    install_hint = "scipy"
    direct = True  # a direct convolution with SciPy's radius (bench.sweep.roofs)
    # gaussian_filter -> gaussian_filter1d per axis -> correlate1d -> the C core (SciPy 1.17)
    entry_symbols = ("NI_Correlate1D",)

    def version(self) -> str | None:
        found, spec = super().version(), test_patch()
        return f"{found}+patched:{spec}" if spec else found

    def _has_axes(self) -> bool:
        # Feature-gate by capability, not version string: axes= exists since SciPy 1.11.
        from scipy import ndimage

        return "axes" in inspect.signature(ndimage.gaussian_filter).parameters

    def check(self, case: Case) -> str | None:
        return None  # the subject does every case of the grid

    def prepare(self, case: Case, x: np.ndarray) -> Call:
        from scipy import ndimage

        test_patch()  # before the call looks up ndimage.gaussian_filter

        out = np.dtype(case.dtype_out)
        sigma = list(case.sigmas) if isinstance(case.sigma, tuple) else case.sigma
        kwargs = {"order": case.order, "mode": case.mode, "cval": case.cval}
        kwargs["truncate"] = case.truncate
        if case.axes is not None:
            if self._has_axes():
                kwargs["axes"] = case.axes
            else:  # before 1.11: sigma 0 on an axis leaves it untouched
                full = [0.0] * case.ndim
                for axis, s in zip(case.filtered_axes, case.sigmas, strict=True):
                    full[axis] = s
                sigma = full

        def call() -> np.ndarray:
            return ndimage.gaussian_filter(x, sigma, output=out, **kwargs)

        return call
