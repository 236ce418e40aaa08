"""gfbench: benchmark and verify ``scipy.ndimage.gaussian_filter``.

Data flows one way (DESIGN.md): grid -> case -> measurement -> row -> store -> frame -> report.
Where things live (one job per module):

Reference and truth
    ``bench.oracle``       the independent oracle: ideal result and SciPy's storage model
    ``bench.guard.verify``       ``gfbench verify``: runs the reference suite in ``reference/``

The sweep (grid -> rows)
    ``bench.sweep.cases``        Case model, stable ids, the memory a case needs
    ``bench.sweep.grid``         TOML grid files (``bench/sweep/grids/``): validation, exclusions
    ``bench.sweep.inputs``       deterministic inputs, the same values in every dtype
    ``bench.sweep.impls``        one adapter per implementation (scipy, OpenCV, skimage, Pillow,
                                 libvips, ITK, DIPlib, mahotas, ...)
    ``bench.sweep.timing``       calibrated sampling, in-process or in fresh worker processes; stats
    ``bench.sweep.accuracy``     error metrics against the oracle
    ``bench.sweep.measure``      runs one case and builds its Row
    ``bench.sweep.machine``      environment metadata, copy bandwidth and compute peak
    ``bench.sweep.roofs``        the roofline's operation count and roofs (per lane width, threads)
    ``bench.sweep.executors``    where cases run: serial (default);
                                 ``bench.sweep.executors.dask_cluster`` on Dask
    ``bench.store``        the results store: run.json + cases.jsonl, append-only; ``load()``
    ``bench.sweep.driver``       ``run_sweep``: the only writer of a run (``options``, ``resume``,
                                 ``result`` around it)
    ``bench.sweep.command``      ``gfbench sweep``

Reading results
    ``bench.report``       ``gfbench report``: what to use (``findings``), tables, plots,
                           HTML/Markdown, measured pitfalls, the reference section
                           (``bench.report.reference``)
    ``bench.guard.changes``      correctness differences between runs or verify results
    ``bench.guard.gate``         the statistical performance gate (process as unit, BH FDR)
    ``bench.guard.compare``      ``gfbench compare``; ``bench.guard.compare_plots`` its plots
    ``bench.guard.calibrate``    ``gfbench calibrate``: the gate's A/A false-positive rate and power

Across versions and machines
    ``bench.guard.matrix``       ``gfbench matrix``: one cached environment per SciPy candidate
    ``bench.guard.candidates``   what --scipy may name (releases, wheels, indexes, current), checked
    ``bench.guard.environments`` builds, caches and refreshes one environment (uv, else venv + pip)
    ``bench.cli.envrunner``    the small entry point that runs inside each environment
    ``bench.guard.interleave``   A B / B A timing rounds across environments
    ``bench.sweep.bigarray``     ``gfbench bigarray``: dask-image on chunked big arrays vs SciPy

Shell
    ``bench.cli.run``          ``gfbench run``: verify, quick sweep, report
    ``bench.cli``          the thin command-line shell; ``bench.exitcodes`` the shared codes
    ``bench.store.validate``     checks of every file read from disk (file, line, field; exit 2)
    ``bench.outputs``      checks of every output path, before any work (``--force``)

The public Python API is listed in ``__all__``; everything else is private.
"""

from bench.exitcodes import ExitCode, UsageError

__version__ = "0.1.0"

__all__ = ["ExitCode", "UsageError", "__version__"]
