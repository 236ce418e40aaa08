"""gfbench: benchmark and verify ``scipy.ndimage.gaussian_filter``.

Where things live (one job per module):

- ``bench.oracle``     the independent reference implementation (never calls scipy.ndimage)
- ``bench.exitcodes``  the exit codes every verb shares
- ``bench.verify``     runs the reference suite in ``reference/`` (``gfbench verify``)
- ``bench.cli``        the thin command-line shell over the modules above

The public Python API is listed in ``__all__``; everything else is private.
"""

from bench.exitcodes import ExitCode, UsageError

__version__ = "0.1.0"

__all__ = ["ExitCode", "UsageError", "__version__"]
