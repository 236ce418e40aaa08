"""API probes: which argument forms ``gaussian_filter`` accepts, and what bad ones raise.

A probe calls the function once and records its *outcome*: either ``accepted`` with the result's
dtype, shape and hash, or the exception's type name and message. Outcomes are stored per SciPy
version in ``reference/data/`` and compared exactly: an argument that starts or stops being
accepted, a different exception type, or a reworded message is a reported change.

Features are detected by *capability* (the function's signature), never by version string.
"""

from __future__ import annotations

import dataclasses
import inspect
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from reference.grid import make_pattern, sha256_of

#: Keyword features that appeared in later SciPy versions: (name, version that added it).
FEATURES = {"radius": "1.10", "axes": "1.11"}


def capabilities(gaussian_filter: Callable[..., Any]) -> dict[str, bool]:
    """Which optional keywords ``gaussian_filter`` takes, read from its signature."""
    try:
        parameters = inspect.signature(gaussian_filter).parameters
    except (TypeError, ValueError):  # a builtin without a signature: assume nothing
        return dict.fromkeys(FEATURES, False)
    return {name: name in parameters for name in FEATURES}


def missing_reason(feature: str) -> str:
    return (
        f"scipy.ndimage.gaussian_filter has no {feature}= keyword "
        f"(added in SciPy {FEATURES[feature]})"
    )


@dataclasses.dataclass(frozen=True)
class Probe:
    """One call whose outcome is pinned.

    Parameters
    ----------
    name : str
        Stable id, ``topic/detail``.
    call : callable
        ``call(ndimage)`` performs the call on the given ``scipy.ndimage`` module.
    requires : tuple of str
        Features (keys of ``FEATURES``) the call uses; without them the probe is skipped.
    """

    name: str
    call: Callable[[Any], Any]
    requires: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if "/" not in self.name:
            raise ValueError(f"probe name must look like 'topic/detail', got {self.name!r}")
        unknown = set(self.requires) - set(FEATURES)
        if unknown:
            raise ValueError(f"requires must be among {sorted(FEATURES)}, got {sorted(unknown)}")


def _x(dtype: str = "float64", shape: tuple[int, ...] = (4, 5)) -> np.ndarray:
    return make_pattern(shape, dtype, "noise")


def _gf(nd: Any, *args: Any, **kwargs: Any) -> Any:
    return nd.gaussian_filter(*args, **kwargs)


def _inplace(nd: Any) -> np.ndarray:
    # output=input: SciPy must give the out-of-place result (it copies overlapping input).
    x = _x()
    returned = nd.gaussian_filter(x, 1.5, output=x)
    if returned is not x:
        raise AssertionError("gaussian_filter(x, output=x) did not return x itself")
    return x


def _returns_output(nd: Any) -> np.ndarray:
    out = np.zeros((4, 5), np.float32)
    returned = nd.gaussian_filter(_x(), 1.0, output=out)
    if returned is not out:
        raise AssertionError("gaussian_filter(..., output=array) did not return that array")
    return out


_PROBES: tuple[Probe, ...] = (
    # dtypes of the input
    Probe("dtype/float16", lambda nd: _gf(nd, _x("float32").astype(np.float16), 1.0)),
    Probe("dtype/object", lambda nd: _gf(nd, _x().astype(object), 1.0)),
    Probe("dtype/bool", lambda nd: _gf(nd, _x() > 0, 1.0)),
    Probe("dtype/int8", lambda nd: _gf(nd, _x().astype(np.int8), 1.0)),
    Probe("dtype/int64", lambda nd: _gf(nd, _x().astype(np.int64), 1.0)),
    Probe("dtype/uint64", lambda nd: _gf(nd, _x("uint8").astype(np.uint64), 1.0)),
    Probe("dtype/longdouble", lambda nd: _gf(nd, _x().astype(np.longdouble), 1.0)),
    Probe("dtype/complex64", lambda nd: _gf(nd, _x().astype(np.complex64), 1.0)),
    Probe("dtype/big-endian-float64", lambda nd: _gf(nd, _x().astype(">f8"), 1.0)),
    Probe("input/list", lambda nd: _gf(nd, [[1, 2, 3], [4, 5, 6]], 1.0)),
    Probe("input/0d", lambda nd: _gf(nd, np.float64(3.0), 1.0)),
    Probe("input/empty", lambda nd: _gf(nd, np.zeros((0, 3)), 1.0)),
    Probe("input/fortran-order", lambda nd: _gf(nd, np.asfortranarray(_x((6, 7))), 1.0)),
    Probe("input/strided-view", lambda nd: _gf(nd, _x(shape=(8, 10))[::2, ::3], 1.0)),
    # sigma
    Probe("sigma/negative", lambda nd: _gf(nd, _x(), -1.0)),
    Probe("sigma/zero", lambda nd: _gf(nd, _x(), 0.0)),
    Probe("sigma/nan", lambda nd: _gf(nd, _x(), float("nan"))),
    Probe("sigma/inf", lambda nd: _gf(nd, _x(), float("inf"))),
    Probe("sigma/string", lambda nd: _gf(nd, _x(), "1")),
    Probe("sigma/none", lambda nd: _gf(nd, _x(), None)),
    Probe("sigma/sequence-too-long", lambda nd: _gf(nd, _x(), [1.0, 2.0, 3.0])),
    Probe("sigma/sequence-too-short", lambda nd: _gf(nd, _x(), [1.0])),
    Probe("sigma/numpy-array", lambda nd: _gf(nd, _x(), np.array([1.0, 2.0]))),
    # order
    Probe("order/negative", lambda nd: _gf(nd, _x(), 1.0, order=-1)),
    Probe("order/float", lambda nd: _gf(nd, _x(), 1.0, order=1.5)),
    Probe("order/4", lambda nd: _gf(nd, _x(), 1.0, order=4)),
    Probe("order/sequence-too-long", lambda nd: _gf(nd, _x(), 1.0, order=[0, 1, 2])),
    # mode and cval
    Probe("mode/unknown", lambda nd: _gf(nd, _x(), 1.0, mode="foo")),
    Probe("mode/none", lambda nd: _gf(nd, _x(), 1.0, mode=None)),
    Probe("mode/uppercase", lambda nd: _gf(nd, _x(), 1.0, mode="REFLECT")),
    Probe("mode/sequence-too-short", lambda nd: _gf(nd, _x(), 1.0, mode=["reflect"])),
    Probe("mode/sequence-with-unknown", lambda nd: _gf(nd, _x(), 1.0, mode=["reflect", "x"])),
    Probe("cval/nan", lambda nd: _gf(nd, _x(), 1.0, mode="constant", cval=float("nan"))),
    Probe("cval/complex-real-input", lambda nd: _gf(nd, _x(), 1.0, mode="constant", cval=1 + 1j)),
    Probe(
        "cval/complex-complex-input",
        lambda nd: _gf(nd, _x("complex128"), 1.0, mode="constant", cval=1 + 1j),
    ),
    # truncate
    Probe("truncate/zero", lambda nd: _gf(nd, _x(), 1.0, truncate=0.0)),
    Probe("truncate/negative", lambda nd: _gf(nd, _x(), 1.0, truncate=-1.0)),
    Probe("truncate/nan", lambda nd: _gf(nd, _x(), 1.0, truncate=float("nan"))),
    # output
    Probe("output/wrong-shape", lambda nd: _gf(nd, _x(), 1.0, output=np.empty((5, 4)))),
    Probe("output/read-only", lambda nd: _gf(nd, _x(), 1.0, output=np.broadcast_to(0.0, (4, 5)))),
    Probe("output/str-float32", lambda nd: _gf(nd, _x(), 1.0, output="float32")),
    Probe("output/str-f4", lambda nd: _gf(nd, _x(), 1.0, output="f4")),
    Probe("output/str-unknown", lambda nd: _gf(nd, _x(), 1.0, output="foo")),
    Probe("output/python-int", lambda nd: _gf(nd, _x(), 1.0, output=int)),
    Probe("output/python-float", lambda nd: _gf(nd, _x(), 1.0, output=float)),
    Probe("output/float16", lambda nd: _gf(nd, _x(), 1.0, output=np.float16)),
    Probe("output/complex128-real-input", lambda nd: _gf(nd, _x(), 1.0, output=np.complex128)),
    Probe("output/complex64-str-real-input", lambda nd: _gf(nd, _x(), 1.0, output="complex64")),
    Probe(
        "output/float64-complex-input",
        lambda nd: _gf(nd, _x("complex128"), 1.0, output=np.float64),
    ),
    Probe(
        "output/complex64-complex-input",
        lambda nd: _gf(nd, _x("complex128"), 1.0, output=np.complex64),
    ),
    Probe("output/same-array-inplace", _inplace),
    Probe("output/returns-given-array", _returns_output),
    # radius (SciPy >= 1.10)
    Probe("radius/int", lambda nd: _gf(nd, _x(), 1.0, radius=2), ("radius",)),
    Probe("radius/numpy-int", lambda nd: _gf(nd, _x(), 1.0, radius=np.int64(2)), ("radius",)),
    Probe("radius/negative", lambda nd: _gf(nd, _x(), 1.0, radius=-1), ("radius",)),
    Probe("radius/float-non-integer", lambda nd: _gf(nd, _x(), 1.0, radius=2.5), ("radius",)),
    Probe("radius/float-integral", lambda nd: _gf(nd, _x(), 1.0, radius=2.0), ("radius",)),
    Probe("radius/sequence", lambda nd: _gf(nd, _x(), 1.0, radius=[1, 3]), ("radius",)),
    Probe(
        "radius/sequence-too-long",
        lambda nd: _gf(nd, _x(), 1.0, radius=[1, 2, 3]),
        ("radius",),
    ),
    Probe("radius/1d-negative", lambda nd: nd.gaussian_filter1d(_x(), 1.0, radius=-1), ("radius",)),
    # axes (SciPy >= 1.11)
    Probe("axes/one", lambda nd: _gf(nd, _x(), 1.0, axes=(0,)), ("axes",)),
    Probe("axes/negative", lambda nd: _gf(nd, _x(), 1.0, axes=(-1,)), ("axes",)),
    Probe("axes/empty", lambda nd: _gf(nd, _x(), 1.0, axes=()), ("axes",)),
    Probe("axes/duplicate", lambda nd: _gf(nd, _x(), 1.0, axes=(0, 0)), ("axes",)),
    Probe("axes/duplicate-negative", lambda nd: _gf(nd, _x(), 1.0, axes=(1, -1)), ("axes",)),
    Probe("axes/out-of-range", lambda nd: _gf(nd, _x(), 1.0, axes=(2,)), ("axes",)),
    Probe("axes/sigma-length-mismatch", lambda nd: _gf(nd, _x(), [1.0, 2.0], axes=(0,)), ("axes",)),
    Probe("axes/int-not-tuple", lambda nd: _gf(nd, _x(), 1.0, axes=1), ("axes",)),
    # gaussian_filter1d's own argument checks
    Probe("filter1d/axis-out-of-range", lambda nd: nd.gaussian_filter1d(_x(), 1.0, axis=5)),
    Probe("filter1d/sigma-sequence", lambda nd: nd.gaussian_filter1d(_x(), [1.0, 2.0])),
)


def all_probes() -> tuple[Probe, ...]:
    """Every probe, in a stable order; names are checked to be unique."""
    names = [probe.name for probe in _PROBES]
    if len(names) != len(set(names)):
        raise ValueError("duplicate probe names")
    return _PROBES


def observe(probe: Probe, ndimage: Any) -> dict[str, Any]:
    """Run one probe against ``ndimage`` and describe what happened, as plain data."""
    return observe_call(probe.call, ndimage)


def observe_call(call: Callable[[Any], Any], ndimage: Any) -> dict[str, Any]:
    """Run ``call(ndimage)`` and describe its outcome: result or exception, and any warnings.

    Warnings are recorded by category (``warnings``) and, when there are any, as
    ``"Category: message"`` lines (``warning_messages``): a reworded warning is a change too.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = call(ndimage)
        except Exception as exc:  # the exception *is* the observation
            outcome: dict[str, Any] = {
                "accepted": False,
                "exception": type(exc).__name__,
                "message": str(exc),
            }
        else:
            array = np.asarray(result)
            outcome = {
                "accepted": True,
                "dtype": array.dtype.name,
                "shape": list(array.shape),
                "sha256": sha256_of(array) if array.dtype != object else None,
            }
            if array.dtype.byteorder == ">":  # a big-endian result is an observation too
                outcome["byteorder"] = "big"
    categories = sorted({w.category.__name__ for w in caught})
    if categories:
        outcome["warnings"] = categories
        outcome["warning_messages"] = sorted(
            {f"{w.category.__name__}: {w.message}" for w in caught}
        )
    return outcome


def describe_outcome(outcome: dict[str, Any]) -> str:
    """One line a person can read: ``accepted -> float32 (4, 5)`` or ``RuntimeError: ...``."""
    if outcome.get("accepted"):
        text = f"accepted -> {outcome['dtype']} {tuple(outcome['shape'])}"
    else:
        text = f"{outcome['exception']}: {outcome['message']!r}"
    if outcome.get("warnings"):
        text += f" (warns {', '.join(outcome['warnings'])})"
    return text


def differences(expected: dict[str, Any], observed: dict[str, Any]) -> list[str]:
    """What changed between a stored and an observed outcome (empty when identical)."""
    if expected == observed:
        return []
    if expected.get("accepted") != observed.get("accepted"):
        kind = "now accepted" if observed.get("accepted") else "now rejected"
        return [f"{kind}: was {describe_outcome(expected)}; now {describe_outcome(observed)}"]
    changes = []
    if observed.get("accepted"):
        for key in ("dtype", "shape"):
            if expected.get(key) != observed.get(key):
                changes.append(f"result {key} {expected.get(key)} -> {observed.get(key)}")
        if expected.get("sha256") != observed.get("sha256") and not changes:
            changes.append("result values changed (same dtype and shape, different bits)")
    else:
        if expected.get("exception") != observed.get("exception"):
            changes.append(
                f"exception type {expected.get('exception')} -> {observed.get('exception')}"
            )
        if expected.get("message") != observed.get("message"):
            changes.append(f"message {expected.get('message')!r} -> {observed.get('message')!r}")
    if expected.get("warnings") != observed.get("warnings"):
        changes.append(f"warnings {expected.get('warnings')} -> {observed.get('warnings')}")
    elif expected.get("warning_messages") != observed.get("warning_messages"):
        changes.append(
            f"warning messages {expected.get('warning_messages')} -> "
            f"{observed.get('warning_messages')}"
        )
    return changes


def only_float_bits(expected: dict, outcome: dict) -> bool:
    """Both accepted, same float dtype and shape: only the result's bits differ.

    Such a difference may come from ``numpy.exp`` alone (its last bits depend on the numpy
    release and the CPU's SIMD path), which SciPy uses for the kernel weights.
    """
    return (
        bool(expected.get("accepted"))
        and bool(outcome.get("accepted"))
        and expected.get("dtype") == outcome.get("dtype")
        and str(outcome.get("dtype", "")).startswith(("float", "complex"))
        and list(expected.get("shape", [])) == list(outcome.get("shape", []))
    )
