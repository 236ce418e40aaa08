"""The report of a run (``gfbench report``): tables, plots, HTML/Markdown and the pitfalls.

- ``command``   the verb and :func:`render_report`, its Python API
- ``document``  assembles the sections from the run's DataFrame and run.json
- ``frames``    derived columns and selections shared by the parts below
- ``tables``, ``plots``  summary tables (pandas, tabulate) and the PNG plots (matplotlib, Agg)
- ``pitfalls``  integer-vs-float pitfalls (one module each), measured when the report is rendered
- ``model``     the report as data; ``markdown`` and ``html`` render it
- ``findings``  "what should I use?": per-dtype answers on the same cases, with their evidence
- ``reference`` the reference-suite section (the documented 7x7 example, the verify table)

Why: docs/report.md.
"""

from bench.report.command import render_report

__all__ = ["render_report"]
