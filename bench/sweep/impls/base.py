"""What every implementation adapter provides, plus helpers several adapters share.

An adapter turns a ``Case`` and its input array into a zero-argument callable that runs the
filter once and returns the output array. It also declares what it can do: ``supports(case)``
returns ``None`` or the reason it cannot, which becomes an ``unsupported`` row.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from collections.abc import Callable

import numpy as np

from bench import oracle
from bench.sweep.cases import MODE_CANONICAL, Case

Call = Callable[[], np.ndarray]

#: SciPy mode -> numpy.pad mode with the same extension (SciPy's names differ from NumPy's:
#: SciPy "reflect" repeats the edge sample, which NumPy calls "symmetric").
NP_PAD_MODE: dict[str, str] = {
    "reflect": "symmetric",
    "mirror": "reflect",
    "nearest": "edge",
    "wrap": "wrap",
    "constant": "constant",
}


def canonical_mode(mode: str) -> str:
    """``grid-mirror`` -> ``reflect`` etc.: the filter-equivalent base mode."""
    return MODE_CANONICAL.get(mode, mode)


def pad_for(case: Case, x: np.ndarray) -> np.ndarray:
    """Pad the filtered axes of ``x`` by the kernel radius the way ``case.mode`` extends it."""
    widths = [(0, 0)] * x.ndim
    for axis, r in zip(case.filtered_axes, case.radii, strict=True):
        widths[axis] = (r, r)
    mode = NP_PAD_MODE[canonical_mode(case.mode)]
    if mode == "constant":
        return np.pad(x, widths, mode="constant", constant_values=case.cval)
    return np.pad(x, widths, mode=mode)


def scipy_kernel1d(sigma: float, order: int, radius: int) -> np.ndarray:
    """SciPy's 1-D Gaussian (derivative) weights, convolution orientation.

    ``bench.oracle.scipy_kernel`` replays ``scipy.ndimage._filters._gaussian_kernel1d`` (a
    private function, so it is not imported). A peer given these weights uses exactly SciPy's
    kernel.
    """
    return oracle.scipy_kernel(float(sigma), int(order), int(radius))


def cast_output(y: np.ndarray, dtype: str) -> np.ndarray:
    """Float result -> ``dtype`` as a user would: round to nearest and clip for integers."""
    dt = np.dtype(dtype)
    if dt.kind in "ui":
        info = np.iinfo(dt)
        return np.clip(np.rint(y), info.min, info.max).astype(dt)
    return y.astype(dt, copy=False)


class Adapter:
    """Base class of the implementation adapters.

    Subclasses set ``name``, ``module`` (the import needed), ``distribution`` (for the version
    string), and override ``check(case)`` and ``prepare(case, x)``.
    """

    name: str = ""
    module: str = ""
    distribution: str = ""
    install_hint: str = ""
    approximate: bool = False
    #: True for a direct convolution with SciPy's radius: the roofline's operation count
    #: (``bench.sweep.roofs``) is a lower bound of its work. False for FFT, recursive, box-blur and
    #: shortened kernels, which do less and so are not held to the compute roof.
    direct: bool = False
    #: callgrind ``--toggle-collect`` patterns of the native function(s) that do the filtering
    #: (``gfbench sweep --metric instructions``, ``bench.sweep.instructions``). They must not
    #: nest or recurse: callgrind flips collection on every entry. Empty when the work has no
    #: such symbol; ``no_entry_symbols`` then says why.
    entry_symbols: tuple[str, ...] = ()
    no_entry_symbols: str = ""

    def available(self) -> str | None:
        """``None`` when the package imports, else why not (-> ``unavailable`` rows)."""
        try:
            importlib.import_module(self.module)
        except ImportError as exc:
            hint = f" (pip install {self.install_hint})" if self.install_hint else ""
            return f"{self.module} is not importable: {exc}{hint}"
        return None

    def version(self) -> str | None:
        try:
            return importlib.metadata.version(self.distribution)
        except importlib.metadata.PackageNotFoundError:
            return None

    def supports(self, case: Case) -> str | None:
        """``None`` when the adapter can run ``case``, else the reason it cannot."""
        return self.check(case)

    def check(self, case: Case) -> str | None:  # pragma: no cover - overridden
        raise NotImplementedError

    def prepare(self, case: Case, x: np.ndarray) -> Call:  # pragma: no cover - overridden
        """Set up (thread counts, kernels) and return the timed zero-argument call."""
        raise NotImplementedError

    def threads(self) -> int | None:
        """Threads the call uses (recorded in the row); ``None`` if unknown."""
        return 1


def per_channel(case: Case, x: np.ndarray, filter2d: Callable[[np.ndarray], np.ndarray]) -> Call:
    """A call that runs ``filter2d`` on each channel of a channels-last image, or on ``x``.

    For peers without a colour-image convention: blurring the channel axis would mix the colour
    channels, so a user loops over them (the loop and the stacking are inside the timed call).
    """
    if case.channel_axis is None:
        return lambda: filter2d(x)
    axis = case.channel_axis % x.ndim

    def call() -> np.ndarray:
        planes = [filter2d(np.take(x, c, axis=axis)) for c in range(x.shape[axis])]
        return np.stack(planes, axis=axis)

    return call


def crop_padding(case: Case, y: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Undo :func:`pad_for`: keep the ``shape``-sized middle of the filtered axes of ``y``."""
    index = [slice(None)] * y.ndim
    for axis, r in zip(case.filtered_axes, case.radii, strict=True):
        index[axis] = slice(r, r + shape[axis])
    return y[tuple(index)]
