"""One vocabulary: verdict strings and boundary-mode names are each defined in one module.

Every other module imports the names, so a renamed verdict or a new mode cannot leave a stale
copy behind; the AST scan fails on a module-level string constant that redefines one.
"""

from __future__ import annotations

import ast
import importlib

import pytest
from conftest import REPO

from bench import oracle
from bench.guard.compare import memory
from bench.guard.stats import one_look, sequential_design, verdicts
from bench.sweep import bigarray, cases

VERDICT_WORDS = set(verdicts.VERDICTS + verdicts.DECISIONS + verdicts.MEMORY_VERDICTS)
HOMES = {
    "verdicts": REPO / "bench" / "guard" / "stats" / "verdicts.py",
    "modes": REPO / "bench" / "oracle" / "boundaries.py",
}


def _module_string_constants(path):
    """(name, value) of every module-level ``NAME = "string"`` and string tuple of ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
            strings = [v.value for v in values if isinstance(v, ast.Constant)]
            for name in names:
                for value in strings:
                    if isinstance(value, str):
                        yield name, value


def test_the_stats_and_memory_modules_use_the_one_verdict_vocabulary():
    for module in (one_look, sequential_design):
        assert module.UNDECIDED is verdicts.UNDECIDED
    assert one_look.DECISIONS is verdicts.DECISIONS
    assert (one_look.SLOWER, one_look.FASTER, one_look.SAME) == (
        verdicts.SLOWER, verdicts.FASTER, verdicts.SAME,
    )  # fmt: skip
    assert memory.MEMORY_VERDICTS is verdicts.MEMORY_VERDICTS
    assert (memory.MORE, memory.LESS, memory.SAME) == verdicts.MEMORY_VERDICTS


def test_no_other_module_defines_a_verdict_or_the_mode_list():
    modes = set(oracle.MODES)
    found = []
    for path in sorted((REPO / "bench").rglob("*.py")):
        for name, value in _module_string_constants(path):
            if value in VERDICT_WORDS and path != HOMES["verdicts"]:
                found.append(f"{path.relative_to(REPO)}: {name} = {value!r}")
            if value in modes and value.startswith("grid-") and path != HOMES["modes"]:
                found.append(f"{path.relative_to(REPO)}: {name} lists mode {value!r}")
    assert not found, "defined outside its one home:\n" + "\n".join(found)


def test_every_mode_list_is_the_oracle_one():
    assert cases.MODES is oracle.MODES
    assert bigarray.BigArraySpec.__dataclass_fields__["modes"].default is oracle.MODES
    pitfall = importlib.import_module("bench.report.pitfalls.mode_names")
    assert sorted(pitfall.SCIPY_MODES) == sorted(oracle.MODES)
    assert set(oracle.MODES) == set(oracle.CLASSIC_MODES) | set(oracle.MODE_ALIASES)
    assert set(oracle.MODE_ALIASES.values()) <= set(oracle.CLASSIC_MODES)


@pytest.mark.parametrize("mode", oracle.MODES)
def test_every_mode_is_accepted_by_scipy(mode):
    import numpy as np
    from scipy import ndimage

    ndimage.gaussian_filter(np.ones((4, 4)), 1.0, mode=mode)
