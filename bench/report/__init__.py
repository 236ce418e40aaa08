"""The report of a run (``gfbench report``): tables, plots, HTML/Markdown and the pitfalls.

- ``command``   the verb and :func:`render_report`, its Python API
- ``document``  assembles the sections from the run's DataFrame and run.json
- ``frames``    derived columns and selections shared by the parts below
- ``tables``    summary tables (pandas), formatted with tabulate
- ``plots``     the PNG plots (matplotlib, Agg canvas)
- ``pitfalls``  integer-vs-float pitfalls (one module each), measured when the report is rendered
- ``model``     the report as data; ``markdown`` and ``html`` render it
- ``findings``  "what should I use?": per-dtype answers on the same cases, with their evidence
- ``reference`` the reference-suite section (the documented 7x7 example, the verify table)

May import: ``bench.exitcodes``, ``bench.outputs``, ``bench.oracle``, ``bench.store`` and
``bench.sweep``. Never the guard or the CLI.
"""

from bench.report.command import render_report

__all__ = ["render_report"]
