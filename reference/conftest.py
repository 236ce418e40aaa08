"""Shared fixtures of the reference suite, the results plugin, and the test-only patch hook."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reference import patching
from reference.probes import capabilities
from reference.records import Record, environment, load_arrays, select_record
from reference.results import OPTION, ResultsCollector

# Applied at import, before any test module runs: GFBENCH_SCIPY_PATCH replaces functions of
# scipy.ndimage with altered variants (gfbench's own tests use it; see reference.patching).
PATCH = patching.apply_from_environment()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        OPTION,
        metavar="PATH",
        default=None,
        help="write structured results of the reference suite to PATH (used by gfbench verify)",
    )


def _header() -> dict[str, Any]:
    import scipy.ndimage

    env = environment()
    record = select_record(env["scipy"], env["numpy"])
    return {
        "environment": env,
        "patch": PATCH,
        "capabilities": capabilities(scipy.ndimage.gaussian_filter),
        "record": None
        if record is None
        else {
            "path": str(record.path),
            "scipy": record.scipy_version,
            "exact": record.exact,
            "generator": record.generator,
            "description": record.describe(env),
        },
    }


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption(OPTION, default=None)
    if path:
        config.pluginmanager.register(
            ResultsCollector(Path(path), _header()), "gfbench-results-collector"
        )


def pytest_report_header(config: pytest.Config) -> list[str]:
    env = environment()
    record = select_record(env["scipy"], env["numpy"])
    lines = [f"gfbench reference suite: SciPy {env['scipy']}, numpy {env['numpy']}"]
    lines.append("compared with " + (record.describe(env) if record else "NO RECORD"))
    if PATCH:
        lines.append(f"WARNING: scipy.ndimage patched by {patching.ENV_VAR}={PATCH}")
    return lines


@pytest.fixture(scope="session")
def ndimage() -> Any:
    """``scipy.ndimage`` as the tests see it (patched if ``GFBENCH_SCIPY_PATCH`` is set)."""
    import scipy.ndimage

    return scipy.ndimage


@pytest.fixture(scope="session")
def caps(ndimage: Any) -> dict[str, bool]:
    return capabilities(ndimage.gaussian_filter)


@pytest.fixture(scope="session")
def record() -> Record | None:
    env = environment()
    return select_record(env["scipy"], env["numpy"])


@pytest.fixture(scope="session")
def golden_arrays() -> dict[str, Any]:
    return load_arrays()


@pytest.fixture(scope="session")
def oracle() -> Any:
    from reference.judge import load_oracle

    module, why = load_oracle()
    if module is None:
        # A check that cannot run must not pass as skipped: a broken harness is a failure.
        pytest.fail(f"cannot judge against the oracle: {why}", pytrace=False)
    return module


@pytest.fixture
def observe(request: pytest.FixtureRequest):
    """``observe(dict)``: attach what a test saw to its result (read by ``gfbench verify``)."""

    def _observe(details: dict[str, Any]) -> None:
        # as JSON text: a report crosses processes under pytest-xdist, whose serializer refuses
        # ints below -2**31 and numpy scalars; the results file is JSON with default=str anyway
        request.node.user_properties.append(("gfbench", json.dumps(details, default=str)))

    return _observe
