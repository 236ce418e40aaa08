"""Summary tables of a run: numeric DataFrames, then formatted cells for the renderers.

Each ``*_table`` function returns a pandas DataFrame of numbers computed from the run's rows;
:func:`to_table` formats one into a :class:`~bench.report.model.Table`. Markdown and HTML are
both drawn by tabulate (``github`` and ``html``, the latter escapes every cell).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
import tabulate as _tabulate

from bench.report import frames
from bench.report.model import Table

NULL = "-"


def format_number(value: object) -> str:
    """Format one cell: 4 significant digits for floats, ``-`` for missing values."""
    if value is None:
        return NULL
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return NULL
        return f"{float(value):.4g}"
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(format_number(v) for v in value) + ")"
    return str(value)


def to_table(frame: pd.DataFrame, caption: str) -> Table:
    """Format a DataFrame (its index becomes leading columns) as a :class:`Table`."""
    flat = frame.reset_index() if _has_named_index(frame) else frame
    headers = tuple(str(c) for c in flat.columns)
    rows = tuple(
        tuple(format_number(v) for v in record)
        for record in flat.itertuples(index=False, name=None)
    )
    return Table(caption=caption, headers=headers, rows=rows)


def _has_named_index(frame: pd.DataFrame) -> bool:
    return any(name is not None for name in frame.index.names)


def render_markdown(table: Table) -> str:
    """A GitHub-flavoured Markdown table; pipes in cells are escaped so rows stay rows."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    return _tabulate.tabulate(
        [[cell(c) for c in row] for row in table.rows],
        headers=[cell(h) for h in table.headers],
        tablefmt="github",
        disable_numparse=True,
    )


def render_html(table: Table) -> str:
    """An HTML ``<table>``; tabulate's ``html`` format escapes every cell and header."""
    return _tabulate.tabulate(
        [list(row) for row in table.rows],
        headers=list(table.headers),
        tablefmt="html",
        disable_numparse=True,
    )


# --- environment -------------------------------------------------------------------------


def environment_table(meta: Mapping) -> pd.DataFrame:
    """run.json's environment as ``item`` -> ``value`` rows."""
    cpu = meta.get("cpu") or {}
    timing = meta.get("timing") or {}
    items: list[tuple[str, object]] = [
        ("run id", meta.get("run_id")),
        ("status", meta.get("status")),
        ("started at", meta.get("started_at")),
        ("finished at", meta.get("finished_at")),
        ("host", meta.get("host")),
        ("gfbench", meta.get("gfbench_version")),
        ("git commit", meta.get("git_commit")),
        ("python", meta.get("python")),
        ("platform", meta.get("platform")),
    ]
    for package, version in (meta.get("versions") or {}).items():
        items.append((package, version if version is not None else "unavailable"))
    for impl, version in (meta.get("impl_versions") or {}).items():
        items.append((f"implementation {impl}", version if version is not None else "unavailable"))
    items += [
        ("CPU", cpu.get("model")),
        ("cores (logical / physical)", f"{cpu.get('cores_logical')} / {cpu.get('cores_physical')}"),
        ("CPU flags (SIMD)", _simd_flags(cpu.get("flags") or [])),
        ("copy bandwidth (GB/s)", meta.get("bandwidth_gbs")),
    ]
    if meta.get("peak_gflops") is not None:
        items.append(("compute peak (GFLOP/s)", meta.get("peak_gflops")))
    for variable, value in (meta.get("threads") or {}).items():
        items.append((variable, value))
    for entry in meta.get("blas") or []:
        if isinstance(entry, Mapping):
            items.append(
                (
                    f"BLAS {entry.get('internal_api', '?')}",
                    f"{entry.get('version', '?')}, {entry.get('num_threads', '?')} threads",
                )
            )
    for key, value in timing.items():
        items.append((f"timing {key}", value))
    return pd.DataFrame(items, columns=["item", "value"])


def _simd_flags(flags: list) -> str:
    # The full flag list is ~100 entries; the vector extensions are what explain speed.
    wanted = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "neon", "asimd", "sve")
    present = [f for f in wanted if f in {str(x).lower() for x in flags}]
    return " ".join(present) if present else f"{len(flags)} flags, no SIMD flag recognised"


def grid_table(meta: Mapping) -> pd.DataFrame:
    """The grid's identity (name, file, hash, case count, filters) as ``item`` -> ``value``."""
    grid = meta.get("grid") or {}
    if not isinstance(grid, Mapping):
        return pd.DataFrame([("grid", str(grid))], columns=["item", "value"])
    items = []
    for key, value in grid.items():
        if key == "spec":
            continue  # drawn by grid_groups_table
        if isinstance(value, Mapping):
            value = ", ".join(
                f"{k}={'all' if v is None else format_number(v)}" for k, v in value.items()
            )
        items.append((key, format_number(value)))
    return pd.DataFrame(items, columns=["item", "value"])


GRID_AXES = ("impl", "dtype", "shape", "sigma", "mode", "truncate", "order", "cval")


def grid_groups_table(meta: Mapping, frame: pd.DataFrame) -> pd.DataFrame:
    """One line per group of the grid's spec: its axes' values (defaults filled in), the rows
    of this run that belong to it, and the grid file's one-line reason."""
    grid = meta.get("grid") or {}
    spec = grid.get("spec") if isinstance(grid, Mapping) else None
    groups = spec.get("group") if isinstance(spec, Mapping) else None
    if not groups:
        return pd.DataFrame()
    defaults = spec.get("defaults") or {}
    per_group = frame["group"].value_counts() if "group" in frame.columns else pd.Series(dtype=int)
    records = []
    for group in groups:
        if not isinstance(group, Mapping):
            continue
        record: dict[str, object] = {
            "group": group.get("name"),
            "rows": int(per_group.get(group.get("name"), 0)),
        }
        for axis in GRID_AXES:
            record[axis] = _axis_values(group.get(axis, defaults.get(axis)))
        others = [
            f"{k}={_axis_values(v)}"
            for k, v in group.items()
            if k not in (*GRID_AXES, "name", "why")
        ]
        record["other"] = "; ".join(others) or "-"
        record["why"] = str(group.get("why", ""))
        records.append(record)
    return pd.DataFrame(records)


def _axis_values(axis: object) -> str:
    if isinstance(axis, Mapping):
        axis = axis.get("values", axis.get("value"))
    if axis is None:
        return NULL
    if isinstance(axis, list):
        return " ".join(format_number(v) if not isinstance(v, str) else v for v in axis)
    return format_number(axis)


# --- outcome -----------------------------------------------------------------------------


def status_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Number of rows per implementation and status."""
    counts = frame.groupby(["impl", "status"]).size().unstack(fill_value=0)
    for status in ("ok", "unsupported", "unavailable", "error"):
        if status not in counts.columns:
            counts[status] = 0
    counts = counts[["ok", "unsupported", "unavailable", "error"]]
    counts.columns.name = None
    return counts.astype(int)


def problems_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows that did not run, grouped by (implementation, status, reason)."""
    bad = frame[frame["status"] != "ok"].copy()
    bad["reason"] = bad["reason"].fillna("")
    grouped = (
        bad.groupby(["impl", "status", "reason"], dropna=False)
        .agg(cases=("status", "size"), dtypes=("dtype", lambda s: " ".join(sorted(set(s)))))
        .reset_index()
    )
    return grouped[["impl", "status", "cases", "dtypes", "reason"]]


def unstable_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Per implementation: how many timed rows the sweep flagged unstable, and one reason."""
    timed = frames.timed_rows(frame)
    flagged = timed["unstable"].fillna(False).astype(bool)
    columns = ["unstable", "timed", "example_case", "example_reason"]
    if not flagged.any():
        return pd.DataFrame(columns=columns)
    out = {}
    for impl, group in timed.groupby("impl"):
        bad = group[flagged[group.index]]
        if bad.empty:
            continue
        first = bad.iloc[0]
        out[impl] = {
            "unstable": len(bad),
            "timed": len(group),
            "example_case": f"{first['dtype']} {first['shape_label']} sigma {first['sigma_label']} "
            f"{first['mode'] if first['mode'] is not None else ''}".strip(),
            "example_reason": first["unstable_reason"],
        }
    table = pd.DataFrame.from_dict(out, orient="index")[columns]
    table.index.name = "impl"
    return table


def unstable_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Every timed row the sweep flagged unstable, with the sweep's reason for that row."""
    timed = frames.timed_rows(frame)
    flagged = timed[timed["unstable"].fillna(False).astype(bool)]
    columns = ["impl", "dtype", "case", "min_ms", "reason"]
    if flagged.empty:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame(
        {
            "impl": flagged["impl"].to_numpy(),
            "dtype": flagged["dtype"].to_numpy(),
            "case": [
                f"{r['shape_label']} sigma {r['sigma_label']} {r['mode'] or ''}".strip()
                for _, r in flagged.iterrows()
            ],
            "min_ms": (flagged["min_ns"].astype(float) / 1e6).round(4).to_numpy(),
            "reason": flagged["unstable_reason"].fillna("").to_numpy(),
        },
        columns=columns,
    ).sort_values(["impl", "dtype", "case"], kind="stable", ignore_index=True)


# --- speed -------------------------------------------------------------------------------

REFERENCE = ("scipy", "float64")


def speed_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Per implementation x dtype: median and min time, MPix/s, speedup vs SciPy float64,
    and the fraction of the machine's bound.

    - ``median_ms``: median over cases of each case's median time;
    - ``min_ms``: the smallest per-case minimum;
    - ``mpix_per_s``: median over cases of pixels / median time;
    - ``speedup_vs_scipy_f64``: geometric mean over the cases SciPy float64 also ran
      (same shape, sigma, mode, truncate, order, cval, axes; rows without a mode, such as
      Pillow's, against SciPy's median over modes) of its median / this median;
    - ``bound_fraction``: median over cases of (time bound / measured time).
    """
    timed = frames.timed_rows(frame).copy()
    columns = [
        "cases",
        "median_ms",
        "min_ms",
        "mpix_per_s",
        "speedup_vs_scipy_f64",
        "bound_fraction",
    ]
    if timed.empty:
        return pd.DataFrame(
            columns=columns, index=pd.MultiIndex.from_tuples([], names=["impl", "dtype"])
        )
    reference = timed[(timed["impl"] == REFERENCE[0]) & (timed["dtype"] == REFERENCE[1])]
    timed["mpix_per_s"] = timed["npix"] * 1e3 / timed["median_ns"]
    timed["speedup"] = frames.reference_times(timed, reference) / timed["median_ns"]
    timed["bound_fraction"] = pd.to_numeric(timed["bound_fraction"], errors="coerce")
    rows = {}
    for (impl, dtype), group in timed.groupby(["impl", "dtype"]):
        speedups = group["speedup"].dropna()
        rows[(impl, dtype)] = {
            "cases": len(group),
            "median_ms": float(group["median_ns"].median()) / 1e6,
            "min_ms": float(group["min_ns"].min()) / 1e6,
            "mpix_per_s": float(group["mpix_per_s"].median()),
            "speedup_vs_scipy_f64": (
                float(np.exp(np.log(speedups).mean())) if len(speedups) else math.nan
            ),
            "bound_fraction": float(group["bound_fraction"].median()),
        }
    out = pd.DataFrame.from_dict(rows, orient="index")[columns]
    out.index = pd.MultiIndex.from_tuples(out.index, names=["impl", "dtype"])
    return out


# --- accuracy ----------------------------------------------------------------------------


def accuracy_table(frame: pd.DataFrame, *, derivatives: bool = False) -> pd.DataFrame:
    """Per implementation x dtype, the worst error over the run's cases and the mean bias.

    Plain blurs (order 0) by default; ``derivatives=True`` gives the rows with an order > 0
    instead, whose errors (unsigned wrap-around) would otherwise swamp the blurs'.
    """
    rows = frames.accuracy_rows(frame).copy()
    is_derivative = frames.derivative_mask(rows)
    rows = rows[is_derivative if derivatives else ~is_derivative]
    columns = [
        "cases",
        "out_dtype",
        "max_abs_error",
        "max_rmse",
        "mean_bias",
        "max_ulp_error",
        "max_grey_levels",
        "min_frac_correctly_rounded",
        "matches_storage_model",
    ]
    if rows.empty:
        return pd.DataFrame(
            columns=columns, index=pd.MultiIndex.from_tuples([], names=["impl", "dtype"])
        )
    for column in ("rmse", "max_ulp_error", "frac_correctly_rounded"):
        rows[column] = pd.to_numeric(rows[column], errors="coerce")
    out = {}
    for (impl, dtype), group in rows.groupby(["impl", "dtype"]):
        storage = group["matches_storage_model"].dropna()
        out[(impl, dtype)] = {
            "cases": len(group),
            # what the implementation actually returned (scikit-image: float64 for integers)
            "out_dtype": " ".join(sorted({str(d) for d in group["out_dtype"].dropna()})) or None,
            "max_abs_error": float(group["max_abs_error"].max()),
            "max_rmse": float(group["rmse"].max()),
            "mean_bias": float(group["bias"].mean()),
            "max_ulp_error": float(group["max_ulp_error"].max()),
            "max_grey_levels": float(group["max_grey_levels"].max()),
            "min_frac_correctly_rounded": float(group["frac_correctly_rounded"].min()),
            # None where the row does not apply (only SciPy carries the storage model).
            "matches_storage_model": bool(storage.astype(bool).all()) if len(storage) else None,
        }
    table = pd.DataFrame.from_dict(out, orient="index")[columns]
    table.index = pd.MultiIndex.from_tuples(table.index, names=["impl", "dtype"])
    return table


def border_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Per implementation and dtype: the worst interior error over all modes, then the worst
    border error of each mode (order-0 rows whose output has the dtype asked for)."""
    rows = frames.accuracy_rows(frame).copy()
    rows = rows[~frames.derivative_mask(rows) & ~frames.output_dtype_differs(rows)]
    for column in ("interior_max_abs_error", "border_max_abs_error"):
        rows[column] = pd.to_numeric(rows[column], errors="coerce")
    rows = rows[rows["interior_max_abs_error"].notna() & rows["border_max_abs_error"].notna()]
    if rows.empty:
        return pd.DataFrame()
    rows["mode"] = rows["mode"].fillna("(none)")
    keys = ["impl", "dtype"]
    interior = rows.groupby(keys)["interior_max_abs_error"].max().rename("interior (all modes)")
    border = rows.pivot_table(
        index=keys, columns="mode", values="border_max_abs_error", aggfunc="max"
    )
    border.columns = [f"border {mode}" for mode in border.columns]
    return pd.concat([interior, border], axis=1)


# --- recommendation ----------------------------------------------------------------------


def recommendation_table(
    frame: pd.DataFrame, *, budget_grey_levels: float, budget_abs: float
) -> pd.DataFrame:
    """For each (dtype, shape, sigma): the fastest implementation within the error budget.

    Only order-0 rows with both timing and accuracy count, and only rows whose output has the
    dtype asked for (scikit-image returns float64 for integer input: not an integer output).
    Per implementation the time is the
    median over the group's rows (modes, truncate, cval) and the error the worst of them, in
    grey levels for integer outputs and absolute units otherwise.
    """
    timed = frames.timed_rows(frame)
    rows = timed[timed["max_abs_error"].notna()].copy()
    rows = rows[~frames.derivative_mask(rows)]
    rows = rows[~frames.output_dtype_differs(rows)]
    columns = [
        "dtype",
        "shape",
        "sigma",
        "budget",
        "recommended",
        "median_ms",
        "max_error",
        "speedup_vs_scipy",
        "within_budget",
        "fastest_overall",
        "fastest_error",
    ]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    rows["error"] = [frames.error_in_output_units(r) for _, r in rows.iterrows()]
    out = []
    for (dtype, shape, sigma), group in rows.groupby(["dtype", "shape_label", "sigma_label"]):
        budget = budget_grey_levels if frames.is_integer_dtype(dtype) else budget_abs
        per_impl = group.groupby("impl").agg(
            median_ns=("median_ns", "median"), error=("error", "max")
        )
        per_impl = per_impl.sort_values("median_ns", kind="stable")
        within = per_impl[[frames.within_budget(e, budget) for e in per_impl["error"]]]
        fastest = per_impl.index[0]
        scipy_ns = per_impl["median_ns"].get("scipy", math.nan)
        if within.empty:
            best, best_ns, best_error = "none within budget", math.nan, math.nan
        else:
            best = within.index[0]
            best_ns, best_error = within["median_ns"].iloc[0], within["error"].iloc[0]
        out.append(
            {
                "dtype": dtype,
                "shape": shape,
                "sigma": sigma,
                "budget": budget,
                "recommended": best,
                "median_ms": best_ns / 1e6,
                "max_error": best_error,
                "speedup_vs_scipy": scipy_ns / best_ns,
                "within_budget": f"{len(within)}/{len(per_impl)}",
                "fastest_overall": fastest,
                "fastest_error": per_impl["error"].iloc[0],
            }
        )
    return pd.DataFrame(out, columns=columns)
