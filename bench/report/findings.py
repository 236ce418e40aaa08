"""What should I use? Per output dtype (and size/sigma band where the answer changes).

For each dtype the report compares implementations on the *same cases only*, and on the
like-for-like ones: order 0, mode ``nearest`` (the border every peer has), truncate 4, cval 0,
output of the dtype asked for, timed and checked against the oracle. Implementations are ranked
on the cases they and SciPy all ran (``_comparable``); one that did not run them (a dtype it
refuses, a size the grid did not give it) is listed as "not compared" with how many it ran.
Speed is SciPy's median time over the implementation's, per case; a band's speedup is the
geometric mean over its cases, with the smallest and largest per-case ratio as its spread.
Errors are the worst over the cases, in grey levels for integer outputs and absolute units
(0..255 data) for float outputs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bench.report import frames

#: Where the answer may change: images below/above 512 x 512 pixels (cache-resident vs not on
#: typical CPUs) and sigmas below/above 4 (radius 16: where FFT and recursive methods start
#: to compete with direct convolution).
SIZE_SPLIT_NPIX = 512 * 512
SIGMA_SPLIT = 4.0
#: Fewer cases than this: the finding says it is too few to generalise.
MIN_CASES = 3


@dataclass(frozen=True)
class Standing:
    """One implementation on a band's cases: speed relative to SciPy and worst error."""

    impl: str
    speedup: float  # geometric mean over the cases of SciPy's time / this time
    low: float  # smallest per-case ratio
    high: float  # largest per-case ratio
    error: float  # worst error over the cases, in the dtype's unit

    def speed_text(self) -> str:
        spread = "" if self.low == self.high else f" (range {self.low:.3g}-{self.high:.3g}x)"
        return f"{self.speedup:.3g}x SciPy's speed{spread}"


@dataclass(frozen=True)
class Answer:
    """The answer for one dtype and band."""

    dtype: str
    band: str
    cases: int
    budget: float
    unit: str
    scipy_error: float
    best: Standing | None  # fastest within the budget (may be SciPy itself)
    fastest: Standing  # fastest overall, whatever its error
    compared: int
    not_compared: tuple[str, ...]
    standings: tuple[Standing, ...] = ()

    def row(self) -> dict[str, object]:
        best = self.best
        return {
            "dtype": self.dtype,
            "sizes/sigmas": self.band,
            "cases": self.cases,
            "implementations ranked": str(self.compared),
            "use": self._use_cell(),
            "speedup vs SciPy": _speed_cell(best) if best else "-",
            "worst error": frames.shown_error(best.error) if best else "-",
            "budget": f"{self.budget:g} {self.unit}",
            "SciPy's worst error": frames.shown_error(self.scipy_error)
            + ("" if frames.within_budget(self.scipy_error, self.budget) else " (over budget)"),
            "fastest overall": self._fastest_cell(),
        }

    def _use_cell(self) -> str:
        # the table is read alone: an option slower than SciPy must say so in its own cell
        best = self.best
        if best is None:
            return "none within budget"
        if best.impl != "scipy" and best.speedup < 1.0:
            return f"{best.impl} (slower than SciPy)"
        return best.impl

    def _fastest_cell(self) -> str:
        if self.best is not None and self.best.impl == self.fastest.impl:
            return "the same"
        fastest = self.fastest
        return f"{fastest.impl}: {_speed_cell(fastest)}, error {frames.shown_error(fastest.error)}"


def _speed_cell(s: Standing) -> str:
    if s.low == s.high:
        return f"{s.speedup:.3g}x"
    return f"{s.speedup:.3g}x ({s.low:.3g}-{s.high:.3g})"


def candidate_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Timed order-0 rows with an accuracy measurement whose output has the dtype asked for."""
    rows = frames.timed_rows(frame)
    rows = rows[rows["max_abs_error"].notna()]
    rows = rows[~frames.derivative_mask(rows) & ~frames.output_dtype_differs(rows)].copy()
    rows["error"] = [frames.error_in_output_units(r) for _, r in rows.iterrows()]
    # A row without a mode (Pillow's: it always repeats the edge pixel) is SciPy's "nearest".
    columns = list(frames.CASE_COLUMNS)
    rows["case_key"] = [
        "|".join(
            frames._json_key("nearest" if c == "mode" and record[c] is None else record[c])
            for c in columns
        )
        for record in rows[columns].to_dict("records")
    ]
    return rows


def _band_of(npix: float, sigma: float) -> str:
    size = "under 512^2 px" if npix < SIZE_SPLIT_NPIX else "512^2 px and up"
    width = (
        f"sigma under {SIGMA_SPLIT:g}" if sigma < SIGMA_SPLIT else f"sigma {SIGMA_SPLIT:g} and up"
    )
    return f"{size}, {width}"


def like_for_like_mode(rows: pd.DataFrame) -> str | None:
    """The border mode the answer compares on: ``nearest`` (every peer has it) where SciPy ran
    it, else the mode SciPy ran most often (order-0 rows of one dtype)."""
    modes = rows[rows["impl"] == "scipy"]["mode"].dropna()
    if modes.empty:
        return None
    if (modes == "nearest").any():
        return "nearest"
    return str(modes.value_counts().index[0])


def _comparable(rows: pd.DataFrame, keys: pd.Index) -> tuple[list[str], pd.Index]:
    """The implementations to rank and the cases they all ran (SciPy's ``keys`` at most).

    Implementations join in order of how many of SciPy's cases they ran; the set kept is the
    one with the most (implementations x common cases), so one peer that ran a single case
    does not shrink everyone's comparison to that case.
    """
    ran = {
        str(impl): pd.Index(group["case_key"].unique()).intersection(keys)
        for impl, group in rows.groupby("impl")
    }
    order = sorted(ran, key=lambda i: (i != "scipy", -len(ran[i]), i))
    best: tuple[int, list[str], pd.Index] = (-1, [], keys)
    common = keys
    for j, impl in enumerate(order, start=1):
        common = common.intersection(ran[impl])
        score = j * len(common)
        if len(common) and score >= best[0]:
            best = (score, order[:j], common)
    return best[1], best[2]


def _answer(rows: pd.DataFrame, dtype: str, band: str, budget: float) -> Answer | None:
    """Rank the implementations of one dtype on the cases they and SciPy all ran."""
    scipy = rows[rows["impl"] == "scipy"].groupby("case_key")["median_ns"].median()
    if scipy.empty:
        return None
    ranked, keys = _comparable(rows, scipy.index)
    standings, not_compared = [], []
    for impl, group in rows.groupby("impl"):
        if impl not in ranked:
            ran = pd.Index(group["case_key"].unique()).intersection(keys)
            if len(ran):  # none: it ran this dtype only in other modes or sizes, not relevant
                not_compared.append(f"{impl} ({len(ran)} of {len(keys)} cases)")
            continue
        times = group.groupby("case_key")["median_ns"].median()
        ratios = (scipy[keys] / times[keys]).to_numpy(dtype=float)
        error = float(group[group["case_key"].isin(keys)]["error"].max())
        standings.append(
            Standing(
                impl=str(impl),
                speedup=float(np.exp(np.log(ratios).mean())),
                low=float(ratios.min()),
                high=float(ratios.max()),
                error=error,
            )
        )
    standings.sort(key=lambda s: -s.speedup)
    within = [s for s in standings if frames.within_budget(s.error, budget)]
    scipy_error = next(s.error for s in standings if s.impl == "scipy")
    return Answer(
        dtype=dtype,
        band=band,
        cases=len(keys),
        budget=budget,
        unit="grey level" if frames.is_integer_dtype(dtype) else "absolute",
        scipy_error=scipy_error,
        best=within[0] if within else None,
        fastest=standings[0],
        compared=len(standings),
        not_compared=tuple(not_compared),
        standings=tuple(standings),
    )


def answers(frame: pd.DataFrame, *, budget_grey_levels: float, budget_abs: float) -> list[Answer]:
    """Per dtype: one answer over all its cases, or one per band where the answer changes."""
    rows = candidate_rows(frame)
    if rows.empty:
        return []
    rows["band"] = [
        _band_of(float(n), float(s)) for n, s in zip(rows["npix"], rows["sigma_value"], strict=True)
    ]
    out: list[Answer] = []
    for dtype in _dtype_order(rows["dtype"].unique()):
        mine = rows[rows["dtype"] == dtype]
        mode = like_for_like_mode(mine)
        if mode is None:
            continue
        # SciPy's like-for-like cases are the reference; other rows pair with them by key
        reference = (
            (mine["impl"] == "scipy")
            & (mine["mode"] == mode)
            & (mine["cval"].fillna(0.0) == 0.0)
            & (mine["truncate"].fillna(4.0) == 4.0)
        )
        mine = mine[reference | (mine["impl"] != "scipy")]
        suffix = "" if mode == "nearest" else f", mode {mode}"
        budget = budget_grey_levels if frames.is_integer_dtype(dtype) else budget_abs
        overall = _answer(mine, dtype, "all" + suffix, budget)
        if overall is None:
            continue
        per_band = [
            a
            for band in sorted(mine["band"].unique())
            if (a := _answer(mine[mine["band"] == band], dtype, band + suffix, budget)) is not None
        ]
        out.extend(per_band if _answer_changes(overall, per_band) else [overall])
    return out


#: Crossovers are reported for sigma ranges reaching this far (radius 40 at truncate 4).
WIDE_SIGMA = 10.0
#: A band's own winner must beat the overall answer there by this factor to be shown apart:
#: closer than that is within the noise of one quick run (OpenCV's variants trade places).
CHANGE_FACTOR = 1.2


def _answer_changes(overall: Answer, per_band: list[Answer]) -> bool:
    """Whether some band needs its own answer: the overall pick is not ranked there, misses
    the budget there, or the band's own pick is clearly (``CHANGE_FACTOR``) faster."""
    if len(per_band) < 2 or overall.best is None:
        return False
    for band in per_band:
        if band.best is None or band.best.impl == overall.best.impl or band.cases < MIN_CASES:
            continue  # a band of one or two cases cannot overrule the overall answer
        mine = [s for s in band.standings if s.impl == overall.best.impl]
        if not mine or not frames.within_budget(mine[0].error, band.budget):
            return True
        if band.best.speedup > CHANGE_FACTOR * mine[0].speedup:
            return True
    return False


def _dtype_order(dtypes: Iterable[str]) -> list[str]:
    """uint8, float32 and float64 first: what most users ask about."""
    ordered = frames.dtype_order(dtypes)
    first = [d for d in ("uint8", "float32", "float64") if d in ordered]
    return first + [d for d in ordered if d not in first]


def recommendation_frame(found: list[Answer]) -> pd.DataFrame:
    """The table the report opens with."""
    return pd.DataFrame([a.row() for a in found])


def sentence(a: Answer, *, scipy_bias: float | None = None) -> str:
    """One finding, with its evidence: cases, spread of the ratio, budget, SciPy's standing."""
    unit = "grey level(s)" if a.unit == "grey level" else "(absolute)"
    where = a.band[len("all") :] if a.band.startswith("all") else f", {a.band}"
    head = f"{a.dtype}{where} ({a.cases} case(s), budget {a.budget:g} {unit}): "
    parts = []
    best = a.best
    if best is None:
        parts.append("no implementation stays within the budget on these cases.")
    elif best.impl == "scipy":
        parts.append(
            f"SciPy itself is the fastest within the budget (worst error "
            f"{frames.shown_error(best.error)})."
        )
    elif best.speedup < 1.0:
        parts.append(
            f"nothing within the budget is faster than SciPy: the fastest within it is "
            f"{best.impl} at {best.speed_text()} (worst error {frames.shown_error(best.error)}), "
            "slower than SciPy."
        )
    else:
        parts.append(
            f"use {best.impl}: {best.speed_text()}, worst error {frames.shown_error(best.error)}."
        )
        if best.low < 1.0 < best.high:
            parts.append("It is not faster on every case (its ratio crosses 1).")
    if frames.within_budget(a.scipy_error, a.budget):
        parts.append(f"SciPy meets the budget (worst error {frames.shown_error(a.scipy_error)}).")
    else:
        why = ""
        if frames.is_integer_dtype(a.dtype) and scipy_bias is not None and scipy_bias < 0:
            why = (
                f", because it truncates its float result toward zero when it stores integers "
                f"(mean bias {scipy_bias:+.2f} grey levels)"
            )
        parts.append(
            f"SciPy itself misses the budget: worst error {frames.shown_error(a.scipy_error)}, "
            f"{a.scipy_error / a.budget:.3g}x the budget{why}."
        )
    if best is None or a.fastest.impl != best.impl:
        verdict = (
            "within the budget"
            if frames.within_budget(a.fastest.error, a.budget)
            else "outside the budget"
        )
        slower = " (slower than SciPy)" if a.fastest.speedup < 1.0 else ""
        if a.fastest.impl == "scipy":
            parts.append(f"Fastest overall: SciPy itself ({verdict}).")
        else:
            parts.append(
                f"Fastest overall: {a.fastest.impl} at {a.fastest.speed_text()}{slower}, worst "
                f"error {frames.shown_error(a.fastest.error)} ({verdict})."
            )
    if a.cases < MIN_CASES:
        parts.append(f"Only {a.cases} case(s): too few to generalise.")
    if a.not_compared:
        parts.append(
            "Not compared (did not run all these cases): " + ", ".join(a.not_compared) + "."
        )
    return head + " ".join(parts)


def budget_text(budget_grey_levels: float, budget_abs: float) -> str:
    """Why the budgets are what they are (said next to the findings)."""
    return (
        f"Budgets: {budget_grey_levels:g} grey level(s) for integer outputs (one grey level is the "
        f"smallest step an integer image can show) and {budget_abs:g} absolute for float outputs, "
        f"on the 0..255 data every case uses (a thousandth of a grey level: float32 rounding, "
        f"about 1e-5 here, passes; box-blur, integer-kernel and IIR approximations do not). "
        f"An error counts as within the budget when its value as shown "
        f"({frames.ERROR_DIGITS} significant digits) is: a float-rounding hair above it "
        f"(0.500007 shown as 0.5) is within, 0.501 is not. "
        f"Change them with gfbench report --budget-grey-levels / --budget-abs. Speedups are "
        f"SciPy's median time over the implementation's on the same case, geometric mean over "
        f"the cases (range: smallest-largest per-case ratio). Implementations are compared on the "
        f"same cases only: order 0, truncate 4, cval 0 and one border mode, nearest (the border "
        f"every peer has) unless a row says otherwise."
    )


def ratio_finding(ratios: pd.Series, what: str, *, min_cases: int = 5) -> str | None:
    """A ratio claim with its spread, worded as unsupported when the data cannot carry it."""
    values = ratios.dropna().to_numpy(dtype=float)
    if not len(values):
        return None
    median, low, high = float(np.median(values)), float(values.min()), float(values.max())
    evidence = f"median {median:.2f}x, range {low:.2f}-{high:.2f}x over {len(values)} case(s)"
    if len(values) < min_cases or (low < 1.0 < high):
        return f"{what}: not established by this run ({evidence})."
    return f"{what}: {median:.2f}x ({evidence})."


def crossovers(frame: pd.DataFrame, *, min_sigmas: int = 3) -> list[str]:
    """Where the fastest implementation changes as sigma grows, per dtype and image size.

    Only (dtype, shape) slices with at least ``min_sigmas`` scalar sigmas count, and only the
    implementations that ran every one of them (same cases); times are medians over modes.
    """
    rows = candidate_rows(frame)
    rows = rows[[not isinstance(s, (list, tuple, np.ndarray)) for s in rows["sigma"]]]
    lines: list[str] = []
    if rows.empty:
        return lines
    for (dtype, shape), group in rows.groupby(["dtype", "shape_label"]):
        sigmas = sorted(group["sigma_value"].unique())
        if len(sigmas) < min_sigmas:
            continue
        table = group.pivot_table(
            index="sigma_value", columns="impl", values="median_ns", aggfunc="median"
        ).dropna(axis=1)
        if table.shape[1] < 2:
            continue
        fastest = table.idxmin(axis=1)
        steps = [(sigmas[0], fastest.iloc[0])]
        for sigma, impl in fastest.items():
            leader = steps[-1][1]
            # a new leader only when clearly faster than the old one at this sigma
            if impl != leader and table.loc[sigma, leader] > CHANGE_FACTOR * table.loc[sigma, impl]:
                steps.append((sigma, impl))
        errors = group.groupby("impl")["error"].max()
        text = ", then ".join(
            f"{impl} from sigma {sigma:g} (worst error {errors[impl]:.3g}, "
            f"{table.loc[sigma, 'scipy'] / table.loc[sigma, impl]:.3g}x SciPy there)"
            if "scipy" in table.columns
            else f"{impl} from sigma {sigma:g} (worst error {errors[impl]:.3g})"
            for sigma, impl in steps
        )
        if sigmas[-1] < WIDE_SIGMA:
            continue  # narrow kernels only: direct convolution wins, nothing crosses over
        where = "changes" if len(steps) > 1 else "does not change"
        lines.append(
            f"Crossover, {dtype} {shape} (sigma {sigmas[0]:g}-{sigmas[-1]:g}, "
            f"{table.shape[1]} implementations that ran every sigma, fastest by at least "
            f"{CHANGE_FACTOR:g}x to count): the fastest {where} with sigma: {text}."
        )
    return lines
