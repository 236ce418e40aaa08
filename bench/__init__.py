"""gfbench: benchmark and verify ``scipy.ndimage.gaussian_filter``.

Data flows one way: grid -> case -> measurement -> row -> store -> frame -> report / compare.
ARCHITECTURE.md at the repository root is the map; in short, the stages from the bottom up
(each subpackage's ``__init__`` says what it owns and what it may import):

    ``bench.exitcodes``  the exit codes every verb shares; ``UsageError`` (exit 2)
    ``bench.outputs``    checks of every output path, before any work (``--force``)
    ``bench.oracle``     the independent reference: ideal result and SciPy's storage model
    ``bench.store``      the results store: ``Row``, run.json + cases.jsonl, ``load()``, and the
                         validation of every file read from disk (``bench.store.validate``)
    ``bench.sweep``      grid -> rows: ``cases`` and ``grid`` (TOML grids in ``grids/``), inputs,
                         ``impls/`` (one adapter per implementation), timing, accuracy, measure,
                         machine, roofs, ``executors/`` (serial, Dask), ``driver`` (``run_sweep``,
                         the only writer of a run), ``gfbench sweep``, ``gfbench bigarray``
    ``bench.report``     rows -> report: findings, tables, plots, ``pitfalls/`` (one module per
                         pitfall), the reference section, Markdown and HTML; ``gfbench report``
    ``bench.guard``      did anything change: ``stats/`` (the gate), ``compare/``, ``verify``,
                         ``ab_session``, ``matrix/``, ``calibrate/``, ``bisect/``
    ``bench.cli``        the shell: the verbs, ``gfbench run``, the runner inside environments

Lower stages never import higher ones; ``tests/test_architecture.py`` checks it.
The public Python API is listed in ``__all__``; everything else is private.
"""

from bench.exitcodes import ExitCode, UsageError

__version__ = "0.1.0"

__all__ = ["ExitCode", "UsageError", "__version__"]
