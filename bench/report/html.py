"""Render a :class:`~bench.report.model.Document` as one self-contained ``index.html``.

The page references nothing outside itself: the CSS is inline and every PNG is embedded as a
``data:`` URI, so it can be mailed, archived or opened offline. Every piece of text is passed
through :func:`html.escape` (tables through tabulate's ``html`` format, which escapes too), so a
results file holding ``<script>`` shows it as text.
"""

from __future__ import annotations

import base64
import html
import re

from bench.report.model import Code, Document, Figure, Paragraph, Section, Table
from bench.report.tables import render_html

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto;
       max-width: 1200px; padding: 1em 2em; color: #1b1b1b; background: #fff; line-height: 1.45; }
h1 { border-bottom: 2px solid #444; padding-bottom: .2em; }
h2 { border-bottom: 1px solid #bbb; margin-top: 2em; }
nav ul { columns: 2; }
table { border-collapse: collapse; margin: .5em 0 1.5em; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; }
th { background: #eef1f5; }
tr:nth-child(even) td { background: #fafafa; }
.caption { font-weight: 600; margin-bottom: .2em; }
.warning { background: #fff4e0; border-left: 4px solid #e69500; padding: .4em .8em; }
.missing { background: #f1f1f1; border-left: 4px solid #888; padding: .4em .8em;
           font-style: italic; }
figure { margin: 1em 0 2em; }
figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 13px; color: #444; }
pre { background: #f6f8fa; border: 1px solid #ddd; padding: .6em; overflow-x: auto;
      font-size: 12.5px; }
pre.output { background: #eef7ee; }
.table-wrap { overflow-x: auto; }
details > summary { cursor: pointer; }
details > summary > h3 { display: inline; }
"""


def _anchor(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "section"


def _block(block: object) -> str:
    if isinstance(block, Section):
        return _section(block)
    if isinstance(block, Paragraph):
        css = "" if block.kind == "text" else f' class="{block.kind}"'
        label = {"warning": "Warning: ", "missing": "Missing: "}.get(block.kind, "")
        return f"<p{css}>{html.escape(label + block.text)}</p>"
    if isinstance(block, Table):
        anchor = _anchor(block.caption.split(":")[0])  # stable across runs: a test finds it
        return (
            f'<div class="table-wrap" id="table-{anchor}">'
            f'<div class="caption">{html.escape(block.caption)}</div>\n'
            f"{render_html(block)}</div>"
        )
    if isinstance(block, Figure):
        data = base64.b64encode(block.path.read_bytes()).decode("ascii")
        return (
            f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(block.title)}">'
            f"<figcaption>{html.escape(block.caption)}</figcaption></figure>"
        )
    if isinstance(block, Code):
        out = f'<pre><code class="python">{html.escape(block.source.rstrip())}</code></pre>'
        if block.output:
            out += f'<pre class="output">{html.escape(block.output.rstrip())}</pre>'
        return out
    raise TypeError(f"unknown block {type(block).__name__}")


def _section(section: Section) -> str:
    tag = f"h{section.level}"
    head = f'<{tag} id="{_anchor(section.title)}">{html.escape(section.title)}</{tag}>'
    if section.collapsed:  # closed until clicked: reference tables, not the answer
        body = "\n".join(_block(b) for b in section.blocks)
        return f"<details><summary>{head}</summary>\n{body}\n</details>"
    return "\n".join([head, *(_block(b) for b in section.blocks)])


def render(document: Document) -> str:
    """The whole report as one HTML page with no external references."""
    nav = "".join(
        f'<li><a href="#{_anchor(s.title)}">{html.escape(s.title)}</a></li>'
        for s in document.sections
    )
    body = "\n".join(_section(s) for s in document.sections)
    title = html.escape(document.title)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f"<h1>{title}</h1>\n<nav><ul>{nav}</ul></nav>\n{body}\n</body>\n</html>\n"
    )
