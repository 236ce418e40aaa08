"""Golden bits made under another numpy (or numpy.exp SIMD path) are judged by the oracle."""

from __future__ import annotations

import dataclasses

import pytest

from reference.records import environment, record_files, select_record


def _installed_record():
    env = environment()
    record = select_record(env["scipy"], env["numpy"])
    assert record is not None
    return env, record


def test_exact_record_of_this_machine_has_no_numpy_excuse():
    env, record = _installed_record()
    if not record.exact or record.generator.get("numpy_exp") != env["numpy_exp"]:
        pytest.skip("this environment has no record of its own")
    assert record.numpy_mismatch(env) is None


def test_other_numpy_exp_bits_are_named():
    env, record = _installed_record()
    foreign = dataclasses.replace(
        record, generator={**record.generator, "numpy_exp": "another-simd-path"}
    )
    reason = foreign.numpy_mismatch(env)
    assert reason is not None and "numpy.exp" in reason


def test_same_scipy_other_numpy_release_is_named():
    env, record = _installed_record()
    other = dataclasses.replace(record, exact=False)
    reason = other.numpy_mismatch({**env, "scipy": record.scipy_version})
    assert reason is not None and "numpy" in reason


def test_other_scipy_version_is_a_change_not_excused():
    env, record = _installed_record()
    files = record_files()
    older = [key for key in files if key[0] != env["scipy"]]
    assert older, "records of other SciPy versions are stored"
    other = dataclasses.replace(record, scipy_version=older[0][0], exact=False)
    # same numpy.exp bits, different SciPy: every difference is a SciPy change
    assert other.numpy_mismatch({**env, "numpy_exp": record.generator.get("numpy_exp")}) is None
