"""Check of ``bigarray.json`` (``gfbench bigarray``): what the report reads of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.store.validate.fields import Check, _bool, _nonneg_int, _nonneg_num, _str
from bench.store.validate.files import FileError, _kind, _short

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
