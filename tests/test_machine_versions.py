"""run.json records every peer's version, also for packages without ``__version__``."""

from __future__ import annotations

import importlib.metadata

import pytest

from bench.sweep import machine


def test_dask_image_version_comes_from_its_distribution():
    pytest.importorskip("dask_image")
    assert machine._version("dask_image") == importlib.metadata.version("dask-image")


def test_missing_package_has_no_version():
    assert machine._version("no_such_module_gfbench") is None
