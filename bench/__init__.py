"""gfbench: benchmark and verify ``scipy.ndimage.gaussian_filter``.

Data flows one way (DESIGN.md): grid -> case -> measurement -> row -> store -> frame -> report.
Where things live (one job per module):

Reference and truth
    ``bench.oracle``       the independent oracle: ideal result and SciPy's storage model
    ``bench.verify``       ``gfbench verify``: runs the reference suite in ``reference/``

The sweep (grid -> rows)
    ``bench.cases``        Case model, TOML grids (``bench/grids/``), exclusions, stable ids
    ``bench.inputs``       deterministic inputs, the same values in every dtype
    ``bench.impls``        one adapter per implementation (scipy, OpenCV, skimage, Pillow, libvips,
                           ITK, DIPlib, mahotas, ...)
    ``bench.timing``       calibrated sampling, in-process or in fresh worker processes; stats
    ``bench.accuracy``     error metrics against the oracle
    ``bench.measure``      runs one case and builds its Row
    ``bench.machine``      environment metadata, copy bandwidth and compute peak
    ``bench.roofs``        the roofline's operation count and roofs (per lane width, threads)
    ``bench.executors``    where cases run: serial (default); ``bench.executors_dask`` on Dask
    ``bench.store``        the results store: run.json + cases.jsonl, append-only; ``load()``
    ``bench.sweep``        ``gfbench sweep``

Reading results
    ``bench.report``       ``gfbench report``: what to use (``findings``), tables, plots,
                           HTML/Markdown, measured pitfalls, the reference section
                           (``bench.report.reference``)
    ``bench.changes``      correctness differences between runs or verify results
    ``bench.gate``         the statistical performance gate (process as unit, BH FDR)
    ``bench.compare``      ``gfbench compare``; ``bench.compare_plots`` its plots
    ``bench.calibrate``    ``gfbench calibrate``: the gate's A/A false-positive rate and power

Across versions and machines
    ``bench.matrix``       ``gfbench matrix``: one cached environment per SciPy candidate
    ``bench.candidates``   what --scipy may name (releases, wheels, indexes, current), checked
    ``bench.envbuild``     builds, caches and refreshes one environment (uv, else venv + pip)
    ``bench.envrunner``    the small entry point that runs inside each environment
    ``bench.interleave``   A B / B A timing rounds across environments
    ``bench.bigarray``     ``gfbench bigarray``: dask-image on chunked big arrays vs SciPy

Shell
    ``bench.run``          ``gfbench run``: verify, quick sweep, report
    ``bench.cli``          the thin command-line shell; ``bench.exitcodes`` the shared codes
    ``bench.validate``     checks of every file read from disk (file, line, field; exit 2)
    ``bench.outputs``      checks of every output path, before any work (``--force``)

The public Python API is listed in ``__all__``; everything else is private.
"""

from bench.exitcodes import ExitCode, UsageError

__version__ = "0.1.0"

__all__ = ["ExitCode", "UsageError", "__version__"]
