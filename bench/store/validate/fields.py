"""Predicates on decoded JSON values, and ``_check_fields``: one table of field -> (predicate,
what it must be) checked against an object. No jsonschema or pydantic: each field is one
predicate, so the error names the field and what it allows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from bench.store.validate.files import FileError, _short


class FieldError(ValueError):
    """A value that breaks the schema, before any file is involved: names the field."""

    def __init__(self, field: str, message: str, *, owner: str = "") -> None:
        self.field = field
        self.message = message
        super().__init__(f"{owner + ' ' if owner else ''}field {field!r}: {message}")


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


Check = tuple[Callable[[Any], bool], str]

_OPT_STR: Check = (_opt(_str), "a string or null")
_OPT_NUM: Check = (_opt(_is_num), "a finite number or null")
_OPT_NONNEG: Check = (_opt(_nonneg_num), "a number >= 0 or null")
_OPT_NONNEG_INT: Check = (_opt(_nonneg_int), "an int >= 0 or null")
_OPT_BOOL: Check = (_opt(_bool), "true, false or null")
_DICT_OR_NULL: Check = (_opt(lambda v: isinstance(v, dict)), "an object or null")


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


# -- normalising a value to what the checks accept (the writers' side) -------------------------


def json_value(value: Any) -> Any:
    """``value`` as JSON will hold it: numpy scalars and arrays become Python, tuples lists,
    and a non-finite float null (JSON has no NaN; a metric that is not finite is not a number).
    """
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        value = value.tolist()  # numpy scalar or array (pandas hands rows out as numpy values)
    if isinstance(value, (tuple, list)):
        return [json_value(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _integral(value: Any) -> Any:
    # an int that went through a float column (pandas: a column with a missing value) is
    # still that int: 3.0 -> 3; anything else is returned unchanged
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_integral(v) for v in value]
    return value


def normalise_value(value: Any, check: Check, *, field: str) -> Any:
    """``value`` as the reader's ``check`` accepts it, else ``FieldError`` naming ``field``.

    The one normalisation: an integral float where the check wants an int becomes that int
    (``channels`` 3.0 -> 3). Everything else the check refuses is refused here too, so a
    writer can never write what the reader refuses.
    """
    ok, allowed = check
    converted = json_value(value)
    if ok(converted):
        return converted
    coerced = _integral(converted)
    if ok(coerced):
        return coerced
    raise FieldError(field, f"{_short(value)} is not valid; allowed: {allowed}")
