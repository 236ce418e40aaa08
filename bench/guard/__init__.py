"""The guard stage: did anything change, across SciPy versions, builds or machines?

Subpackages from the bottom up (an import-linter contract in pyproject.toml keeps the order):

- ``stats/``: the performance gate's statistics (verdicts, one look, the sequential design);
- ``compare/`` (``gfbench compare``) and ``verify`` (``gfbench verify``);
- ``ab_session``: the A/B timing session across environments;
- ``matrix/`` (``gfbench matrix``: candidates, environments, the run, its record) and
  ``calibrate/`` (``gfbench calibrate``);
- ``bisect/`` (``gfbench bisect``: the first release that differs, over matrix environments).

The runner inside each environment is ``bench.cli.envrunner``.
"""
