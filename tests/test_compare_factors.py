"""numpy as a factor: matrix --numpy pins and cross products, the resolver's reason for a pair
that cannot be co-installed, and compare's attribution of each change to SciPy or numpy."""

from __future__ import annotations

import json

import pytest

from bench.exitcodes import UsageError
from bench.guard.compare.factors import attribute, render_factors
from bench.guard.compare.sides import Side
from bench.guard.matrix.candidates import Candidate
from bench.guard.matrix.environments import incompatibility
from bench.guard.matrix.plan import numpy_cross_product
from bench.guard.matrix.record import env_folder, env_label


def verify_doc(golden: dict[str, str], probes: dict[str, str]) -> dict:
    """A verify result with golden outputs (case -> sha256) and probes (name -> exception)."""
    tests = [{"nodeid": f"reference/test_golden.py::test_golden[{case}]", "case": case,
              "group": "golden", "outcome": "passed",
              "details": {"observed": {"dtype": "float64", "shape": [4, 5], "sha256": sha}}}
             for case, sha in golden.items()]  # fmt: skip
    for name, exc in probes.items():
        accepted = {"accepted": True, "dtype": "float32", "shape": [4, 5], "sha256": "p"}
        observed = accepted if exc is None else {"accepted": False, "exception": exc}
        tests.append({"nodeid": f"reference/test_probes.py::test_probe[{name}]", "case": name,
                      "group": "probes", "outcome": "passed",
                      "details": {"observed": observed}})  # fmt: skip
    return {"schema_version": 1, "environment": {}, "capabilities": {}, "tests": tests}


def side(scipy: str, numpy: str, verify: dict) -> Side:
    env = {"versions": {"scipy": scipy, "numpy": numpy}, "python": "3.11"}
    return Side(label=f"scipy-{scipy} numpy-{numpy}", path="-", verify=verify, env=env)


def golden_for(numpy: str) -> dict[str, str]:
    # float64 last bits move with numpy's feature release (reference/data: 1.13.1 at 1.26 vs 2.2)
    return {f"case{i}": f"{numpy[:4]}-{i}" for i in range(5)}


def test_numpy_alone_explains_output_changes() -> None:
    sides = [side(s, n, verify_doc(golden_for(n), {"output/str": None}))
             for s in ("1.13.1", "1.14.1") for n in ("1.26.4", "2.2.6")]  # fmt: skip
    factors = attribute(sides)
    assert factors is not None
    numpy_steps = [s for s in factors["steps"] if s["factor"] == "numpy"]
    scipy_steps = [s for s in factors["steps"] if s["factor"] == "scipy"]
    assert len(numpy_steps) == 2 and len(scipy_steps) == 2
    assert all(len(s["outputs"]) == 5 and not s["api"] for s in numpy_steps)
    assert all(not s["outputs"] and not s["api"] for s in scipy_steps)
    summary = factors["summary"]
    assert summary["numpy"]["outputs"].startswith(
        "outputs: change with numpy (1.26 -> 2.2) at every SciPy version"
    )
    assert summary["scipy"]["outputs"].startswith("outputs: SciPy alone changes nothing")
    text = render_factors(factors)
    assert "SciPy alone changes nothing" in text


def test_scipy_change_at_one_numpy_only_is_scoped() -> None:
    # SciPy 1.12.0 raised KeyError for a string output; 1.13.1 accepts it again
    sides = [
        side("1.12.0", "1.26.4", verify_doc(golden_for("1.26.4"), {"output/str": "KeyError"})),
        side("1.13.1", "1.26.4", verify_doc(golden_for("1.26.4"), {"output/str": None})),
        side("1.13.1", "2.2.6", verify_doc(golden_for("2.2.6"), {"output/str": None})),
    ]
    factors = attribute(sides)
    scipy_step = next(s for s in factors["steps"] if s["factor"] == "scipy")
    assert scipy_step["api"] == ["probe output/str"] and scipy_step["at"] == {"numpy": "1.26.4"}
    assert (
        "change with SciPy (1.12.0 -> 1.13.1) at every numpy version"
        in (factors["summary"]["scipy"]["outputs"])
    )
    numpy_text = factors["summary"]["numpy"]["outputs"]
    assert "change with numpy (1.26 -> 2.2) at every SciPy version tried (1.13.1): 5 outputs" in (
        numpy_text
    )


def test_no_attribution_without_a_numpy_step() -> None:
    # numpy and SciPy move together (the resolver's choice): nothing can be attributed
    sides = [side("1.12.0", "1.26.4", verify_doc(golden_for("1.26.4"), {})),
             side("1.14.1", "2.2.6", verify_doc(golden_for("2.2.6"), {}))]  # fmt: skip
    assert attribute(sides) is None


def test_cross_product_labels_and_folders() -> None:
    cands = [Candidate(spec=v, kind="release", version=v) for v in ("1.12.0", "1.13.1")]
    crossed = numpy_cross_product(cands, ["1.26.4", "2.2.6"])
    assert [(c.version, c.numpy) for c in crossed] == [
        ("1.12.0", "1.26.4"), ("1.12.0", "2.2.6"), ("1.13.1", "1.26.4"), ("1.13.1", "2.2.6")
    ]  # fmt: skip
    assert len({c.env_key for c in crossed}) == 4
    assert cands[0].env_key == "1.12.0"  # unpinned environments keep their cache key
    assert env_label(crossed[1], "1.12.0") == "scipy-1.12.0 numpy-2.2.6"
    assert env_folder(crossed[1], set()) == "scipy-1.12.0-numpy-2.2.6"
    with pytest.raises(UsageError, match="'current'"):
        numpy_cross_product([Candidate(spec="current", kind="current")], ["1.26.4"])


def test_resolver_reason_is_extracted() -> None:
    uv_error = (
        "`uv pip install --quiet --python ...` exited 1:\n"
        "  x No solution found when resolving dependencies:\n"
        "  cause: Because scipy==1.10.1 depends on numpy>=1.19.5,<1.27.0 and you require "
        "scipy==1.10.1, we can conclude that you require numpy>=1.19.5,<1.27.0.\n"
        "And because you require numpy==2.2.6, we can conclude that your requirements are "
        "unsatisfiable."
    )
    assert incompatibility(uv_error) == (
        "cannot be co-installed: scipy==1.10.1 depends on numpy>=1.19.5,<1.27.0"
    )
    assert incompatibility("exited 1: network unreachable") is None


def test_matrix_numpy_option_bad_value_exit_2(tmp_path) -> None:
    from tests.conftest import run_gfbench

    proc = run_gfbench("matrix", "--scipy", "1.13.1", "--numpy", "2.x", "--out", str(tmp_path))
    assert proc.returncode == 2 and "--numpy '2.x' is not a version" in proc.stderr


@pytest.mark.network
@pytest.mark.slow
def test_real_numpy_factor_matches_the_observations(tmp_path) -> None:
    """SciPy 1.13.1 and 1.14.1 crossed with numpy 1.26.4 and 2.2.6 (and 1.10.1, which cannot take
    numpy 2): the attribution must agree with what the environments observed.

    Known: the golden records of SciPy 1.13.1 differ by numpy feature release (reference/data
    _numpy-1.26 vs _numpy-2.2: 73 golden cases); on the machine measured here (2026-12-02) the
    golden bits were identical under both numpys (the 1.26 record came from a machine where
    numpy.exp took another CPU path; verify says so when it skips those cases), while float32
    sigma forms changed bits with numpy 2 (NEP 50 keeps float32 arithmetic in float32).
    """
    from bench.guard.compare.factors import attach_factors
    from bench.guard.compare.result import compare
    from bench.guard.matrix.run import run_matrix

    matrix = run_matrix(scipy=["1.13.1", "1.14.1", "1.10.1"], numpy=["1.26.4", "2.2.6"],
                        timing="none", run_sweep=False, out=tmp_path, log=print)  # fmt: skip
    record = json.loads((matrix / "matrix.json").read_text())
    skipped = [e for e in record["environments"] if e["status"] == "incompatible"]
    assert [(e["version"], e["spec"]) for e in skipped] == [("1.10.1", "1.10.1")]
    assert "scipy==1.10.1 depends on numpy" in skipped[0]["error"]
    result = attach_factors(compare([matrix]))
    steps = result.factors["steps"]
    numpy_step = next(s for s in steps if s["factor"] == "numpy" and s["at"]["scipy"] == "1.13.1")
    assert "form gaussian_filter/sigma/numpy-float32" in numpy_step["outputs"]
    assert result.factors["summary"]["numpy"]["outputs"].startswith(
        "outputs: change with numpy (1.26 -> 2.2) at every SciPy version tried (1.13.1, 1.14.1)"
    )

    # golden outputs: exactly the cases whose observed bits differ, read from verify.json here
    def observed(folder: str) -> dict[str, str]:
        doc = json.loads((matrix / folder / "verify.json").read_text())
        golden = [t for t in doc["tests"] if "::test_golden[" in t["nodeid"]]
        return {
            t["case"]: (t.get("details") or {}).get("observed", {}).get("sha256") for t in golden
        }

    old, new = observed("scipy-1.13.1-numpy-1.26.4"), observed("scipy-1.13.1-numpy-2.2.6")
    differ = {f"golden {c}" for c in old if c in new and old[c] != new[c]}
    assert {o for o in numpy_step["outputs"] if o.startswith("golden ")} == differ
    # SciPy 1.13.1 -> 1.14.1 changes nothing at numpy 2.2 (their records are identical too)
    same = next(s for s in steps if s["factor"] == "scipy" and s["from"] == "1.13.1"
                and s["at"]["numpy"] == "2.2.6")  # fmt: skip
    assert not same["outputs"] and not same["api"]
    # only neighbours: 1.10.1 pairs with 1.13.1, not with 1.14.1
    assert not any(s["from"] == "1.10.1" and s["to"] == "1.14.1" for s in steps)


def _step(factor: str, at: str, **time) -> dict:
    counts = {"slower": 0, "faster": 0, "same": 0, "inconclusive": 0} | time
    other = "numpy" if factor == "scipy" else "scipy"
    return {"factor": factor, "from": "1.26.4", "to": "2.2.6", "at": {other: at}, "outputs": [],
            "api": [], "timed": sum(counts.values()), "time_counts": counts,
            "slower": ["c"] * counts["slower"], "faster": ["c"] * counts["faster"]}  # fmt: skip


def test_time_sentences_never_call_undecided_same() -> None:
    from bench.guard.compare.factors import _summarise

    undecided = _summarise("numpy", [_step("numpy", "1.13.1", inconclusive=7)])
    assert undecided["time"].startswith("time: no numpy step found slower or faster, but 7 of 7")
    same = _summarise("numpy", [_step("numpy", "1.13.1", same=7)])
    assert same["time"].startswith("time: numpy alone changes nothing")
    slower = _summarise("numpy", [_step("numpy", "1.13.1", slower=2, same=5),
                                  _step("numpy", "1.14.1", same=7)])  # fmt: skip
    assert slower["time"].startswith(
        "time: change with numpy (1.26 -> 2.2) at 1 of 2 SciPy versions (1.13.1 of 1.13.1, 1.14.1)"
    )
    assert "2 slower" in slower["time"]
