"""Validation of everything gfbench reads from disk, and of every output path.

Results folders travel between people and CI machines, so every field of ``run.json``,
``cases.jsonl``, a verify JSON and ``matrix.json`` is untrusted. The checks here run on load and
raise ``FileError`` (a ``UsageError``: exit 2) naming the file, the line and the field. No
jsonschema or pydantic dependency: each field is one predicate on the decoded JSON value. (A row
read back stays a dict: ``bench.store.Row``'s own cross-field checks run where rows are built,
not on load.)

Paths: an identifier that becomes a path component (a run id, a matrix environment folder) must
match ``IDENTIFIER`` and, once joined and resolved, stay inside its parent (``child_path``).
Output paths are checked by ``bench.outputs``.

Modules: ``files`` (``FileError``, reading a JSON object, identifiers and child paths),
``fields`` (predicates on decoded JSON values and the field-table check the others share),
``run_folder`` (``run.json`` and ``cases.jsonl``, and what ``--resume`` needs), ``guard_files``
(the guard's verify JSON, ``matrix.json`` and ``env.json``), ``bigarray`` (``bigarray.json``),
``writing`` (the writers' side: ``checked_json`` runs a file's reader check before it is
written, and a refusal of a folder gfbench wrote says it is a gfbench bug). ``Row`` checks and
normalises its fields with ``normalise_row``, the writers' side of ``validate_row``.
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
