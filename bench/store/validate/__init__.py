"""Validation of everything gfbench reads from disk, and of every output path.

Every field of ``run.json``, ``cases.jsonl``, a verify JSON, ``matrix.json``, ``env.json`` and
``history.json`` is checked on load: ``FileError`` (exit 2) names the file, line and field.

Modules: ``files`` (``FileError``, JSON objects, identifiers, child paths), ``fields``
(predicates and the field-table check), ``run_folder`` (run.json, cases.jsonl, --resume),
``guard_files`` (verify JSON, matrix.json, env.json, history.json), ``bigarray``, ``writing``
(``checked_json``: a file's reader check runs before it is written).

Why: docs/results-format.md.
"""

from bench.store.validate.bigarray import validate_bigarray
from bench.store.validate.fields import FieldError
from bench.store.validate.files import (
    IDENTIFIER,
    FileError,
    check_identifier,
    child_path,
    read_json_object,
)
from bench.store.validate.guard_files import (
    validate_env,
    validate_history,
    validate_matrix,
    validate_verify,
)
from bench.store.validate.run_folder import (
    MAX_ABS_CVAL,
    MAX_RADIUS,
    MIN_SIGMA,
    normalise_row,
    require_resumable,
    validate_row,
    validate_run_meta,
)
from bench.store.validate.writing import InvalidWrite, blame_writer, checked_json, writer_note

__all__ = [
    "IDENTIFIER",
    "MAX_ABS_CVAL",
    "MAX_RADIUS",
    "MIN_SIGMA",
    "FieldError",
    "FileError",
    "InvalidWrite",
    "blame_writer",
    "check_identifier",
    "checked_json",
    "child_path",
    "normalise_row",
    "read_json_object",
    "require_resumable",
    "validate_bigarray",
    "validate_env",
    "validate_history",
    "validate_matrix",
    "validate_row",
    "validate_run_meta",
    "validate_verify",
    "writer_note",
]
