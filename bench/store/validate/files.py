"""What every check raises and reads with: ``FileError``, JSON objects from disk, and names
that become paths (``IDENTIFIER``, ``check_identifier``, ``child_path``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from bench.exitcodes import UsageError

#: A name that becomes one path component: letters, digits, ``.``, ``_``, ``-``; starts with a
#: letter or digit (so never ``.``, ``..`` or a hidden file), at most 128 characters.
IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


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
