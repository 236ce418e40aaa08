"""A small pytest plugin: structured results of the reference suite for ``gfbench verify``.

Tests attach what they observed with the ``observe`` fixture (a dict: ``changed`` kind,
``summary``, the observed hash or probe outcome, the distance to the golden output and to the
oracle). The plugin writes one JSON document with one entry per test, so ``gfbench verify`` can
print its table and ``--json`` without parsing pytest's text output.

It is active only when ``--gfbench-results PATH`` is given; ``pytest reference`` alone ignores it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

OPTION = "--gfbench-results"
PROPERTY = "gfbench"


#: The seed document's 7x7 example lives in test_documented.py but is reported as its own group.
EXAMPLE_TEST = "::test_documented_example["
EXAMPLE_GROUP = "example"


def group_of(nodeid: str) -> str:
    """``reference/test_golden.py::test_x[id]`` -> ``golden``; the 7x7 example -> ``example``."""
    if EXAMPLE_TEST in nodeid:
        return EXAMPLE_GROUP
    module = nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
    return module.removesuffix(".py").removeprefix("test_")


def case_of(nodeid: str) -> str:
    """The parametrize id when there is one, else the test function's name."""
    name = nodeid.split("::")[-1]
    if "[" in name and name.endswith("]"):
        return name[name.index("[") + 1 : -1]
    return name


def _short_message(report: pytest.TestReport) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return str(crash.message)
    return str(report.longrepr or "")[-2000:]


class ResultsCollector:
    """Collects one entry per test and writes them to ``path`` at the end of the session."""

    def __init__(self, path: Path, header: dict[str, Any]) -> None:
        self.path = path
        self.header = header
        self.entries: dict[str, dict[str, Any]] = {}

    def _entry(self, nodeid: str) -> dict[str, Any]:
        return self.entries.setdefault(
            nodeid,
            {
                "nodeid": nodeid,
                "group": group_of(nodeid),
                "case": case_of(nodeid),
                "outcome": "passed",
                "details": {},
                "message": "",
            },
        )

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        entry = self._entry(report.nodeid)
        for name, value in report.user_properties:
            if name == PROPERTY and isinstance(value, str):  # reference.conftest's observe
                value = json.loads(value)
            if name == PROPERTY and isinstance(value, dict):
                entry["details"].update(value)
        if report.failed:
            # a failure in setup or teardown is an error of the suite, in the call a change
            entry["outcome"] = "failed" if report.when == "call" else "error"
            entry["message"] = _short_message(report)
        elif report.skipped and entry["outcome"] == "passed":
            entry["outcome"] = "skipped"
            entry["message"] = _short_message(report)

    @pytest.hookimpl
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            entry = self._entry(report.nodeid or "collection")
            entry["outcome"] = "error"
            entry["message"] = str(report.longrepr)[-2000:]

    @pytest.hookimpl
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        document = {
            **self.header,
            "pytest_exit_status": int(exitstatus),
            "tests": list(self.entries.values()),
        }
        tmp = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(document, indent=1, default=str), encoding="utf-8")
        tmp.replace(self.path)
