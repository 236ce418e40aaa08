"""Boundary modes: the mode names and line extension exactly as SciPy's ``NI_ExtendLine``.

Both the ideal pass and the storage model extend their lines here, so the two answers can
never disagree about which input sample a tap reads. This includes kernels longer than the
line (repeated reflection / wrap) and lines of length 1 (``mirror`` degrades to ``nearest``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

# The one list of boundary modes (bench.sweep.cases, the grids, the big-array check and the
# report's pitfall all take it from here).
#: the five line extensions SciPy's filters implement
CLASSIC_MODES: tuple[str, ...] = ("reflect", "constant", "nearest", "mirror", "wrap")
#: For filters SciPy maps the grid-* modes onto the classic ones (_extend_mode_to_code
#: with is_filter=True).
MODE_ALIASES: dict[str, str] = {
    "grid-mirror": "reflect",
    "grid-constant": "constant",
    "grid-wrap": "wrap",
}
#: every mode name gaussian_filter accepts
MODES: tuple[str, ...] = CLASSIC_MODES + tuple(MODE_ALIASES)
_MODE_ALIASES = MODE_ALIASES


def check_mode(value: Any) -> str:
    """The classic mode ``value`` stands for; ValueError naming the allowed modes otherwise."""
    if not isinstance(value, str) or value not in MODES:
        raise ValueError(f"mode: {value!r} is not a boundary mode; allowed: {', '.join(MODES)}")
    return _MODE_ALIASES.get(value, value)


def extend_indices(length: int, before: int, after: int, mode: str) -> np.ndarray:
    """Source index for every position of a line extended as SciPy's ``NI_ExtendLine`` does.

    Parameters
    ----------
    length : int
        Line length, >= 1.
    before, after : int
        Number of extension samples on each side.
    mode : str
        One of :data:`MODES`.

    Returns
    -------
    numpy.ndarray
        ``before + length + after`` int64 indices into the line; ``-1`` marks a
        position that takes ``cval`` (constant modes).
    """
    mode = check_mode(mode)
    pos = np.arange(-before, length + after, dtype=np.int64)
    if mode == "mirror" and length == 1:
        mode = "nearest"  # NI_ExtendLine special case
    if mode == "nearest":
        return np.clip(pos, 0, length - 1)
    if mode == "wrap":
        return pos % length
    if mode == "reflect":  # abcd|dcba: half-sample symmetric, period 2n
        p = pos % (2 * length)
        return np.where(p < length, p, 2 * length - 1 - p)
    if mode == "mirror":  # abcd|cbab: whole-sample symmetric, period 2n-2
        period = 2 * length - 2
        p = pos % period
        return np.where(p < length, p, period - p)
    return np.where((pos >= 0) & (pos < length), pos, -1)  # constant


def extend(line_first: np.ndarray, radius: int, mode: str, cval: float) -> np.ndarray:
    """Extend along axis 0 by ``radius`` on both sides (a new float64 array)."""
    n = line_first.shape[0]
    padded = np.empty((n + 2 * radius, *line_first.shape[1:]))
    padded[radius : radius + n] = line_first
    if radius:
        idx = extend_indices(n, radius, radius, mode)
        for edge in (slice(0, radius), slice(radius + n, None)):
            src = idx[edge]
            outside = src < 0
            padded[edge] = np.take(line_first, np.where(outside, 0, src), axis=0)
            if outside.any():
                padded[edge][outside] = cval
    return padded
