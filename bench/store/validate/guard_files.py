"""Checks of the guard's files: a verify result (``gfbench verify --json``, read by
``gfbench compare``), ``matrix.json`` (whose environment folders become paths) and a matrix
environment's ``env.json`` (what ``gfbench compare`` shows of it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.store.validate.fields import (
    _DICT_OR_NULL,
    _OPT_BOOL,
    _OPT_STR,
    Check,
    _check_fields,
    _is_int,
    _list_of,
    _opt,
    _str,
)
from bench.store.validate.files import FileError, _kind, _short, check_identifier

#: The schema versions this gfbench reads (``bench.guard.verify.SCHEMA_VERSION``, written as
#: ``"schema"``; ``bench.guard.matrix_record.SCHEMA_VERSION``, as ``"schema_version"``). A file
#: without the key is from before it was written, and read as the current version.
VERIFY_SCHEMA_VERSION = 1
MATRIX_SCHEMA_VERSION = 2


def check_schema(data: dict, key: str, version: int, *, file: str | Path) -> None:
    """FileError unless ``data[key]`` is missing or exactly ``version``."""
    if key in data and (data[key] != version or isinstance(data[key], bool)):
        raise FileError(
            file,
            f"{_short(data[key])} is not supported; this gfbench reads {version}",
            field=key,
        )


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
    check_schema(data, "schema", VERIFY_SCHEMA_VERSION, file=file)
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


def validate_matrix(data: Any, *, file: str | Path) -> dict[str, Any]:
    """Check a decoded ``matrix.json``: every environment folder is a safe identifier."""
    if not isinstance(data, dict):
        raise FileError(file, f"matrix.json must be a JSON object, got {_kind(data)}")
    check_schema(data, "schema_version", MATRIX_SCHEMA_VERSION, file=file)
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


#: env.json (one matrix environment): what ``gfbench compare`` reads of it.
ENV_FIELDS: dict[str, Check] = {
    "label": _OPT_STR,
    "spec": _OPT_STR,
    "kind": _OPT_STR,
    "python": _OPT_STR,
    "versions": _DICT_OR_NULL,
    "provenance": _DICT_OR_NULL,
    "env_vars": (
        _opt(lambda v: isinstance(v, dict) and all(map(_str, v.values()))),
        "an object of strings or null",
    ),
}


def validate_env(data: Any, *, file: str | Path) -> dict[str, Any]:
    """Check a decoded ``env.json`` (a matrix environment); FileError naming the field."""
    if not isinstance(data, dict):
        raise FileError(file, f"env.json must be a JSON object, got {_kind(data)}")
    _check_fields(data, ENV_FIELDS, file=file)
    return data


#: ``history.json``'s matrix: its folder when history.json lies inside it (``history/``), or a
#: folder beside history.json (a timeline moved out, as reports/history/ holds it)
HISTORY_MATRIX_PARENT = ".."


def validate_history(data: Any, *, file: str | Path) -> dict[str, Any]:
    """Check a decoded ``history.json``: its paths are relative and stay where they belong.

    ``matrix`` is ``..`` or one folder name, ``figures`` are file names in history.json's own
    folder: a results folder travels between machines, and an absolute or climbing path from
    elsewhere must never become a path here.
    """
    if not isinstance(data, dict):
        raise FileError(file, f"history.json must be a JSON object, got {_kind(data)}")
    matrix = data.get("matrix")
    if matrix != HISTORY_MATRIX_PARENT:
        check_identifier(matrix, file=file, field="matrix")
    figures = data.get("figures")
    if not isinstance(figures, list):
        raise FileError(file, "must be a list of file names", field="figures")
    for index, name in enumerate(figures):
        check_identifier(name, file=file, field=f"figures[{index}]")
        if not name.endswith(".png"):
            raise FileError(file, f"{_short(name)} is not a .png file", field=f"figures[{index}]")
    for key in ("sentences", "skipped"):
        if not (isinstance(data.get(key), list) and all(map(_str, data[key]))):
            raise FileError(file, "must be a list of strings", field=key)
    if not isinstance(data.get("table"), list):
        raise FileError(file, "must be a list of rows", field="table")
    return data
