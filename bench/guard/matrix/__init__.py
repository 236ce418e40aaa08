"""``gfbench matrix``: verify and sweep in one isolated environment per SciPy candidate.

- ``command``: the verb (arguments, ``main``).
- ``candidates``: what ``--scipy`` may name, checked before anything is built.
- ``environments``: build, cache and refresh one environment (uv, else venv + pip).
- ``plan``: the options checked and turned into a `MatrixPlan`, before anything is built.
- ``folder``: `MatrixFolder`, the matrix folder's layout and its records (matrix.json, env.json).
- ``run``: `run_matrix`, the steps of a matrix run.
- ``record``: what matrix.json records per environment, its labels and summary table.

Why: docs/ci.md.
"""

from bench.guard.matrix.run import run_matrix

__all__ = ["run_matrix"]
