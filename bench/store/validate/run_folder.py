"""Checks of a run folder: ``run.json`` (``validate_run_meta``), each ``cases.jsonl`` line
(``validate_row``), and what ``--resume`` needs beyond a readable ``run.json``.

A row that passes stays a dict (``bench.store.load`` makes a DataFrame of them): the checks
here are field by field, plus the two cross-field ones a reader relies on (the kernel radius,
``n_samples`` against ``samples_ns``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench.store.profiles import PROFILE_NAME, is_profile_name
from bench.store.validate.fields import (
    _DICT_OR_NULL,
    _OPT_BOOL,
    _OPT_NONNEG,
    _OPT_NONNEG_INT,
    _OPT_NUM,
    _OPT_STR,
    Check,
    FieldError,
    _bool,
    _check_fields,
    _is_int,
    _is_num,
    _list_of,
    _nonneg_int,
    _opt,
    _pos_num,
    _str,
    json_value,
    normalise_value,
)
from bench.store.validate.files import FileError, _kind, _short, check_identifier

#: Smallest sigma accepted anywhere: SciPy squares sigma, and a square that underflows to 0
#: gives a NaN kernel (and divisions by zero downstream).
MIN_SIGMA = 1e-100
#: Largest kernel radius (truncate * sigma) accepted: 2 * 100000 + 1 taps is already far
#: beyond any image a benchmark filters, and larger values overflow or allocate absurdly.
MAX_RADIUS = 100_000
#: Largest |cval| accepted: far beyond any pixel value, and small enough that errors against
#: the oracle and their squares stay finite (1e308 overflowed the report's statistics).
MAX_ABS_CVAL = 1e15


def _sigma_value(v: Any) -> bool:
    return _is_num(v) and MIN_SIGMA <= v <= MAX_RADIUS


def _sigma(v: Any) -> bool:
    return _sigma_value(v) or _list_of(_sigma_value, nonempty=True)(v)


def _shape(v: Any) -> bool:
    return _list_of(lambda n: _is_int(n) and n >= 1, nonempty=True)(v) and len(v) <= 32


#: Longest time per call accepted (about 11 days): a larger one was not measured.
MAX_TIME_NS = 1e15


def _time_ns(v: Any) -> bool:
    return _is_num(v) and 0 < v <= MAX_TIME_NS


_TIME_NS_ALLOWED = f"a number in (0, {MAX_TIME_NS:g}] (ns per call)"

#: cases.jsonl: field -> (predicate, what it must be). Fields not listed are kept unchecked.
ROW_FIELDS: dict[str, Check] = {
    "case_id": (
        lambda v: _str(v) and re.fullmatch(r"[0-9a-f]{12}", v) is not None,
        "12 lowercase hex digits",
    ),
    "group": _OPT_STR,
    "impl": (lambda v: _str(v) and 0 < len(v) <= 200, "a non-empty string (an impl name)"),
    "dtype": (_str, "a dtype label string"),
    "dtype_in": _OPT_STR,
    "dtype_out": _OPT_STR,
    "shape": (_opt(_shape), "a list of positive ints"),
    "ndim": _OPT_NONNEG_INT,
    "npix": (_opt(lambda v: _is_int(v) and v >= 1), "an int >= 1 or null"),
    "channels": _OPT_NONNEG_INT,
    "sigma": (_opt(_sigma), f"a number in [{MIN_SIGMA:g}, {MAX_RADIUS}] or a list of them"),
    "mode": _OPT_STR,
    "truncate": (_opt(lambda v: _pos_num(v) and v <= MAX_RADIUS), f"a number in (0, {MAX_RADIUS}]"),
    "order": (_opt(lambda v: _nonneg_int(v) or _list_of(_nonneg_int)(v)), "an int >= 0"),
    "cval": (
        _opt(lambda v: _is_num(v) and abs(v) <= MAX_ABS_CVAL),
        f"a number in [-{MAX_ABS_CVAL:g}, {MAX_ABS_CVAL:g}] or null",
    ),
    "radius": (_opt(lambda v: _nonneg_int(v) or _list_of(_nonneg_int)(v)), "ints >= 0"),
    "axes": (_opt(_list_of(_is_int)), "a list of ints or null"),
    "family": _OPT_STR,
    "status": (
        lambda v: v in ("ok", "unsupported", "unavailable", "error"),
        "one of ok, unsupported, unavailable, error",
    ),
    "reason": _OPT_STR,
    "out_dtype": _OPT_STR,
    "output_sha256": _OPT_STR,
    "threads": _OPT_NONNEG_INT,
    "n_samples": _OPT_NONNEG_INT,
    "loops": _OPT_NONNEG_INT,
    "processes": _OPT_NONNEG_INT,
    "samples_ns": (_opt(_list_of(_time_ns)), _TIME_NS_ALLOWED.replace("a number", "numbers")),
    "ref_ns": (_opt(_list_of(_time_ns)), _TIME_NS_ALLOWED.replace("a number", "numbers")),
    # times per call are divided by (bandwidth, ratios, roofs): zero is refused, not a crash
    **{
        name: (_opt(_time_ns), _TIME_NS_ALLOWED + " or null")
        for name in ("min_ns", "median_ns", "mean_ns", "ci_low_ns", "ci_high_ns")
    },
    **{
        name: _OPT_NONNEG
        for name in (
            "stdev_ns",
            "iqr_ns",
            "peak_mem_bytes",
            "peak_rss_bytes",
            "instructions",
            "instructions_entry",
            "l1_misses",
            "ll_misses",
            "bytes_moved",
            "flops",
            "gbytes_per_s",
            "gflops_per_s",
            "bound_fraction",
            "accuracy_seconds",
            "case_seconds",
            "max_abs_error",
            "rmse",
            "max_ulp_error",
            "max_grey_levels",
            "interior_max_abs_error",
            "border_max_abs_error",
        )
    },
    # a path inside the run folder that compare opens: the one allowed pattern, never free text
    **{
        name: (_opt(is_profile_name), f"null or a name matching {PROFILE_NAME.pattern}")
        for name in ("callgrind_profile", "bytecode_profile")
    },
    "ci_level": (_opt(lambda v: _is_num(v) and 0 <= v <= 1), "a fraction in [0, 1] or null"),
    "frac_correctly_rounded": (
        _opt(lambda v: _is_num(v) and 0 <= v <= 1),
        "a fraction in [0, 1] or null",
    ),
    "bias": _OPT_NUM,
    "unstable": _OPT_BOOL,
    "unstable_reason": _OPT_STR,
    "matches_storage_model": _OPT_BOOL,
    "approximate": _OPT_BOOL,
    "accuracy_error": _OPT_STR,
    "host": _OPT_STR,
    "finished_at": _OPT_STR,
}
ROW_REQUIRED = ("case_id", "impl", "dtype", "status")
#: Longest text kept of a row's field when read back (a reason, a host ...): longer ones are
#: cut with a note, so a 50 MB reason is never echoed whole (the file is left as it is).
MAX_ROW_TEXT = 10_000


def _cross_field_problem(row: Mapping[str, Any]) -> FieldError | None:
    sigma, truncate = row.get("sigma"), row.get("truncate")
    if sigma is not None and truncate is not None:
        widest = max(sigma) if isinstance(sigma, list) else sigma
        if widest * truncate > MAX_RADIUS:
            return FieldError(
                "sigma", f"truncate * sigma is beyond the largest kernel radius {MAX_RADIUS}"
            )
    samples = row.get("samples_ns")
    if samples is not None and row.get("n_samples") not in (None, len(samples)):
        return FieldError("n_samples", "does not match len(samples_ns)")
    return None


def validate_row(row: Any, *, file: str | Path, line: int) -> dict[str, Any]:
    """Check one decoded ``cases.jsonl`` line; return it, or raise FileError (file, line,
    field)."""
    if not isinstance(row, dict):
        raise FileError(file, f"a row must be a JSON object, got {_kind(row)}", line=line)
    for name in ROW_REQUIRED:
        if name not in row:
            raise FileError(file, "is missing (every row needs it)", line=line, field=name)
    for name, (ok, allowed) in ROW_FIELDS.items():
        if name in row and not ok(row[name]):
            raise FileError(
                file,
                f"{_short(row[name])} is not valid; allowed: {allowed}",
                line=line,
                field=name,
            )
    problem = _cross_field_problem(row)
    if problem is not None:
        raise FileError(file, problem.message, line=line, field=problem.field)
    for name, value in row.items():
        if isinstance(value, str) and len(value) > MAX_ROW_TEXT:
            row[name] = f"{value[:MAX_ROW_TEXT]}... ({len(value) - MAX_ROW_TEXT} more characters)"
    return row


def normalise_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """``row`` (a writer's fields) as the JSON ``validate_row`` accepts, else ``FieldError``.

    The writers' side of ``validate_row``: the same table, plus the one normalisation of
    ``normalise_value`` (an integral float for an int field becomes the int). Fields outside
    the table go through ``json_value`` unchecked, as the reader keeps them unchecked.
    """
    for name in ROW_REQUIRED:
        if row.get(name) is None:
            raise FieldError(name, "is missing (every row needs it)")
    out = {
        name: normalise_value(value, ROW_FIELDS[name], field=name)
        if name in ROW_FIELDS
        else json_value(value)
        for name, value in row.items()
    }
    problem = _cross_field_problem(out)
    if problem is not None:
        raise problem
    return out


RUN_FIELDS: dict[str, Check] = {
    "grid": (lambda v: isinstance(v, dict), "an object"),
    "started_at": _OPT_STR,
    "finished_at": _OPT_STR,
    "status": (
        lambda v: v in ("running", "complete", "interrupted"),
        "one of running, complete, interrupted",
    ),
    "gfbench_version": _OPT_STR,
    "git_commit": _OPT_STR,
    "python": _OPT_STR,
    "platform": _OPT_STR,
    "host": _OPT_STR,
    "versions": _DICT_OR_NULL,
    "impl_versions": _DICT_OR_NULL,
    "cpu": _DICT_OR_NULL,
    "threads": _DICT_OR_NULL,
    "timing": _DICT_OR_NULL,
    "peak_rss_method": _DICT_OR_NULL,
    "bandwidth_gbs": (_opt(_pos_num), "a number > 0 or null"),
    "peak_gflops": (_opt(_pos_num), "a number > 0 or null"),
    "pid": (_opt(lambda v: _is_int(v) and 0 < v < 2**31), "a process id or null"),
    "resumes": (_list_of(lambda v: isinstance(v, dict)), "a list of objects"),
    "wall_seconds": _OPT_NONNEG,
    "accuracy_seconds": _OPT_NONNEG,
    "counts": (
        _opt(lambda v: isinstance(v, dict) and all(map(_nonneg_int, v.values()))),
        "an object of counts",
    ),
    "load_average": (_opt(_list_of(_is_num)), "a list of numbers or null"),
    "load_average_end": (_opt(_list_of(_is_num)), "a list of numbers or null"),
    # an A/B session's cases that could not be timed: case id -> why (bench.guard.ab_session)
    "interleave_failures": (
        lambda v: (
            isinstance(v, dict)
            and all(
                isinstance(k, str) and len(k) <= 200 and isinstance(w, str) for k, w in v.items()
            )
        ),
        "an object of case id -> reason",
    ),
}
TIMING_FIELDS: dict[str, Check] = {
    "min_sample_s": (_pos_num, "a number > 0"),
    "repeats": (lambda v: _is_int(v) and v >= 1, "an int >= 1"),
    "warmup": (_nonneg_int, "an int >= 0"),
    "processes": (_nonneg_int, "an int >= 0"),
    "enabled": (_bool, "true or false"),
    "nice": (_opt(lambda v: _is_int(v) and -20 <= v <= 19), "an int -20..19 or null"),
    "metric": (lambda v: v in ("time", "instructions"), "'time' or 'instructions'"),
}
#: what ``gfbench compare`` reads of ``peak_rss_method`` (``bench.sweep.peakrss.describe``)
PEAK_RSS_FIELDS: dict[str, Check] = {
    "fixed_mmap_threshold": _OPT_BOOL,
    "resolution_bytes": _OPT_NONNEG_INT,
}
CPU_FIELDS: dict[str, Check] = {
    "model": _OPT_STR,
    "cores_logical": _OPT_NONNEG_INT,
    "cores_physical": _OPT_NONNEG_INT,
}


def validate_run_meta(meta: Any, *, file: str | Path, schema_version: int) -> dict[str, Any]:
    """Check a decoded ``run.json``; return it, or raise FileError naming the field."""
    if not isinstance(meta, dict):
        raise FileError(file, f"run.json must be a JSON object, got {_kind(meta)}")
    version = meta.get("schema_version")
    if version != schema_version or isinstance(version, bool):
        raise FileError(
            file,
            f"schema_version {_short(version)} is not supported; "
            f"this gfbench reads {schema_version}",
            field="schema_version",
        )
    check_identifier(meta.get("run_id"), file=file, field="run_id")
    _check_fields(meta, RUN_FIELDS, file=file)
    if isinstance(meta.get("timing"), dict):
        _check_fields(meta["timing"], TIMING_FIELDS, file=file, prefix="timing.")
    if isinstance(meta.get("cpu"), dict):
        _check_fields(meta["cpu"], CPU_FIELDS, file=file, prefix="cpu.")
    if isinstance(meta.get("peak_rss_method"), dict):
        _check_fields(
            meta["peak_rss_method"], PEAK_RSS_FIELDS, file=file, prefix="peak_rss_method."
        )
    grid = meta.get("grid")
    if isinstance(grid, dict):
        _check_fields(
            grid,
            {
                "name": _OPT_STR,
                "spec": (lambda v: isinstance(v, dict), "an object (the parsed grid)"),
                "filters": (lambda v: isinstance(v, dict), "an object"),
                "n_cases": _OPT_NONNEG_INT,
            },
            file=file,
            prefix="grid.",
        )
        filters = grid.get("filters")
        if isinstance(filters, dict):
            _check_fields(
                filters,
                {
                    key: (_opt(_list_of(_str)), "a list of strings or null")
                    for key in ("impl", "dtype")
                },
                file=file,
                prefix="grid.filters.",
            )
    return meta


def require_resumable(meta: Mapping[str, Any], *, file: str | Path) -> None:
    """What ``--resume`` needs beyond a readable run.json: the grid spec, filters, timing."""
    grid = meta.get("grid")
    for field, present in (
        ("grid", isinstance(grid, dict)),
        ("grid.spec", isinstance(grid, dict) and isinstance(grid.get("spec"), dict)),
        ("grid.filters", isinstance(grid, dict) and isinstance(grid.get("filters"), dict)),
        ("timing", isinstance(meta.get("timing"), dict)),
    ):
        if not present:
            raise FileError(file, "is missing; this run cannot be resumed", field=field)
    for key in ("min_sample_s", "repeats", "warmup", "processes"):
        if key not in meta["timing"]:
            raise FileError(file, "is missing; this run cannot be resumed", field=f"timing.{key}")
    # the recorded thread settings go back into the environment of the resumed sweep
    for var, value in (meta.get("threads") or {}).items():
        if value is not None and not re.fullmatch(r"[0-9]{1,6}", str(value)):
            raise FileError(file, f"{_short(value)} is not a thread count", field=f"threads.{var}")
