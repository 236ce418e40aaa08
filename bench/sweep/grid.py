"""Grid files: TOML parsing, validation, exclusions and expansion into cases (``Grid``).

A grid file is TOML: groups of axes, each choice with a one-line reason (``why``), defaults and
exclusions; the shipped grids (``bench/sweep/grids/``) must use the full form, a user's may be
short. ``load_grid`` validates (limits, names) and expands it into cases.

Public API: ``Grid``, ``load_grid(name_or_path_or_dict)``, ``expand``, ``GRID_NAMES``, ``AXES``,
``USER_DEFAULTS``.

The format, field by field, and why: docs/sweep.md.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

from bench.exitcodes import UsageError
from bench.store.validate import MAX_ABS_CVAL
from bench.sweep import impls
from bench.sweep.cases import DTYPES, MODES, Case

#: Grid files shipped with the package (``bench/sweep/grids/<name>.toml``).
GRID_NAMES: tuple[str, ...] = ("quick", "full", "guard")

AXES: tuple[str, ...] = ("impl", "dtype", "shape", "sigma", "mode", "truncate", "order", "cval")
_GROUP_KEYS = ("name", "why", *AXES, "channel_axis")
_TOP_KEYS = ("name", "why", "defaults", "group", "exclude")
_MAX_ORDER = 3  # SciPy accepts any order; higher ones add nothing a benchmark needs


@dataclasses.dataclass(frozen=True)
class Grid:
    """An expanded grid.

    Attributes
    ----------
    name : str
    source : str
        Path of the TOML file, or ``"<dict>"``.
    spec : dict
        The parsed TOML, stored in ``run.json`` so ``--resume`` rebuilds the same cases.
    cases : tuple of Case
        Deduplicated by case id, ordered so cases sharing an oracle result are adjacent.
    excluded : int
        How many cases the ``[[exclude]]`` rules dropped.
    """

    name: str
    source: str
    spec: dict
    cases: tuple[Case, ...]
    excluded: int = 0

    def __post_init__(self) -> None:
        ids = [c.case_id for c in self.cases]
        if len(ids) != len(set(ids)):
            raise ValueError("Grid.cases holds duplicate case ids")

    def filtered(
        self, *, impls: Sequence[str] | None = None, dtypes: Sequence[str] | None = None
    ) -> Grid:
        """A copy keeping only the given implementations and dtype labels."""
        cases = tuple(
            c
            for c in self.cases
            if (not impls or c.impl in impls) and (not dtypes or c.dtype in dtypes)
        )
        return dataclasses.replace(self, cases=cases)


# ---------------------------------------------------------------------------------------------
# loading and validation


def _fail(source: str, where: str, message: str) -> UsageError:
    return UsageError(f"grid {source}: {where}: {message}")


def _check_value(source: str, where: str, axis: str, value: Any) -> Any:
    """Validate one axis value; return it in canonical form (tuples for shapes/sigmas)."""

    def is_number(v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)

    if axis == "impl":
        allowed = impls.names()
        if value not in allowed:
            raise _fail(source, where, f"unknown impl {value!r}; allowed: {', '.join(allowed)}")
        return value
    if axis == "dtype":
        if value not in DTYPES:
            raise _fail(source, where, f"unknown dtype {value!r}; allowed: {', '.join(DTYPES)}")
        return value
    if axis == "mode":
        if value not in MODES:
            raise _fail(source, where, f"unknown mode {value!r}; allowed: {', '.join(MODES)}")
        return value
    if axis == "shape":
        if (
            not isinstance(value, list)
            or not 1 <= len(value) <= 4
            or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in value)
        ):
            raise _fail(
                source, where, f"shape must be a list of 1 to 4 positive ints, got {value!r}"
            )
        return tuple(value)
    if axis == "sigma":
        if is_number(value) and value > 0:
            return float(value)
        if isinstance(value, list) and value and all(is_number(v) and v > 0 for v in value):
            return tuple(float(v) for v in value)
        raise _fail(source, where, f"sigma must be a number > 0 or a list of them, got {value!r}")
    if axis == "truncate":
        if not (is_number(value) and value > 0):
            raise _fail(source, where, f"truncate must be a number > 0, got {value!r}")
        return float(value)
    if axis == "order":
        if not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
            raise _fail(source, where, f"order must be an int 0..{_MAX_ORDER}, got {value!r}")
        if value > _MAX_ORDER:
            raise _fail(source, where, f"order must be an int 0..{_MAX_ORDER}, got {value!r}")
        return value
    if axis == "cval":
        if not (is_number(value) and abs(value) <= MAX_ABS_CVAL):
            raise _fail(
                source,
                where,
                f"cval must be a finite number in [-{MAX_ABS_CVAL:g}, {MAX_ABS_CVAL:g}], "
                f"got {value!r}",
            )
        return float(value)
    raise AssertionError(axis)  # pragma: no cover


def _check_why(source: str, where: str, table: Mapping, strict: bool = True) -> None:
    """``why`` is required in shipped grids (``strict``), optional in a user's own."""
    if not strict and "why" not in table:
        return
    why = table.get("why")
    if not isinstance(why, str) or not why.strip():
        raise _fail(source, where, 'needs a one-line reason: why = "..." (a non-empty string)')


def _check_axis(source: str, where: str, axis: str, entry: Any, strict: bool = True) -> tuple:
    if isinstance(entry, list) and not strict:
        entry = {"values": entry}  # a user's short form: sigma = [1.0, 2.0]
    if not isinstance(entry, dict):
        form = 'a table {values = [...], why = "..."}' + ("" if strict else " or a list [...]")
        raise _fail(source, where, f"must be {form}, got {type(entry).__name__}")
    unknown = set(entry) - {"values", "why"}
    if unknown:
        raise _fail(source, where, f"unknown key {sorted(unknown)[0]!r}; allowed: values, why")
    _check_why(source, where, entry, strict)
    values = entry.get("values")
    if not isinstance(values, list):
        raise _fail(source, where, f"'values' must be a list, got {type(values).__name__}")
    if not values:
        raise _fail(source, where, "'values' is empty; an axis needs at least one value")
    return tuple(
        _check_value(source, f"{where}.values[{i}]", axis, v) for i, v in enumerate(values)
    )


def _check_channel_axis(source: str, where: str, entry: Any, strict: bool = True) -> int:
    if not strict and not isinstance(entry, (dict, bool)) and isinstance(entry, int):
        entry = {"value": entry}  # a user's short form: channel_axis = -1
    if not isinstance(entry, dict) or set(entry) - {"value", "why"} or "value" not in entry:
        raise _fail(source, where, 'must be a table {value = <int>, why = "..."} or an int')
    _check_why(source, where, entry, strict)
    value = entry["value"]
    if not isinstance(value, int) or isinstance(value, bool):
        raise _fail(source, where, f"'value' must be an int axis index, got {value!r}")
    return value


def _read_spec(name_or_path: str | Path) -> tuple[dict, str, str]:
    """Return (parsed TOML, source label, grid name fallback)."""
    text_name = str(name_or_path)
    if text_name in GRID_NAMES and not Path(text_name).exists():
        # files("bench.sweep"), not files("bench.sweep.grids"): grids/ is data, not a package
        resource = resources.files("bench.sweep").joinpath("grids", f"{text_name}.toml")
        source = str(resource)
        data = resource.read_text(encoding="utf-8")
    else:
        path = Path(name_or_path)
        if not path.is_file():
            raise UsageError(
                f"--grid: {text_name!r} is neither a grid name ({', '.join(GRID_NAMES)}) "
                "nor an existing TOML file"
            )
        source = str(path)
        try:
            data = path.read_bytes().decode("utf-8")
        except OSError as exc:
            raise UsageError(f"--grid: cannot read {text_name!r}: {exc.strerror or exc}") from None
        except UnicodeDecodeError as exc:
            raise UsageError(
                f"grid {source}: not UTF-8 text (byte {exc.start}); save the TOML file as UTF-8"
            ) from None
    try:
        spec = tomllib.loads(data)
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise UsageError(f"grid {source}: not valid TOML: {exc}") from None
    return spec, source, Path(source).stem


#: Axes a user's grid may leave out: SciPy's defaults, the subject itself and float64.
USER_DEFAULTS: dict[str, tuple] = {
    "impl": ("scipy",),
    "dtype": ("float64",),
    "mode": ("reflect",),
    "truncate": (4.0,),
    "order": (0,),
    "cval": (0.0,),
}


#: Most cases a grid may expand to unless ``--max-cases`` raises it: the full grid has about
#: 4,000; a grid of millions would take the dry run alone minutes and gigabytes.
DEFAULT_MAX_CASES = 50_000


def check_max_cases(max_cases: Any) -> int:
    """``--max-cases``: an int >= 1 (UsageError otherwise)."""
    if isinstance(max_cases, bool) or not isinstance(max_cases, int) or max_cases < 1:
        raise UsageError(f"--max-cases: got {max_cases!r}; allowed: an int >= 1")
    return max_cases


def load_grid(
    name_or_spec: str | Path | Mapping[str, Any],
    *,
    strict: bool | None = None,
    max_cases: int = DEFAULT_MAX_CASES,
) -> Grid:
    """Load, validate and expand a grid.

    Parameters
    ----------
    name_or_spec : str, Path or dict
        A shipped grid name (``"quick"``, ``"full"``), a path to a TOML file, or an already
        parsed grid dict (as stored in ``run.json["grid"]["spec"]``).
    max_cases : int
        Most cases the groups' axes may multiply to (before deduplication and exclusions),
        checked before any case is built: a larger grid is refused naming ``--max-cases``.
    strict : bool, optional
        Require the full form: every axis a table with its ``why``, every axis given. Default:
        True for the shipped grids, False for a user's file or dict, which may write axes as
        plain lists (``sigma = [1.0, 2.0]``), leave out ``why`` and leave out the axes of
        ``USER_DEFAULTS`` (``shape`` and ``sigma`` are always needed).

    Returns
    -------
    Grid
        Deduplicated cases, ordered by oracle key (cases sharing an ideal output are adjacent
        so the accuracy cache serves them all).

    Raises
    ------
    bench.exitcodes.UsageError
        Unknown key, wrong type, empty axis, unknown mode/dtype/impl, missing ``why``; the
        message names the file, the key and the allowed values.
    """
    if strict is None:
        strict = (
            not isinstance(name_or_spec, Mapping)
            and str(name_or_spec) in GRID_NAMES
            and not Path(str(name_or_spec)).exists()
        )
    if isinstance(name_or_spec, Mapping):
        spec, source, fallback = dict(name_or_spec), "<dict>", "custom"
    else:
        spec, source, fallback = _read_spec(name_or_spec)
    unknown = set(spec) - set(_TOP_KEYS)
    if unknown:
        raise _fail(
            source,
            "top level",
            f"unknown key {sorted(unknown)[0]!r}; allowed: {', '.join(_TOP_KEYS)}",
        )
    name = spec.get("name", fallback)
    if not isinstance(name, str) or not name:
        raise _fail(source, "name", "must be a non-empty string")
    _check_why(source, "top level", spec, strict)

    defaults_raw = spec.get("defaults", {})
    if not isinstance(defaults_raw, dict):
        raise _fail(source, "defaults", "must be a table")
    unknown = set(defaults_raw) - {*AXES, "channel_axis", "why"}
    if unknown:
        raise _fail(
            source,
            "defaults",
            f"unknown key {sorted(unknown)[0]!r}; allowed: {', '.join((*AXES, 'channel_axis'))}",
        )
    defaults = {} if strict else dict(USER_DEFAULTS)
    defaults |= {
        axis: _check_axis(source, f"defaults.{axis}", axis, entry, strict)
        for axis, entry in defaults_raw.items()
        if axis in AXES
    }

    groups = spec.get("group")
    if not isinstance(groups, list) or not groups:
        raise _fail(source, "group", "needs at least one [[group]] table")
    cases: dict[str, Case] = {}
    seen_names: set[str] = set()
    planned = 0  # the product of each group's axes, summed: known before anything is built
    for gi, group in enumerate(groups):
        where = f"group[{gi}]"
        if not isinstance(group, dict):
            raise _fail(source, where, "must be a table")
        gname = group.get("name")
        if not isinstance(gname, str) or not gname:
            raise _fail(source, f"{where}.name", "must be a non-empty string")
        if gname in seen_names:
            raise _fail(source, f"{where}.name", f"duplicate group name {gname!r}")
        seen_names.add(gname)
        where = f"group {gname!r}"
        unknown = set(group) - set(_GROUP_KEYS)
        if unknown:
            raise _fail(
                source,
                where,
                f"unknown key {sorted(unknown)[0]!r}; allowed: {', '.join(_GROUP_KEYS)}",
            )
        _check_why(source, where, group, strict)
        axes: dict[str, tuple] = {}
        for axis in AXES:
            if axis in group:
                axes[axis] = _check_axis(source, f"{where}.{axis}", axis, group[axis], strict)
            elif axis in defaults:
                axes[axis] = defaults[axis]
            else:
                raise _fail(source, where, f"axis {axis!r} is missing (and not in [defaults])")
        channel_axis = None
        if "channel_axis" in group:
            channel_axis = _check_channel_axis(
                source, f"{where}.channel_axis", group["channel_axis"], strict
            )
        planned += math.prod(len(axes[a]) for a in AXES)
        if planned > max_cases:
            raise _fail(
                source,
                where,
                f"the grid's axes multiply to {planned} cases or more, over the limit of "
                f"{max_cases}; split the grid, or raise the limit with --max-cases",
            )
        for values in itertools.product(*(axes[a] for a in AXES)):
            params = dict(zip(AXES, values, strict=True))
            try:
                case = Case(**params, channel_axis=channel_axis, group=gname)
            except ValueError as exc:
                raise _fail(source, where, str(exc)) from None
            cases.setdefault(case.case_id, case)

    rules = spec.get("exclude", [])
    if not isinstance(rules, list):
        raise _fail(source, "exclude", "must be an array of tables [[exclude]]")
    checked_rules = []
    for ri, rule in enumerate(rules):
        where = f"exclude[{ri}]"
        if not isinstance(rule, dict):
            raise _fail(source, where, "must be a table")
        unknown = set(rule) - {"why", "group", *AXES}
        if unknown:
            raise _fail(
                source,
                where,
                f"unknown key {sorted(unknown)[0]!r}; allowed: why, group, {', '.join(AXES)}",
            )
        _check_why(source, where, rule, strict)
        match: dict[str, set] = {}
        for key, values in rule.items():
            if key == "why":
                continue
            if not isinstance(values, list) or not values:
                raise _fail(source, f"{where}.{key}", "must be a non-empty list of values")
            if key == "group":
                if not all(isinstance(v, str) for v in values):
                    raise _fail(source, f"{where}.group", "must be a list of group names")
                match[key] = set(values)
            else:
                match[key] = {_check_value(source, f"{where}.{key}", key, v) for v in values}
        if not match:
            raise _fail(source, where, "matches every case; name at least one axis")
        checked_rules.append(match)

    def excluded(case: Case) -> bool:
        return any(all(getattr(case, k) in vals for k, vals in r.items()) for r in checked_rules)

    kept = [c for c in cases.values() if not excluded(c)]
    if cases and not kept:
        raise _fail(
            source, "exclude", f"the [[exclude]] rules remove all {len(cases)} cases; none is left"
        )
    kept.sort(key=_order_key)
    return Grid(
        name=name,
        source=source,
        spec=spec,
        cases=tuple(kept),
        excluded=len(cases) - len(kept),
    )


def _order_key(case: Case) -> tuple:
    # Adjacent cases share the input and the oracle result (cache hits); small inputs first
    # so a user sees progress early.
    return (case.npix, repr(case.oracle_key), case.dtype, case.impl)


def expand(cases: Iterable[Case]) -> list[dict[str, Any]]:
    """The cases as plain dicts (for ``--dry-run`` listings and tests)."""
    return [{"case_id": c.case_id, "group": c.group, **c.params()} for c in cases]
