"""The guard stage: did anything change, across SciPy versions, builds or machines?

Owns ``gfbench verify`` (runs the reference suite), correctness diffs (``changes``), the
statistical performance gate (``gate``), ``gfbench compare``, ``gfbench calibrate``,
``gfbench matrix`` (one cached environment per SciPy version or build), the small runner inside
each environment (``envrunner``) and interleaved timing across environments (``interleave``).

May import: ``bench.exitcodes``, ``bench.oracle``, ``bench.store`` and ``bench.sweep``. Never the
report or the CLI.
"""
