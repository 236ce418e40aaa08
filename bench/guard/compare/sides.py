"""The sides of ``gfbench compare``: each argument loaded, validated and labelled.

A side is a run (one or several rounds of it), a verify result, or both (a matrix
environment); a matrix folder expands to one side per completed environment. The
comparison, its timing gate (``compare_perf``), its plots (``compare_plots``) and calibrate all
work on `Side`; it lives here, below all of them, so that none imports another for it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from bench.exitcodes import UsageError
from bench.store.safe_files import check_inside
from bench.store.safe_text import one_line, redact_url
from bench.store.validate import validate_env


@dataclass(frozen=True, eq=False)
class Side:
    """One thing being compared: a run (possibly several rounds of it) and/or a verify result."""

    label: str
    path: str
    frame: pd.DataFrame | None = None  # rows of every round, with a "_round" column
    metas: tuple[dict, ...] = ()  # run.json of each round
    verify: dict | None = None
    env: dict | None = None  # env.json of a matrix environment
    #: the run folder of each round (``frame["_round"]`` indexes it): where a row's profiles are
    run_dirs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.frame is None and self.verify is None:
            raise ValueError(f"side {self.label!r} has neither runs nor a verify result")

    @property
    def versions(self) -> dict[str, Any]:
        """Package versions: from the matrix env record, else the run, else the verify result."""
        if self.env and self.env.get("versions"):
            return {"python": self.env.get("python"), **self.env["versions"]}
        if self.metas:
            return {"python": self.metas[0].get("python"), **(self.metas[0].get("versions") or {})}
        if self.verify:
            env = self.verify.get("environment") or {}
            return {k: env.get(k) for k in ("scipy", "numpy", "python") if k in env}
        return {}

    @property
    def built_from(self) -> str | None:
        """What a matrix environment was built from (env.json ``provenance``), as one line of
        text; the userinfo of an index URL is redacted (an env.json from elsewhere may hold it)."""
        prov = (self.env or {}).get("provenance")
        if not isinstance(prov, dict):
            return None
        return one_line(redact_url(self._built_from(prov)), 300)

    @staticmethod
    def _built_from(prov: dict) -> str:
        kind = str(prov.get("kind", ""))
        if prov.get("wheel"):
            text = f"wheel {prov['wheel']} sha256:{str(prov.get('sha256'))[:16]}"
            return text + (f" from {prov['index_url']}" if prov.get("index_url") else "")
        if kind == "current":
            return "the interpreter that ran gfbench matrix (current)"
        return f"scipy=={prov.get('resolved_version')} from {prov.get('index_url')}"

    @property
    def timing_failures(self) -> dict[str, str]:
        """Cases an A/B session of this side could not time: case id -> why (run.json)."""
        found: dict[str, str] = {}
        for meta in self.metas:
            found.update(meta.get("interleave_failures") or {})
        return found

    @property
    def env_vars(self) -> dict[str, str]:
        """Variables a matrix environment was run with (env.json ``env_vars``)."""
        found = (self.env or {}).get("env_vars")
        if not isinstance(found, dict):
            return {}
        return {str(k): str(v) for k, v in found.items()}

    @property
    def hosts(self) -> list[str]:
        found = []
        if self.frame is not None and "host" in self.frame:
            found = sorted({str(h) for h in self.frame["host"].dropna()})
        if not found:
            found = sorted({str(m.get("host")) for m in self.metas if m.get("host")})
        return found

    @property
    def cpu_model(self) -> str | None:
        return (self.metas[0].get("cpu") or {}).get("model") if self.metas else None


def _load_run_frame(path: Path) -> tuple[pd.DataFrame, dict]:
    from bench import store

    return store.load(path), store.load_run_meta(path)


def _read_json(path: Path, what: str) -> dict:
    from bench.store.validate import read_json_object

    return read_json_object(path, what=what)


def _side_from_runs(
    label: str, path: Path, run_dirs: Sequence[Path], verify: dict | None, env: dict | None
) -> Side:
    frames, metas = [], []
    for index, run_dir in enumerate(run_dirs):
        frame, meta = _load_run_frame(run_dir)
        frame = frame.copy()
        frame.attrs = {}  # run.json is kept in Side.metas; pandas would deep-copy it per op
        frame["_round"] = index
        frames.append(frame)
        metas.append(meta)
    frame = pd.concat(frames, ignore_index=True) if frames else None
    return Side(
        label=label, path=str(path), frame=frame, metas=tuple(metas), verify=verify, env=env,
        run_dirs=tuple(str(d) for d in run_dirs),
    )  # fmt: skip


def _env_side(path: Path) -> Side:

    env = validate_env(_read_json(path / "env.json", "matrix environment"), file=path / "env.json")
    label = one_line(env.get("label") or path.name, 120)
    verify_path = path / "verify.json"
    verify = (
        _check_verify(_read_json(verify_path, "verify result"), verify_path)
        if verify_path.is_file()
        else None
    )
    runs_root = path / "runs"
    run_dirs = sorted(p.parent for p in runs_root.glob("*/run.json")) if runs_root.is_dir() else []
    for run_dir in run_dirs:  # runs/ (or a run in it) linked to a run outside the matrix
        check_inside(run_dir / "run.json", path)
    if not run_dirs and verify is None:
        raise UsageError(f"matrix environment {path}: has neither verify.json nor runs/*/run.json")
    return _side_from_runs(label, path, run_dirs, verify, env)


def load_sides(paths: Sequence[str | Path]) -> list[Side]:
    """Load every argument of ``gfbench compare``; a matrix folder expands to its envs.

    Raises
    ------
    UsageError
        A path that does not exist or is none of the accepted kinds.
    """
    sides: list[Side] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise UsageError(f"compare: {path} does not exist")
        if path.is_file():
            data = _read_json(path, "verify result")
            # a matrix env's verify.json is named for its environment folder
            label = one_line(path.parent.name if path.stem == "verify" else path.stem, 120)
            sides.append(Side(label=label, path=str(path), verify=_check_verify(data, path)))
        elif (path / "run.json").is_file():
            sides.append(_side_from_runs(one_line(path.name, 120), path, [path], None, None))
        elif (path / "env.json").is_file():
            sides.append(_env_side(path))
        elif (path / "matrix.json").is_file():
            from bench.store.validate import child_path, validate_matrix

            matrix_file = path / "matrix.json"
            matrix = validate_matrix(_read_json(matrix_file, "matrix"), file=matrix_file)
            envs = [e for e in matrix.get("environments", []) if e.get("status") == "ok"]
            if not envs:
                raise UsageError(f"matrix {path}: no environment completed (see matrix.json)")
            sides.extend(
                _env_side(child_path(path, e["folder"], what=f"{matrix_file}: folder"))
                for e in envs
            )
        else:
            raise UsageError(
                f"compare: {path} is not a run folder (run.json), a matrix folder "
                "(matrix.json), a matrix environment (env.json) or a verify JSON file"
            )
    labels = [s.label for s in sides]
    if len(set(labels)) != len(labels):  # e.g. two runs with the same folder name
        sides = [dataclasses.replace(s, label=f"{s.label}#{i}") for i, s in enumerate(sides)]
    if len(sides) < 2:
        raise UsageError(f"compare needs at least two runs or verify results, got {len(sides)}")
    return sides


def _check_verify(data: dict, path: Path) -> dict:
    from bench.store.validate import validate_verify

    return validate_verify(data, file=path)
