"""The guard stage: did anything change, across SciPy versions, builds or machines?

Owns ``gfbench verify`` (runs the reference suite), correctness diffs (``changes``), the
statistical performance gate (``gate``: Welch intervals, Benjamini-Hochberg FDR),
``gfbench compare`` (``compare_inputs``, ``compare_perf``, ``compare_instructions``,
``comparison``, ``compare_render``, ``compare_plots``), ``gfbench calibrate``, ``gfbench matrix``
(``matrix_run``, ``matrix_record``; what ``--scipy`` may name in ``candidates``; building
environments in ``environments``) and interleaved timing across environments (``interleave``).
The runner inside each environment is ``bench.cli.envrunner``.

May import: ``bench.exitcodes``, ``bench.outputs``, ``bench.oracle``, ``bench.store`` and
``bench.sweep``. Never the report or the CLI.
"""
