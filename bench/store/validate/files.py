"""What every check raises and reads with: ``FileError``, JSON objects from disk, and names
that become paths (``IDENTIFIER``, ``check_identifier``, ``child_path``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from bench.exitcodes import UsageError
from bench.store.safe_files import MAX_JSON_BYTES, read_capped

#: A name that becomes one path component: letters, digits, ``.``, ``_``, ``-``; starts with a
#: letter or digit (so never ``.``, ``..`` or a hidden file), at most 128 characters.
IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
#: Deepest nesting of arrays/objects accepted in any JSON gfbench reads: its own files nest at
#: most 6 deep; deeper input only exists to exhaust the recursion of later code.
MAX_DEPTH = 32


class FileError(UsageError):
    """A file read from disk is not what gfbench wrote: names the file, line and field."""

    def __init__(
        self, file: str | Path, message: str, *, line: int | None = None, field: str | None = None
    ) -> None:
        self.file, self.message, self.line, self.field = file, message, line, field
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


def json_depth_ok(data: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether ``data`` nests arrays/objects at most ``limit`` deep (iterative: no recursion)."""
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth >= limit:
            return False
        stack.extend((child, depth + 1) for child in children)
    return True


def decode_json(raw: bytes, *, file: str | Path, what: str, line: int | None = None) -> Any:
    """Decode UTF-8 JSON bytes from disk: FileError for bad UTF-8, bad JSON or deep nesting."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileError(
            file, f"the {what} is not UTF-8 text (byte {exc.start})", line=line
        ) from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:  # ValueError: also an int of > 4300 digits
        raise FileError(
            file, f"the {what} is not valid JSON: {_shorten(str(exc))}", line=line
        ) from None
    if not json_depth_ok(data):
        raise FileError(file, f"the {what} nests deeper than {MAX_DEPTH} levels", line=line)
    return data


def read_json_object(
    path: str | Path,
    *,
    what: str,
    root: str | Path | None = None,
    max_bytes: int = MAX_JSON_BYTES,
) -> dict[str, Any]:
    """Parse a JSON file that must hold an object; FileError otherwise (never a traceback).

    Read through ``bench.store.safe_files``: a regular file (not a link, FIFO or folder) of at
    most ``max_bytes``, inside ``root`` when given.
    """
    try:
        raw = read_capped(path, max_bytes=max_bytes, root=root)
    except UsageError:
        raise
    except OSError as exc:
        raise FileError(path, f"cannot read the {what}: {exc.strerror or exc}") from None
    data = decode_json(raw, file=path, what=what)
    if not isinstance(data, dict):
        raise FileError(path, f"the {what} must be a JSON object, got {_kind(data)}")
    return data


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _short(value: Any) -> str:
    if isinstance(value, (list, dict)) and len(value) > 20:
        return f"a {type(value).__name__} of {len(value)} items"
    if isinstance(value, str) and len(value) > 200:
        value = value[:200]
    try:
        text = repr(value)
    except ValueError:  # an int of more than 4300 digits
        text = "a number too large to print"
    return _shorten(text)


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
