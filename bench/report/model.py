"""The report as data: sections of blocks, rendered to Markdown and HTML alike.

Building the content once and rendering it twice keeps ``report.md`` and
``index.html`` saying the same thing; the renderers only decide how it looks.
All text is plain text: the renderers escape it for their format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

PARAGRAPH_KINDS = ("text", "warning", "missing")


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of plain text; ``kind`` "warning" and "missing" are highlighted."""

    text: str
    kind: str = "text"

    def __post_init__(self) -> None:
        if self.kind not in PARAGRAPH_KINDS:
            raise ValueError(f"kind must be one of {PARAGRAPH_KINDS}, got {self.kind!r}")


@dataclass(frozen=True)
class Table:
    """A table whose cells are already formatted strings."""

    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.headers):
                raise ValueError(
                    f"table {self.caption!r}: row has {len(row)} cells, "
                    f"headers have {len(self.headers)}"
                )
            if not all(isinstance(cell, str) for cell in row):
                raise TypeError(f"table {self.caption!r}: cells must be str")


@dataclass(frozen=True)
class Figure:
    """A PNG written into the report folder."""

    title: str
    path: Path
    caption: str

    def __post_init__(self) -> None:
        if self.path.suffix != ".png":
            raise ValueError(f"figure path must end in .png, got {self.path}")


@dataclass(frozen=True)
class Code:
    """A runnable snippet and the output it printed when the report ran it."""

    source: str
    output: str = ""


@dataclass(frozen=True)
class Section:
    """A titled list of blocks; ``level`` 2 is a top section, 3 a subsection.

    ``collapsed`` sections are closed ``<details>`` in HTML (reference material such as the
    environment tables, which would push the answer down); Markdown shows them as usual.
    """

    title: str
    blocks: tuple[Paragraph | Table | Figure | Code | Section, ...] = field(default_factory=tuple)
    level: int = 2
    collapsed: bool = False

    def __post_init__(self) -> None:
        if self.level not in (2, 3, 4):
            raise ValueError(f"level must be 2, 3 or 4, got {self.level}")


@dataclass(frozen=True)
class Document:
    """The whole report."""

    title: str
    sections: tuple[Section, ...]

    def paragraphs(self, kind: str) -> list[str]:
        """The text of every paragraph of ``kind`` ("warning", "missing"), in order."""
        found: list[str] = []

        def walk(blocks: tuple) -> None:
            for block in blocks:
                if isinstance(block, Paragraph) and block.kind == kind:
                    found.append(block.text)
                elif isinstance(block, Section):
                    walk(block.blocks)

        walk(self.sections)
        return found

    def section(self, title: str) -> Section:
        """The top section called ``title``."""
        for section in self.sections:
            if section.title == title:
                return section
        raise KeyError(title)

    def figures(self) -> list[Figure]:
        """Every figure, in document order."""
        found: list[Figure] = []

        def walk(blocks: tuple) -> None:
            for block in blocks:
                if isinstance(block, Figure):
                    found.append(block)
                elif isinstance(block, Section):
                    walk(block.blocks)

        walk(self.sections)
        return found
