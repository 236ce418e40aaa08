"""The NaN pitfall: SciPy's NaN count for one NaN is the (2r+1)^2 square, the fix leaves no NaN
and agrees with the oracle, astropy is measured or reported unavailable."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from bench.report.pitfalls import peers

# the package exports the function under the module's name, so import the module by path
pitfall_module = importlib.import_module("bench.report.pitfalls.nan_spread")


@pytest.fixture(scope="module")
def built():
    return pitfall_module.nan_spread(None)


@pytest.mark.slow  # builds the pitfall: 512x512 oracle and astropy, ~26 s at load 14
def test_nan_count_is_the_kernels_square(built) -> None:
    # independent expectation: r = int(4 sigma + 0.5) per axis -> 8, 20, 48
    assert built.numbers["nan_pixels"] == [17**2, 41**2, 97**2]
    assert "289 at sigma 2, 1681 at sigma 5, 9409 at sigma 12" in built.consequence
    assert "exactly the (2r+1)^2 square" in built.consequence
    assert "sigma 12: 9409 NaN pixels" in built.snippet.output


@pytest.mark.slow  # builds the pitfall: 512x512 oracle and astropy, ~26 s at load 14
def test_normalised_convolution_fixes_it_and_agrees_with_the_oracle(built) -> None:
    assert built.numbers["fix_nan_pixels_sigma5"] == 0
    assert "NaN pixels after the fix: 0" in built.fix_snippet.output
    # float32 storage between two passes and one division: a few float32 ulps of 255
    assert 0 < built.numbers["fix_max_error"] < 255 * 2.0**-24 * 64
    assert all(np.isfinite(c) and c > 0 for c in built.numbers["fix_cost"])


@pytest.mark.slow  # builds the pitfall: 512x512 oracle and astropy, ~26 s at load 14
def test_astropy_is_measured_where_installed(built) -> None:
    if peers.optional("astropy.convolution") is None:
        assert built.numbers["astropy"] == "unavailable"
        assert "astropy: unavailable here" in built.fix
        return
    assert len(built.numbers["astropy_cost"]) == len(pitfall_module.ASTROPY_SIGMAS)
    assert 0 < built.numbers["astropy_max_error"] < 1e-3
    assert "nan_treatment='interpolate'" in built.fix


def test_missing_astropy_is_unavailable_not_a_crash(monkeypatch) -> None:
    real = peers.optional

    def without_astropy(name: str):
        return None if name.startswith("astropy") else real(name)

    monkeypatch.setattr(peers, "optional", without_astropy)
    monkeypatch.setattr(pitfall_module, "SIGMAS", (2.0,))
    pitfall_module.measure.cache_clear()  # measured once per process: measure afresh here
    built = pitfall_module.nan_spread(None)
    assert built.numbers["astropy"] == "unavailable"
    assert "unavailable" in built.tables[0].rows[0][-1]
