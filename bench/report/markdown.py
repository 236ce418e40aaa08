"""Render a :class:`~bench.report.model.Document` as GitHub Markdown (``report.md``)."""

from __future__ import annotations

from bench.report.model import Code, Document, Figure, Paragraph, Section, Table
from bench.report.tables import render_markdown


def _text(value: str) -> str:
    # GitHub renders inline HTML; text from a results file must stay text. Escaping "&" and
    # "<" is enough to stop tags and entities, and leaves "uint8->float32" readable.
    return value.replace("&", "&amp;").replace("<", "&lt;")


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
            tuple(_text(h) for h in block.headers),
            tuple(tuple(_text(c) for c in row) for row in block.rows),
        )
        return f"**{_text(block.caption)}**\n\n{render_markdown(escaped)}"
    if isinstance(block, Figure):
        return f"![{_text(block.title)}]({block.path.name})\n\n*{_text(block.caption)}*"
    if isinstance(block, Code):
        out = f"```python\n{block.source.rstrip()}\n```"
        if block.output:
            out += f"\n\nOutput:\n\n```text\n{block.output.rstrip()}\n```"
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
