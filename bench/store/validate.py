"""Validation of everything gfbench reads from disk, and of every output path.

Results folders travel between people and CI machines, so every field of ``run.json``,
``cases.jsonl``, a verify JSON and ``matrix.json`` is untrusted. The checks here run on load and
raise ``FileError`` (a ``UsageError``: exit 2) naming the file, the line and the field. No
jsonschema or pydantic dependency: each field is one predicate on the decoded JSON value, and a
row is then built as a ``bench.store.Row`` so its own cross-field checks run too.

Paths: an identifier that becomes a path component (a run id, a matrix environment folder) must
match ``IDENTIFIER`` and, once joined and resolved, stay inside its parent (``child_path``).
Output paths are checked by ``bench.outputs``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from bench.exitcodes import UsageError

#: A name that becomes one path component: letters, digits, ``.``, ``_``, ``-``; starts with a
#: letter or digit (so never ``.``, ``..`` or a hidden file), at most 128 characters.
IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")

#: Smallest sigma accepted anywhere: SciPy squares sigma, and a square that underflows to 0
#: gives a NaN kernel (and divisions by zero downstream).
MIN_SIGMA = 1e-100
#: Largest kernel radius (truncate * sigma) accepted: 2 * 100000 + 1 taps is already far
#: beyond any image a benchmark filters, and larger values overflow or allocate absurdly.
MAX_RADIUS = 100_000


class FileError(UsageError):
    """A file read from disk is not what gfbench wrote: names the file, line and field."""

    def __init__(
        self, file: str | Path, message: str, *, line: int | None = None, field: str | None = None
    ) -> None:
        where = str(file)
        if line is not None:
            where += f": line {line}"
        if field is not None:
            where += f": field {field!r}"
        super().__init__(f"{where}: {message}")


# -- paths ---------------------------------------------------------------------------------------


def check_identifier(value: Any, *, file: str | Path, field: str, line: int | None = None) -> str:
    """``value`` if it is a safe single path component (``IDENTIFIER``), else ``FileError``."""
    if not isinstance(value, str) or not IDENTIFIER.fullmatch(value):
        raise FileError(
            file,
            f"{_short(value)} is not a valid identifier (letters, digits, '.', '_', '-'; "
            "starting with a letter or digit; at most 128 characters)",
            line=line,
            field=field,
        )
    return value


def child_path(parent: str | Path, name: str, *, what: str) -> Path:
    """``parent / name``, resolved, refused (UsageError) unless it stays inside ``parent``."""
    base = Path(parent).resolve()
    target = (base / name).resolve()
    if target == base or base not in target.parents:
        raise UsageError(f"{what}: {name!r} would leave the folder {str(base)!r}")
    return target


# -- JSON files ----------------------------------------------------------------------------------


def read_json_object(path: str | Path, *, what: str) -> dict[str, Any]:
    """Parse a JSON file that must hold an object; FileError otherwise (never a traceback)."""
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except OSError as exc:
        raise FileError(path, f"cannot read the {what}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise FileError(path, f"the {what} is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise FileError(path, f"the {what} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise FileError(path, f"the {what} must be a JSON object, got {_kind(data)}")
    return data


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# predicates on decoded JSON values
def _is_int(v: Any) -> bool:
    # within int64: pandas and numpy hold larger ones as Python objects that break arithmetic
    return isinstance(v, int) and not isinstance(v, bool) and -(2**63) <= v < 2**63


def _is_num(v: Any) -> bool:
    return (_is_int(v) or isinstance(v, float)) and math.isfinite(v)


def _nonneg_int(v: Any) -> bool:
    return _is_int(v) and v >= 0


def _nonneg_num(v: Any) -> bool:
    return _is_num(v) and v >= 0


def _str(v: Any) -> bool:
    return isinstance(v, str)


def _bool(v: Any) -> bool:
    return isinstance(v, bool)


def _opt(pred: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda v: v is None or pred(v)


def _list_of(pred: Callable[[Any], bool], *, nonempty: bool = False) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, list) and (bool(v) or not nonempty) and all(map(pred, v))


def _pos_num(v: Any) -> bool:
    return _is_num(v) and v > 0


def _sigma_value(v: Any) -> bool:
    return _is_num(v) and MIN_SIGMA <= v <= MAX_RADIUS


def _sigma(v: Any) -> bool:
    return _sigma_value(v) or _list_of(_sigma_value, nonempty=True)(v)


def _shape(v: Any) -> bool:
    return _list_of(lambda n: _is_int(n) and n >= 1, nonempty=True)(v) and len(v) <= 32


Check = tuple[Callable[[Any], bool], str]

_OPT_STR: Check = (_opt(_str), "a string or null")
_OPT_NUM: Check = (_opt(_is_num), "a finite number or null")
_OPT_NONNEG: Check = (_opt(_nonneg_num), "a number >= 0 or null")
_OPT_NONNEG_INT: Check = (_opt(_nonneg_int), "an int >= 0 or null")
_OPT_BOOL: Check = (_opt(_bool), "true, false or null")

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
    "npix": _OPT_NONNEG_INT,
    "channels": _OPT_NONNEG_INT,
    "sigma": (_opt(_sigma), f"a number in [{MIN_SIGMA:g}, {MAX_RADIUS}] or a list of them"),
    "mode": _OPT_STR,
    "truncate": (_opt(lambda v: _pos_num(v) and v <= MAX_RADIUS), f"a number in (0, {MAX_RADIUS}]"),
    "order": (_opt(lambda v: _nonneg_int(v) or _list_of(_nonneg_int)(v)), "an int >= 0"),
    "cval": _OPT_NUM,
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
    "samples_ns": (_opt(_list_of(_nonneg_num)), "a list of numbers >= 0 or null"),
    **{
        name: _OPT_NONNEG
        for name in (
            "min_ns",
            "median_ns",
            "mean_ns",
            "stdev_ns",
            "iqr_ns",
            "ci_low_ns",
            "ci_high_ns",
            "peak_mem_bytes",
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
    sigma, truncate = row.get("sigma"), row.get("truncate")
    if sigma is not None and truncate is not None:
        widest = max(sigma) if isinstance(sigma, list) else sigma
        if widest * truncate > MAX_RADIUS:
            raise FileError(
                file,
                f"truncate * sigma is beyond the largest kernel radius {MAX_RADIUS}",
                line=line,
                field="sigma",
            )
    samples = row.get("samples_ns")
    if samples is not None and row.get("n_samples") not in (None, len(samples)):
        raise FileError(file, "does not match len(samples_ns)", line=line, field="n_samples")
    return row


def _check_fields(
    data: Mapping[str, Any], spec: Mapping[str, Check], *, file: str | Path, prefix: str = ""
) -> None:
    for name, (ok, allowed) in spec.items():
        if name in data and not ok(data[name]):
            raise FileError(
                file,
                f"{_short(data[name])} is not valid; allowed: {allowed}",
                field=prefix + name,
            )


_DICT_OR_NULL: Check = (_opt(lambda v: isinstance(v, dict)), "an object or null")
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
}
TIMING_FIELDS: dict[str, Check] = {
    "min_sample_s": (_pos_num, "a number > 0"),
    "repeats": (lambda v: _is_int(v) and v >= 1, "an int >= 1"),
    "warmup": (_nonneg_int, "an int >= 0"),
    "processes": (_nonneg_int, "an int >= 0"),
    "enabled": (_bool, "true or false"),
    "nice": (_opt(lambda v: _is_int(v) and -20 <= v <= 19), "an int -20..19 or null"),
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


#: verify JSON (``gfbench verify --json``): per-test fields and a probe's observation.
VERIFY_TEST_FIELDS: dict[str, Check] = {
    "nodeid": (_str, "a string"),
    "outcome": (_str, "a string"),
    "case": _OPT_STR,
    "group": _OPT_STR,
    "message": _OPT_STR,
    "details": _DICT_OR_NULL,
}
OBSERVED_FIELDS: dict[str, Check] = {
    "accepted": _OPT_BOOL,
    "exception": _OPT_STR,
    "message": _OPT_STR,
    "dtype": _OPT_STR,
    "shape": (_opt(_list_of(_is_int)), "a list of ints or null"),
    "sha256": _OPT_STR,
    # sums of large outputs may overflow to inf, which Python's json writes as Infinity
    "sum": (_opt(lambda v: _is_int(v) or isinstance(v, float)), "a number or null"),
    "max": (_opt(lambda v: _is_int(v) or isinstance(v, float)), "a number or null"),
    "warnings": (_opt(_list_of(_str)), "a list of strings or null"),
}


def validate_verify(data: Any, *, file: str | Path) -> dict[str, Any]:
    """Check a decoded verify result; FileError naming the field otherwise."""
    if not isinstance(data, dict):
        raise FileError(file, f"a verify result must be a JSON object, got {_kind(data)}")
    if data.get("tool") != "gfbench verify":
        raise FileError(
            file, 'must be "gfbench verify" (the JSON of `gfbench verify --json`)', field="tool"
        )
    tests = data.get("tests")
    if not isinstance(tests, list):
        raise FileError(file, "must be a list of test results", field="tests")
    for index, test in enumerate(tests):
        where = f"tests[{index}]"
        if not isinstance(test, dict):
            raise FileError(file, f"must be an object, got {_kind(test)}", field=where)
        _check_fields(test, VERIFY_TEST_FIELDS, file=file, prefix=f"{where}.")
        details = test.get("details")
        observed = details.get("observed") if isinstance(details, dict) else None
        if isinstance(observed, dict):
            _check_fields(observed, OBSERVED_FIELDS, file=file, prefix=f"{where}.details.observed.")
    for key in ("environment", "summary", "capabilities"):
        if key in data and not isinstance(data[key], dict):
            raise FileError(file, "must be an object", field=key)
    return data


BIGARRAY_MODE_FIELDS: dict[str, Check] = {
    "mode": (_str, "a mode name"),
    "equals_scipy": (_bool, "true or false"),
    "max_abs_diff": (_nonneg_num, "a number >= 0"),
    "n_diff_pixels": (_nonneg_int, "an int >= 0"),
    "n_diff_interior": (_nonneg_int, "an int >= 0"),
}


def validate_bigarray(data: Any, *, file: str | Path) -> dict[str, Any]:
    """Check a decoded ``bigarray.json`` (what the report reads of it)."""
    if not isinstance(data, dict):
        raise FileError(file, f"bigarray.json must be a JSON object, got {_kind(data)}")
    if "spec" in data and not isinstance(data["spec"], dict):
        raise FileError(file, "must be an object", field="spec")
    modes = data.get("modes")
    if not isinstance(modes, list):
        raise FileError(file, "must be a list", field="modes")
    for index, mode in enumerate(modes):
        if not isinstance(mode, dict):
            raise FileError(file, f"must be an object, got {_kind(mode)}", field=f"modes[{index}]")
        for name, (ok, allowed) in BIGARRAY_MODE_FIELDS.items():
            if not ok(mode.get(name)):
                raise FileError(
                    file,
                    f"{_short(mode.get(name))} is not valid; allowed: {allowed}",
                    field=f"modes[{index}].{name}",
                )
    return data


def validate_matrix(data: Any, *, file: str | Path) -> dict[str, Any]:
    """Check a decoded ``matrix.json``: every environment folder is a safe identifier."""
    if not isinstance(data, dict):
        raise FileError(file, f"matrix.json must be a JSON object, got {_kind(data)}")
    envs = data.get("environments", [])
    if not isinstance(envs, list):
        raise FileError(file, "must be a list", field="environments")
    for index, env in enumerate(envs):
        where = f"environments[{index}]"
        if not isinstance(env, dict):
            raise FileError(file, f"must be an object, got {_kind(env)}", field=where)
        if env.get("status") == "ok":
            check_identifier(env.get("folder"), file=file, field=f"{where}.folder")
    return data


__all__ = [
    "IDENTIFIER",
    "FileError",
    "check_identifier",
    "child_path",
    "read_json_object",
    "require_resumable",
    "validate_bigarray",
    "validate_matrix",
    "validate_row",
    "validate_run_meta",
    "validate_verify",
]
