"""The guard stage: did anything change, across SciPy versions, builds or machines?

Owns ``gfbench verify`` (runs the reference suite), correctness diffs (``changes``), the
statistical performance gate (``gate``: units and verdicts; ``sequential``: one look, Welch
intervals, Benjamini-Hochberg FDR, equivalence; ``looks``: sequential sessions with alpha
spending), ``gfbench compare`` (``compare_inputs``, ``compare_perf``, ``compare_memory``,
``compare_instructions``, ``comparison``, ``compare_render``, ``compare_plots``), ``gfbench
calibrate`` (``calibrate_sessions``), ``gfbench matrix`` (``matrix_run``, ``matrix_record``; what
``--scipy`` may name in ``candidates``; building environments in ``environments``) and the A/B
timing session across environments (``interleave``). The runner inside each environment is
``bench.cli.envrunner``.

May import: ``bench.exitcodes``, ``bench.outputs``, ``bench.oracle``, ``bench.store`` and
``bench.sweep``. Never the report or the CLI.
"""
