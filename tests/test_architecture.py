"""The architecture of ARCHITECTURE.md, enforced: stages, no import cycles, short modules.

The import contracts live in pyproject.toml (``[tool.importlinter]``) and are checked by
import-linter, which walks every import in ``bench`` (lazy imports inside functions included),
so a new cycle or an upward import fails here with the chain that causes it.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MAX_LINES = 500
#: A module may be longer only if its docstring says why, with this phrase.
LONG_MODULE_PHRASE = "Longer than 500 lines because"


def _lint_imports() -> str:
    binary = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert binary, "import-linter is a test dependency: pip install -e '.[test]'"
    proc = subprocess.run(
        [binary, "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    return proc.stdout


def test_import_contracts_hold():
    out = _lint_imports()
    assert "0 broken" in out and "4 kept" in out, out[-2000:]


@pytest.mark.parametrize(
    ("module", "upward", "edge"),
    [
        ("store/row.py", "bench.report", "bench.store.row -> bench.report.command"),
        (
            "guard/stats/verdicts.py",
            "bench.guard.compare",
            "bench.guard.stats.verdicts -> bench.guard.compare.command",
        ),
        (
            "guard/compare/result.py",
            "bench.guard.matrix",
            "bench.guard.compare.result -> bench.guard.matrix.command",
        ),
    ],
)
def test_an_upward_import_would_be_caught(tmp_path, module, upward, edge):
    """The contracts are not vacuous: a copy of bench with one upward import breaks them."""
    copy = tmp_path / "repo"
    shutil.copytree(REPO / "bench", copy / "bench", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", copy / "pyproject.toml")
    target = copy / "bench" / module
    target.write_text(target.read_text() + f"\nfrom {upward} import command  # noqa\n")
    binary = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    proc = subprocess.run(
        [binary, "--no-cache"],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(copy), "PATH": str(Path(sys.executable).parent)},
    )
    assert proc.returncode != 0
    assert edge in proc.stdout, proc.stdout[-3000:]


def _modules() -> list[Path]:
    return sorted(p for p in (REPO / "bench").rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(REPO)))
def test_modules_are_short_or_say_why(path: Path):
    lines = path.read_text(encoding="utf-8").count("\n")
    if lines <= MAX_LINES:
        return
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    assert LONG_MODULE_PHRASE in docstring, (
        f"{path.relative_to(REPO)} has {lines} lines; split it along its seams or say "
        f"{LONG_MODULE_PHRASE!r} ... in its docstring"
    )


def test_every_subpackage_says_what_it_owns():
    for init in (REPO / "bench").rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc, f"{init.relative_to(REPO)} needs a docstring: what it owns, what it imports"
