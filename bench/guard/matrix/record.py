"""What ``gfbench matrix`` records about each environment, and how it names and shows them.

`EnvResult` is one entry of ``matrix.json``'s ``environments``; `env_label` is the name compare
and the report give an environment, `env_folder` its folder in the matrix (a safe identifier,
unique), and `summary_table` the table ``gfbench matrix`` prints from ``matrix.json``.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

from bench.guard.matrix.candidates import Candidate
from bench.store.safe_text import one_line, redact

SCHEMA_VERSION = 2


@dataclasses.dataclass
class EnvResult:
    """What happened to one requested SciPy version."""

    spec: str
    version: str | None = None
    label: str = ""
    folder: str = ""
    status: str = "pending"  # ok | install-failed | incompatible | failed | duplicate
    error: str | None = None
    env_path: str | None = None
    reused: bool = False
    build_s: float | None = None
    versions: dict[str, Any] = dataclasses.field(default_factory=dict)
    verify_exit: int | None = None
    sweep_exits: list[int] = dataclasses.field(default_factory=list)
    kind: str = ""  # release | latest | wheel | current
    provenance: dict[str, Any] = dataclasses.field(default_factory=dict)
    env_vars: dict[str, str] = dataclasses.field(default_factory=dict)
    python_exe: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# the characters bench.store.validate.IDENTIFIER allows: matrix.json is validated when read
# back, and a local version's "+" (1.18.0.dev0+git...) would make the folder name unreadable
_FOLDER_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def env_label(candidate: Candidate, resolved: str) -> str:
    """How compare and the report name an environment: what was installed, from what."""
    label = f"scipy-{resolved}"
    if candidate.kind == "wheel":
        label += f" wheel:{candidate.sha256[:8]}"
    elif candidate.kind == "current":
        label += " current"
    if candidate.numpy is not None:
        label += f" numpy-{candidate.numpy}"
    if candidate.env_vars:
        label += " " + " ".join(f"{k}={v}" for k, v in candidate.env_vars)
    return label


def env_folder(candidate: Candidate, taken: set[str]) -> str:
    """A folder name from validated parts only, unique in the matrix."""
    folder = f"scipy-{candidate.version}" if candidate.kind != "current" else "scipy-current"
    if candidate.kind == "wheel":
        folder += f"-wheel-{candidate.sha256[:8]}"
    if candidate.numpy is not None:
        folder += f"-numpy-{candidate.numpy}"
    if candidate.env_vars:
        folder += "-" + "-".join(f"{k}={v}" for k, v in candidate.env_vars)
    folder = _FOLDER_UNSAFE.sub("_", folder)[:120]
    base, n = folder, 2
    while folder in taken:
        folder, n = f"{base}-{n}", n + 1
    taken.add(folder)
    return folder


def _source_text(env: dict[str, Any]) -> str:
    prov = redact(env.get("provenance") or {})  # also for a matrix.json from elsewhere
    if prov.get("wheel"):
        where = f" from {prov['index_url']}" if prov.get("index_url") else ""
        return f"wheel sha256:{str(prov.get('sha256'))[:12]}{where}"
    if env.get("kind") == "current":
        return "this interpreter"
    return str(prov.get("index_url") or "-")


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def summary_table(matrix_dir: Path) -> str:
    """One line per requested SciPy: status, source, numpy, build time, exit codes."""
    from tabulate import tabulate

    record = json.loads((matrix_dir / "matrix.json").read_text())
    rows = []
    for env in record["environments"]:
        variables = " ".join(f"{k}={v}" for k, v in (env.get("env_vars") or {}).items())
        rows.append([one_line(cell, 200) for cell in (
            _short(Path(env["spec"]).name), env["version"] or "-", env["status"], _source_text(env),
            variables or "-",
            env["versions"].get("numpy", "-") if env["versions"] else "-",
            "-" if env["build_s"] is None else f"{env['build_s']:.1f}",
            "reused" if env["reused"] else ("built" if env["status"] == "ok" else "-"),
            env["verify_exit"] if env["verify_exit"] is not None else "-",
            ",".join(map(str, env["sweep_exits"])) or "-",
            (env["error"] or "")[:80],
        )])  # fmt: skip
    headers = ["asked", "scipy", "status", "built from", "env vars", "numpy", "env s", "env",
               "verify exit", "sweep exits", "error"]  # fmt: skip
    return tabulate(rows, headers=headers)


#: the order in which verdicts win when several apply (the order ``gfbench compare`` uses)
_PRECEDENCE = (1, 3, 4)


def worst_exit(*codes: int) -> int:
    """The exit code of several verdicts: changed (1) > slower (3) > inconclusive (4) > ok."""
    for code in _PRECEDENCE:
        if code in codes:
            return code
    return max(codes, default=0)  # 2 or 130 never reach here from a finished matrix


def own_exit(record: dict[str, Any]) -> tuple[int, list[str]]:
    """What the matrix itself says, before any comparison: the exit code and why.

    - 1 when the reference suite failed in an environment (verification failed);
    - 4 when an environment could not be built, or its sweep did not finish: the matrix cannot
      answer for it (inconclusive), and a green exit would hide a version never tested;
    - else 0. A skipped duplicate of another environment is not a failure.
    """
    codes, why = [0], []
    for env in record.get("environments", []):
        name = env.get("label") or env.get("spec")
        if env.get("status") not in ("ok", "duplicate"):
            codes.append(4)
            why.append(f"{name}: {env.get('status')}: {(env.get('error') or '')[:200]}")
            continue
        if env.get("verify_exit") not in (None, 0):
            codes.append(1)
            why.append(f"{name}: verify exited {env['verify_exit']}")
        if any(code != 0 for code in env.get("sweep_exits") or []):
            codes.append(4)
            why.append(f"{name}: a sweep exited {','.join(map(str, env['sweep_exits']))}")
    return worst_exit(*codes), why
