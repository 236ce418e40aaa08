"""What every pitfall shares: the ``Pitfall`` record, ``run_snippet``, and the sigma it speaks of.

Every pitfall carries a minimal snippet that the report *executes* to get its numbers
(``run_snippet``), so the snippet, its printed output and the consequence stated in prose
cannot disagree.
"""

from __future__ import annotations

import contextlib
import io
import math
import textwrap
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bench.report.model import Code, Paragraph, Section, Table

# Sigma of the demonstrations when the run holds no uint8 rows to take one from: at 2.5 a
# constant uint8 image of 100 comes back as 98 (measured with SciPy 1.17.1), so the
# constant-image drift shows.
DEFAULT_SIGMA = 2.5


@dataclass(frozen=True)
class Pitfall:
    """One pitfall: the snippet and what it printed, the consequence, and the fix."""

    title: str
    snippet: Code
    consequence: str
    fix: str
    fix_snippet: Code | None = None
    tables: tuple[Table, ...] = ()
    numbers: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.title or not self.consequence or not self.fix:
            raise ValueError("a pitfall needs a title, a consequence and a fix")

    def section(self) -> Section:
        """The pitfall as a report subsection."""
        blocks: list = [self.snippet, Paragraph(f"Measured: {self.consequence}")]
        blocks += list(self.tables)
        blocks.append(Paragraph(f"Fix: {self.fix}"))
        if self.fix_snippet is not None:
            blocks.append(self.fix_snippet)
        return Section(self.title, tuple(blocks), level=3)


def run_snippet(source: str) -> tuple[dict, Code]:
    """Execute a pitfall's snippet in a fresh namespace; return it and what it printed.

    Only the constant snippets of this package are executed, never text from a results file.
    """
    source = textwrap.dedent(source).strip() + "\n"
    namespace: dict = {"__name__": "__pitfall__"}
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(source, "<pitfall>", "exec"), namespace)
    return namespace, Code(source, buffer.getvalue())


#: Largest run sigma the demos use. They filter 64x64 and 256x256 images, where a wider kernel is
#: all border, and the OpenCV ksize search costs O(sigma^2): a run from an accepted grid with
#: sigma 1e5 would hang the report (issue 10).
DEMO_MAX_SIGMA = 64.0


def demo_sigma(value: object) -> bool:
    """Whether a run's sigma is a scalar the demos can use (0 < sigma <= ``DEMO_MAX_SIGMA``)."""
    return is_scalar(value) and 0 < float(value) <= DEMO_MAX_SIGMA


def representative_sigma(frame: pd.DataFrame) -> float:
    """The scalar sigma the run used most for uint8, so the demos speak about the run's cases."""
    rows = frame[(frame["dtype"] == "uint8") & frame["sigma"].map(demo_sigma).astype(bool)]
    if rows.empty:
        return DEFAULT_SIGMA
    return float(rows["sigma_value"].value_counts().sort_index(ascending=False).idxmax())


def run_sigmas(frame: pd.DataFrame, fallback: tuple[float, ...]) -> list[float]:
    """The run's positive scalar sigmas, sorted; ``fallback`` when it has none."""
    values = sorted({float(s) for s in frame["sigma"] if demo_sigma(s)})
    return values or list(fallback)


def is_scalar(value: object) -> bool:
    """A finite number (not a bool): a sigma the run gave as one value for every axis."""
    # pandas hands back numpy scalars when a column is all numbers
    numeric = isinstance(value, (int, float, np.integer, np.floating))
    return numeric and not isinstance(value, (bool, np.bool_)) and math.isfinite(value)
