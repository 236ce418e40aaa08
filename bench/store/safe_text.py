"""Strings read from results files, made inert for each place they are shown.

A label, reason or host name in ``run.json``, ``cases.jsonl`` or ``env.json`` is data, never
markup or a terminal command. Each renderer passes such strings through one function here:

- ``terminal`` / ``one_line``: ANSI escapes removed, other control characters made visible;
- ``markdown_text`` / ``markdown_fence``: Markdown and HTML syntax escaped; fences that hold;
- ``redact_url`` / ``redact``: the ``user:password@`` of every URL replaced by ``***@``;
- ``cap``: long strings cut to ``MAX_ECHO_CHARS``, saying what was cut.

Why: docs/reliability.md#text-from-results-files.
"""

from __future__ import annotations

import re

#: Longest string from a results file echoed whole (terminal, Markdown, HTML).
MAX_ECHO_CHARS = 2000

_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROL_KEEP_NL = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
_CONTROL_ALL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/?#@\s]*)@")


def cap(text: str, limit: int = MAX_ECHO_CHARS) -> str:
    """``text``, or its first ``limit`` characters and a note of how many were cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit} more characters)"


def _escape_control(match: re.Match[str]) -> str:
    char = match.group(0)
    if char == "\n":
        return "\\n"
    if char == "\r":
        return "\\r"
    if char == "\t":
        return "\\t"
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal(text: object, limit: int = MAX_ECHO_CHARS) -> str:
    """``text`` safe to print: no ANSI sequences, other controls escaped; newlines kept."""
    text = _ANSI.sub("", cap(str(text), limit))
    return _CONTROL_KEEP_NL.sub(_escape_control, text.replace("\t", "    "))


def one_line(text: object, limit: int = MAX_ECHO_CHARS) -> str:
    """``text`` safe to print on one line: like ``terminal``, and ``\\n`` shown as ``\\n``."""
    return _CONTROL_ALL.sub(_escape_control, _ANSI.sub("", cap(str(text), limit)))


# ">" only at the start (a quote): inside a line it is harmless once "<" is escaped, and
# "uint8->float32" stays readable; "-", "+", "=", "#" and "1." only where they start a block
_MD_SPECIAL = re.compile(
    r"([\\`*\[\]<&~]|^>)|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|^([#+=-])(?=[\s#]|$)|^(\d+)\.(?=\s|$)"
)
# inside a table cell nothing starts a block; "|" is escaped by the table renderer
_MD_INLINE = re.compile(r"([\\`*\[\]<&~])|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def _md_escape(match: re.Match[str]) -> str:
    char = match.group(0)
    if char == "&":
        return "&amp;"
    if char == "<":
        return "&lt;"
    if char == ">":
        return "&gt;"
    if (
        match.re.groups >= 3 and match.group(3) is not None
    ):  # "1." at the start would begin a numbered list
        return f"{match.group(3)}\\."
    return "\\" + char


def markdown_text(text: object, limit: int = MAX_ECHO_CHARS, *, cell: bool = False) -> str:
    """``text`` as literal Markdown text on one line: no tag, link, image, emphasis or code.

    ``&``, ``<`` and a leading ``>`` become entities; ``\\ ` * [ ] ~`` and a word-edge ``_``
    are backslash-escaped; a leading ``#``, ``-``, ``+``, ``=`` or ``1.`` cannot start a heading
    or a list; newlines and other controls are shown escaped, so a value cannot start a new
    block. ``cell``: a table cell (no block starts there; the table escapes ``|``).
    """
    return (_MD_INLINE if cell else _MD_SPECIAL).sub(_md_escape, one_line(text, limit))


def markdown_fence(text: str) -> str:
    """A backtick fence longer than any backtick run in ``text`` (CommonMark: it cannot close)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def redact_url(url: str) -> str:
    """``url`` with its ``user:password@`` (any userinfo) replaced by ``***@``."""
    return _URL_USERINFO.sub(r"\1***@", url)


def redact(value: object) -> object:
    """``value`` (str, list, tuple or dict, nested) with the userinfo of every URL redacted."""
    if isinstance(value, str):
        return redact_url(value) if "@" in value else value
    if isinstance(value, dict):
        return {key: redact(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact(item) for item in value)
    return value


__all__ = [
    "MAX_ECHO_CHARS",
    "cap",
    "markdown_fence",
    "markdown_text",
    "one_line",
    "redact",
    "redact_url",
    "terminal",
]
