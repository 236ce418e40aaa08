"""Render a :class:`~bench.report.model.Document` as GitHub Markdown (``report.md``)."""

from __future__ import annotations

from bench.report.model import Code, Document, Figure, Paragraph, Section, Table
from bench.report.tables import render_markdown
from bench.store.safe_text import markdown_fence, markdown_text

#: Longest paragraph rendered whole (the report's own are far shorter; a results file's
#: 100 MB reason is not copied into report.md).
_MAX_PARAGRAPH = 20_000


def _text(value: str, limit: int = _MAX_PARAGRAPH, *, cell: bool = False) -> str:
    # GitHub renders inline HTML and Markdown; text from a results file must stay text: tags,
    # entities, links, images, emphasis and block starts are escaped, newlines shown as \n
    return markdown_text(value, limit, cell=cell)


def _fenced(info: str, text: str) -> str:
    fence = markdown_fence(text)  # longer than any backtick run inside: cannot be closed early
    return f"{fence}{info}\n{text}\n{fence}"


def _block(block: object) -> str:
    if isinstance(block, Section):
        return _section(block)
    if isinstance(block, Paragraph):
        if block.kind == "warning":
            return f"> **Warning:** {_text(block.text)}"
        if block.kind == "missing":
            return f"> *Missing:* {_text(block.text)}"
        return _text(block.text)
    if isinstance(block, Table):
        escaped = Table(
            block.caption,
            tuple(_text(h, 200, cell=True) for h in block.headers),
            tuple(tuple(_text(c, 2000, cell=True) for c in row) for row in block.rows),
        )
        return f"**{_text(block.caption)}**\n\n{render_markdown(escaped)}"
    if isinstance(block, Figure):
        return f"![{_text(block.title)}]({block.path.name})\n\n*{_text(block.caption)}*"
    if isinstance(block, Code):
        out = _fenced("python", block.source.rstrip())
        if block.output:
            out += "\n\nOutput:\n\n" + _fenced("text", block.output.rstrip())
        return out
    raise TypeError(f"unknown block {type(block).__name__}")


def _section(section: Section) -> str:
    parts = [f"{'#' * section.level} {_text(section.title)}"]
    parts += [_block(b) for b in section.blocks]
    return "\n\n".join(parts)


def render(document: Document) -> str:
    """The whole report as Markdown text."""
    parts = [f"# {_text(document.title)}"] + [_section(s) for s in document.sections]
    return "\n\n".join(parts) + "\n"
