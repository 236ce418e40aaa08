"""Per-SciPy-version records of golden outputs and API probes, in ``reference/data/``.

``scipy-<version>_numpy-<major.minor>.json`` holds one record per SciPy version and numpy
feature release; ``golden-arrays.npz`` every distinct golden output, keyed by its SHA-256. The
record compared against is the installed pair's, else the nearest one; the report names it.

Records are written only on purpose, by ``gfbench verify --update-golden``.

Why: docs/verify.md.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import platform
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from reference import DATA_DIR
from reference.grid import GoldenCase, sha256_of
from reference.probes import Probe, capabilities, missing_reason, observe, observe_call

SCHEMA_VERSION = 1
ARRAYS_FILE = "golden-arrays.npz"
_RECORD_RE = re.compile(
    r"^scipy-(?P<scipy>[0-9][0-9A-Za-z.+-]*)_numpy-(?P<numpy>[0-9]+\.[0-9]+)\.json$"
)


def parse_version(text: str) -> tuple[int, ...]:
    """The leading numeric release of a version string: ``'1.18.0rc1'`` -> ``(1, 18, 0)``."""
    numbers = []
    for part in text.split("."):
        match = re.match(r"\d+", part)
        if not match:
            break
        numbers.append(int(match.group()))
        if match.group() != part:
            break
    return tuple(numbers)


def exp_fingerprint() -> str:
    """SHA-256 (first 16 hex digits) of ``numpy.exp`` on the arguments SciPy's kernels use.

    SciPy computes its weights as ``np.exp(-0.5 / sigma**2 * x**2)``. numpy picks a SIMD ``exp``
    by CPU (AVX-512 machines take another path than AVX2 ones), so two machines with the same
    versions can still disagree in the last bit of a weight, and then in float64 outputs.
    Recording this fingerprint lets a report name that cause instead of leaving it a mystery.
    """
    x = np.arange(-40, 41)
    args = [-0.5 / (s * s) * x**2 for s in (0.55, 0.6, 0.625, 0.7, 1.0, 1.1, 1.2, 1.5, 2.0,
                                                2.5, 3.0, 4.0, 10.0)]  # fmt: skip
    values = np.exp(np.concatenate(args))
    return sha256_of(values)[:16]


def environment() -> dict[str, str]:
    """Versions and platform that produced (or now check) the outputs."""
    import scipy

    return {
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "byteorder": sys.byteorder,
        "numpy_exp": exp_fingerprint(),
    }


@dataclasses.dataclass(frozen=True)
class Record:
    """A stored record: what one SciPy version produced for the golden grid and the probes."""

    scipy_version: str
    path: Path
    generator: dict[str, Any]
    capabilities: dict[str, bool]
    golden: dict[str, dict[str, Any]]
    probes: dict[str, dict[str, Any]]
    exact: bool
    #: Argument-form outcomes (``reference.forms``); empty in records made before they existed.
    forms: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    #: Non-finite cases (``reference.nonfinite``) and input-array variants (``reference.arrays``);
    #: empty in records made before they existed.
    nonfinite: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    arrays: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    #: The environment that recorded each later-added section (``add_sections``), by section.
    supplements: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.scipy_version:
            raise ValueError("scipy_version must be a non-empty version string")

    def numpy_mismatch(self, installed: dict[str, str]) -> str | None:
        """Why float64 bits may differ from this record for numpy's sake alone, if they may.

        SciPy builds its kernel weights with ``numpy.exp``, whose last bits depend on the numpy
        release and on the CPU's SIMD path. Returns None when the record was made with the
        installed SciPy, numpy release and ``numpy.exp`` bits.
        """
        gen = self.generator
        if self.scipy_version == installed["scipy"] and not self.exact:
            return (
                f"the record was made with numpy {gen.get('numpy')}, this is numpy "
                f"{installed['numpy']}"
            )
        if gen.get("numpy_exp") and gen.get("numpy_exp") != installed.get("numpy_exp"):
            return (
                f"numpy.exp gives other bits here than on the record's machine "
                f"({gen.get('machine')}, {gen.get('platform')})"
            )
        return None

    def section_bits_comparable(self, section: str, installed: dict[str, str]) -> str | None:
        """None when ``section``'s SHA-256s were made with the installed SciPy, numpy release
        and ``numpy.exp`` bits (so they must match); else why they are not compared."""
        gen = self.supplements.get(section, self.generator)
        if gen.get("scipy") != installed["scipy"]:
            return f"the record's {section} section was made with SciPy {gen.get('scipy')}"
        if numpy_release(str(gen.get("numpy"))) != numpy_release(installed["numpy"]):
            return f"the record's {section} section was made with numpy {gen.get('numpy')}"
        if gen.get("numpy_exp") != installed.get("numpy_exp"):
            return "numpy.exp gives other bits here than on the machine that made the record"
        return None

    def describe(self, installed: dict[str, str]) -> str:
        """Which record is used and how it differs from this environment, in one paragraph."""
        gen = self.generator
        text = (
            f"record {self.path.name} (SciPy {gen.get('scipy')}, numpy {gen.get('numpy')}, "
            f"{gen.get('machine')}, {gen.get('platform')})"
        )
        if not self.exact and self.scipy_version != installed["scipy"]:
            text += (
                f"; no record for SciPy {installed['scipy']}, so differences are changes "
                f"between SciPy {self.scipy_version} and {installed['scipy']}"
            )
        elif not self.exact:
            text += (
                f"; no record for numpy {numpy_release(installed['numpy'])} with this SciPy, "
                "so differences may come from numpy (SciPy computes its weights with numpy.exp)"
            )
        others = [
            f"{key} {gen.get(key)} -> {installed[key]}"
            for key in ("numpy", "machine")
            if gen.get(key) != installed.get(key)
        ]
        if others:
            text += "; environment differs from the record's: " + ", ".join(others)
        if gen.get("numpy_exp") and gen.get("numpy_exp") != installed.get("numpy_exp"):
            text += (
                "; numpy.exp gives other bits here than on the record's machine (CPU-dependent "
                "SIMD paths), so float64 golden outputs may differ for that reason alone: "
                "see each failure's distance to the oracle"
            )
        return text


def numpy_release(version: str) -> str:
    """``'2.4.6'`` -> ``'2.4'``: the part of numpy's version a record is keyed by."""
    return ".".join(str(n) for n in parse_version(version)[:2])


def record_name(scipy_version: str, numpy_version: str) -> str:
    return f"scipy-{scipy_version}_numpy-{numpy_release(numpy_version)}.json"


def record_files(data_dir: Path = DATA_DIR) -> dict[tuple[str, str], Path]:
    """``{(scipy_version, numpy_release): path}`` for every stored record."""
    found = {}
    for path in sorted(Path(data_dir).glob("scipy-*.json")):
        match = _RECORD_RE.match(path.name)
        if match:
            found[(match.group("scipy"), match.group("numpy"))] = path
    return found


def load_record(path: Path, *, exact: bool) -> Record:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if data.get("schema") != SCHEMA_VERSION:
        raise ValueError(
            f"{path}: schema {data.get('schema')!r} is not {SCHEMA_VERSION}; "
            "regenerate it with `gfbench verify --update-golden`"
        )
    return Record(
        scipy_version=data["generator"]["scipy"],
        path=Path(path),
        generator=data["generator"],
        capabilities=data["capabilities"],
        golden=data["golden"],
        probes=data["probes"],
        exact=exact,
        forms=_checked_forms(data.get("forms", {}), path),
        nonfinite=_checked_forms(data.get("nonfinite", {}), path),
        arrays=_checked_forms(data.get("arrays", {}), path),
        supplements=_checked_forms(data.get("supplements", {}), path),
    )


def _checked_forms(forms: Any, path: Path) -> dict[str, dict[str, Any]]:
    """The record's ``forms`` section, validated: ``{name: outcome dict}``."""
    if not isinstance(forms, dict) or not all(
        isinstance(k, str) and isinstance(v, dict) for k, v in forms.items()
    ):
        raise ValueError(
            f"{path}: 'forms', 'nonfinite', 'arrays' and 'supplements' must map names to objects"
        )
    return forms


def select_record(
    scipy_version: str, numpy_version: str, data_dir: Path = DATA_DIR
) -> Record | None:
    """The record to compare against (see the module docstring for the order of preference)."""
    files = record_files(data_dir)
    if not files:
        return None
    wanted_np = parse_version(numpy_release(numpy_version))
    if (scipy_version, numpy_release(numpy_version)) in files:
        return load_record(files[(scipy_version, numpy_release(numpy_version))], exact=True)

    def numpy_distance(key: tuple[str, str]) -> tuple[int, ...]:
        have = parse_version(key[1])
        return tuple(abs(a - b) for a, b in zip(have, wanted_np, strict=False))

    same_scipy = [key for key in files if key[0] == scipy_version]
    if same_scipy:
        return load_record(files[min(same_scipy, key=numpy_distance)], exact=False)
    wanted = parse_version(scipy_version)
    versions = sorted({key[0] for key in files}, key=parse_version)
    older = [v for v in versions if parse_version(v) <= wanted]
    chosen = older[-1] if older else versions[0]
    candidates = [key for key in files if key[0] == chosen]
    return load_record(files[min(candidates, key=numpy_distance)], exact=False)


def load_arrays(data_dir: Path = DATA_DIR) -> dict[str, np.ndarray]:
    """All stored golden outputs, keyed by SHA-256 (empty if the file is missing)."""
    path = Path(data_dir) / ARRAYS_FILE
    if not path.exists():
        return {}
    with np.load(path, allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def summarize(array: np.ndarray) -> dict[str, Any]:
    """dtype, shape, hash and a few numbers a person can compare by eye."""
    values = array.view(np.float64) if array.dtype == np.complex128 else array
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    return {
        "dtype": array.dtype.name,
        "shape": list(array.shape),
        "sha256": sha256_of(array),
        "sum": float(finite.sum()) if finite.size else 0.0,
        "min": float(finite.min()) if finite.size else None,
        "max": float(finite.max()) if finite.size else None,
    }


def observe_case(
    case: GoldenCase, gaussian_filter: Any
) -> tuple[dict[str, Any], np.ndarray | None]:
    """Run one golden case: ``(summary or exception, output array or None)``."""
    try:
        output = case.run(gaussian_filter)
    except Exception as exc:  # a golden case that raises is recorded as such
        return {"exception": type(exc).__name__, "message": str(exc)}, None
    return summarize(output), output


def generate(
    ndimage: Any,
    cases: Iterable[GoldenCase],
    probes: Iterable[Probe],
    forms: Iterable[Any] = (),
    nonfinite: Iterable[Any] = (),
    array_variants: Iterable[Any] = (),
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Observe every golden case, probe, argument form, non-finite case and input-array
    variant: ``(record, arrays by sha256)``."""
    caps = capabilities(ndimage.gaussian_filter)
    golden: dict[str, dict[str, Any]] = {}
    arrays: dict[str, np.ndarray] = {}
    for case in cases:
        missing = [f for f in case.requires if not caps[f]]
        if missing:
            entry: dict[str, Any] = {"unavailable": missing_reason(missing[0])}
        else:
            entry, output = observe_case(case, ndimage.gaussian_filter)
            if output is not None:
                arrays[entry["sha256"]] = output
        golden[case.case_id] = {"params": case.params(), **entry}
    probe_outcomes: dict[str, dict[str, Any]] = {}
    for probe in probes:
        missing = [f for f in probe.requires if not caps[f]]
        if missing:
            probe_outcomes[probe.name] = {"unavailable": missing_reason(missing[0])}
        else:
            probe_outcomes[probe.name] = observe(probe, ndimage)
    form_outcomes: dict[str, dict[str, Any]] = {}
    for form in forms:
        missing = [f for f in form.requires if not caps[f]]
        if missing:
            form_outcomes[form.name] = {"unavailable": missing_reason(missing[0])}
        else:
            form_outcomes[form.name] = observe_call(form.call, ndimage)
    record = {
        "schema": SCHEMA_VERSION,
        "generator": {
            **environment(),
            "created": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        "capabilities": caps,
        "golden": golden,
        "probes": probe_outcomes,
        "forms": form_outcomes,
        **observe_sections(ndimage, nonfinite, array_variants),
    }
    return record, arrays


def observe_sections(
    ndimage: Any, nonfinite: Iterable[Any] = (), array_variants: Iterable[Any] = ()
) -> dict[str, dict[str, Any]]:
    """The ``nonfinite`` and ``arrays`` sections: outcome per case, keyed by id."""
    from reference.arrays import observe_variant
    from reference.nonfinite import observe_nonfinite

    return {
        "nonfinite": {c.case_id: {"params": c.params(), **observe_nonfinite(c, ndimage)}
                      for c in nonfinite},
        "arrays": {v.name: observe_variant(v, ndimage) for v in array_variants},
    }  # fmt: skip


def add_sections(sections: dict[str, dict[str, Any]], data_dir: Path = DATA_DIR) -> Path:
    """Put ``sections`` into the installed SciPy x numpy's existing record, nothing else changed.

    The golden, probe and form entries keep the bits of the machine that recorded them; the
    environment that made the new sections is kept under ``"supplements"``, so their bits are
    compared only where that environment's ``numpy.exp`` matches.
    """
    env = environment()
    path = Path(data_dir) / record_name(env["scipy"], env["numpy"])
    if not path.exists():
        raise FileNotFoundError(
            f"{path} does not exist; record the whole of it with `gfbench verify --update-golden`"
        )
    data = json.loads(path.read_text(encoding="utf-8"))
    created = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    supplements = dict(data.get("supplements", {}))
    for name, entries in sections.items():
        data[name] = entries
        supplements[name] = {**env, "created": created}
    data["supplements"] = supplements
    path.write_text(_dumps(data), encoding="utf-8")
    return path


def _dumps(record: dict[str, Any]) -> str:
    # One case / probe per line: a regenerated record diffs line by line in git.
    lines = ["{"]
    keys = list(record)
    for i, key in enumerate(keys):
        comma = "," if i < len(keys) - 1 else ""
        value = record[key]
        if key in ("golden", "probes", "forms", "nonfinite", "arrays"):
            lines.append(f"  {json.dumps(key)}: {{")
            items = list(value.items())
            for j, (name, entry) in enumerate(items):
                sep = "," if j < len(items) - 1 else ""
                lines.append(f"    {json.dumps(name)}: {json.dumps(entry, sort_keys=True)}{sep}")
            lines.append(f"  }}{comma}")
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value, sort_keys=True)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write(record: dict[str, Any], arrays: dict[str, np.ndarray], data_dir: Path = DATA_DIR) -> Path:
    """Store ``record`` as ``scipy-<version>.json`` and merge ``arrays`` into the shared npz.

    Arrays no record refers to any more are dropped, so the npz never grows stale.
    """
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / record_name(record["generator"]["scipy"], record["generator"]["numpy"])
    path.write_text(_dumps(record), encoding="utf-8")
    referenced: set[str] = set()
    for other in record_files(data_dir).values():
        golden = json.loads(other.read_text(encoding="utf-8")).get("golden", {})
        referenced.update(e["sha256"] for e in golden.values() if "sha256" in e)
    merged = {k: v for k, v in load_arrays(data_dir).items() if k in referenced}
    merged.update({k: v for k, v in arrays.items() if k in referenced})
    tmp = data_dir / (ARRAYS_FILE + ".tmp.npz")
    np.savez_compressed(tmp, **dict(sorted(merged.items())))
    tmp.replace(data_dir / ARRAYS_FILE)
    return path
