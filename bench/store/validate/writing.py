"""The writers' side of the checks: nothing gfbench writes can be refused when read back.

Every JSON file the project writes and later reads (run.json, verify JSON, matrix.json,
env.json, bigarray.json, a ``timing-units.jsonl`` line) is serialised by ``checked_json``: the
text is decoded again and passed through the same validator the reader uses, before a byte is
written. A refusal there is a bug in gfbench, so it raises ``InvalidWrite`` (a ``ValueError``,
never a ``UsageError``: the user's input is not at fault) naming the file and the field.

The reading side says the same when it meets a file gfbench wrote (``writer_note``): a run
folder whose ``run.json`` records the gfbench that wrote it is a writer's bug to report, not the
user's file to fix.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from bench.store.validate.files import FileError

REPORT_HINT = "please report it to the gfbench maintainers with the folder"


class InvalidWrite(ValueError):
    """gfbench was about to write a file its own reader refuses: a bug in gfbench."""


def checked_json(
    data: Any,
    validate: Callable[..., Any],
    *,
    file: str | Path,
    indent: int | None = 1,
    separators: tuple[str, str] | None = None,
    **validate_kwargs: Any,
) -> str:
    """``data`` as JSON text that ``validate(decoded, file=file, **validate_kwargs)`` accepts.

    ``default=str`` as every writer here used; ``allow_nan=False`` because the readers are
    strict JSON (a NaN would be written as the non-JSON token ``NaN``).
    """
    try:
        text = json.dumps(data, indent=indent, separators=separators, default=str,
                          allow_nan=False)  # fmt: skip
    except ValueError as exc:
        raise InvalidWrite(f"{file}: gfbench would write an invalid file ({exc}); "
                           f"this is a bug in gfbench: {REPORT_HINT}") from None  # fmt: skip
    try:
        validate(json.loads(text), file=file, **validate_kwargs)
    except FileError as exc:
        raise InvalidWrite(
            f"gfbench would write a file it refuses to read: {exc}; this is a bug in gfbench: "
            f"{REPORT_HINT}"
        ) from None
    return text


def writer_note(meta: Mapping[str, Any] | None) -> str | None:
    """What to add to a refusal of a file in a folder gfbench wrote, or None if not ours.

    ``meta`` is the folder's ``run.json`` (or another record carrying ``gfbench_version``).
    A folder without that record is untrusted input from elsewhere: the plain error stands.
    """
    if not isinstance(meta, Mapping):
        return None
    version = meta.get("gfbench_version")
    if not isinstance(version, str) or not version:
        return None
    from bench import __version__

    this = "this version" if version == __version__ else f"this is gfbench {__version__}"
    commit = meta.get("git_commit")
    at = f" at commit {commit[:12]}" if isinstance(commit, str) and commit else ""
    return (
        f"this folder was written by gfbench {version}{at} ({this}), whose reader should "
        f"never refuse what its writer wrote: a bug in gfbench, not in your files; "
        f"{REPORT_HINT} (unless it was edited by hand)"
    )


def blame_writer(error: FileError, meta: Mapping[str, Any] | None) -> FileError:
    """``error`` with ``writer_note(meta)`` appended when gfbench wrote the folder."""
    note = writer_note(meta)
    if note is None:
        return error
    return FileError(error.file, f"{error.message}; {note}", line=error.line, field=error.field)
