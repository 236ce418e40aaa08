"""gfbench: benchmark and verify ``scipy.ndimage.gaussian_filter``.

Data flows one way: grid -> case -> measurement -> row -> store -> frame -> report / compare.
The stages, from the bottom up: ``exitcodes``, ``outputs``, ``oracle``, ``store``, ``sweep``,
``report`` | ``guard`` (``stats/``, ``compare/``, ``verify``, ``ab_session``, ``matrix/``,
``calibrate/``, ``bisect/``), ``cli``; each subpackage's ``__init__`` says what it owns.

Lower stages never import higher ones; ``tests/test_architecture.py`` checks it.
The public Python API is listed in ``__all__``; everything else is private. The map, and why
the stages are cut this way: ARCHITECTURE.md.
"""

from bench.exitcodes import ExitCode, UsageError

__version__ = "0.1.0"

__all__ = ["ExitCode", "UsageError", "__version__"]
