"""One ``matrix-<timestamp>/`` folder: its layout, ``matrix.json`` and each ``env.json``.

`MatrixFolder` is the only code that names a path inside a matrix folder or writes its
records; ``matrix.json`` is rewritten after every step, so an interrupted matrix still says
what it did. Layout: docs/ci.md; what the records hold: docs/results-format.md.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from bench.exitcodes import UsageError
from bench.guard.matrix.candidates import Candidate
from bench.guard.matrix.plan import MatrixPlan
from bench.guard.matrix.record import SCHEMA_VERSION, EnvResult, env_folder
from bench.outputs import check_out_dir
from bench.store.safe_files import write_atomic
from bench.store.safe_text import redact
from bench.store.validate import checked_json, validate_env, validate_matrix


def now() -> str:
    """The time a record states: UTC, to the second."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class MatrixFolder:
    """The folder of one matrix run and the records in it.

    ``results`` holds one `EnvResult` per candidate in the order asked; `save` writes them
    with the plan into ``matrix.json`` (validated, credentials redacted: the file travels).
    """

    MATRIX_FILE = "matrix.json"

    def __init__(self, path: Path, record: dict[str, Any]) -> None:
        self.path = path
        self.record = record
        self.results: list[EnvResult] = []
        self._taken: set[str] = set()  # environment folder names already given

    @classmethod
    def create(cls, out: Path, plan: MatrixPlan) -> MatrixFolder:
        """Make ``out/matrix-<timestamp>/`` (and the environment cache) and its first record.

        Raises
        ------
        UsageError
            ``out``'s parent is missing, or a folder cannot be created.
        """
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        check_out_dir(out)  # a missing parent of --out is exit 2, like every verb's --out
        try:
            path = Path(out) / f"matrix-{stamp}"
            path.mkdir(parents=True, exist_ok=False)
            # absolute: the processes inside the environments run in their own folders
            path = path.resolve()
            plan.cache_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(
                f"--out {out} / cache {plan.cache_dir}: cannot create folders ({exc})"
            ) from exc
        record: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "started_at": now(),
            "finished_at": None,
            "python": plan.python,
            "installer": plan.installer.name,
            "cache_dir": str(plan.cache_dir),
            "grid": plan.grid,
            "rounds": plan.rounds,
            "sequential": None if plan.design is None else plan.design.to_dict(),
            "budget_s": plan.budget_s,
            "timing": plan.timing,
            "metric": plan.metric,
            "cache_sim": plan.cache_sim,
            "interleave": plan.interleave,
            "impl": list(plan.impl),
            "env": plan.env,
            "index_url": plan.index_url,
            "extra_index_urls": list(plan.extra_index_urls),
            "numpy": list(plan.numpy),
            "harness": plan.builder.fingerprint,
            "environments": [],
        }
        return cls(path, record)

    # ------------------------------------------------------------------ layout
    def env_dir(self, result: EnvResult) -> Path:
        """An environment's folder: env.json, verify.json, runs/."""
        return self.path / result.folder

    def runs_dir(self, result: EnvResult) -> Path:
        return self.env_dir(result) / "runs"

    def verify_file(self, result: EnvResult) -> Path:
        return self.env_dir(result) / "verify.json"

    def place(self, result: EnvResult, candidate: Candidate) -> Path:
        """Name (unique, from validated parts only) and create an environment's folder."""
        result.folder = env_folder(candidate, self._taken)
        self.runs_dir(result).mkdir(parents=True, exist_ok=True)
        return self.env_dir(result)

    # ------------------------------------------------------------------ records
    def add(self, result: EnvResult) -> EnvResult:
        self.results.append(result)
        return result

    def ready(self) -> list[EnvResult]:
        """The environments that were built and answered: the ones every later step runs in."""
        return [r for r in self.results if r.status == "ok"]

    def write_env(self, result: EnvResult, env_record: dict[str, Any]) -> None:
        """An environment's ``env.json``: what it was built from and every package in it."""
        env_file = self.env_dir(result) / "env.json"
        write_atomic(env_file, checked_json(redact(env_record), validate_env, file=env_file))

    def save(self) -> None:
        """Rewrite ``matrix.json`` from the record and every environment's result so far."""
        self.record["environments"] = [r.to_dict() for r in self.results]
        # matrix.json travels: index URLs and errors lose their user:password@
        matrix_file = self.path / self.MATRIX_FILE
        write_atomic(
            matrix_file, checked_json(redact(self.record), validate_matrix, file=matrix_file)
        )

    def finish(self) -> None:
        self.record["finished_at"] = now()
        self.save()
