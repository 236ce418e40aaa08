"""The ``nonfinite`` and ``arrays`` record sections: added without touching golden entries, and
their bits compared only where the environment that recorded them matches."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from reference import DATA_DIR
from reference.records import add_sections, environment, load_record, record_name


def _copy_installed_record(tmp_path: Path) -> Path:
    env = environment()
    name = record_name(env["scipy"], env["numpy"])
    shutil.copy(DATA_DIR / name, tmp_path / name)
    return tmp_path / name


def test_add_sections_keeps_everything_else(tmp_path: Path) -> None:
    path = _copy_installed_record(tmp_path)
    before = json.loads(path.read_text())
    entry = {"nonfinite/x/float64/reflect": {"pattern": {"real": "n"}}}
    written = add_sections({"nonfinite": entry}, data_dir=tmp_path)
    after = json.loads(written.read_text())
    for key in ("golden", "probes", "forms", "generator", "arrays"):
        assert after[key] == before[key], key
    assert after["nonfinite"] == entry
    assert after["supplements"]["nonfinite"]["numpy_exp"] == environment()["numpy_exp"]
    record = load_record(written, exact=True)
    assert record.section_bits_comparable("nonfinite", environment()) is None


def test_section_bits_not_compared_across_numpy_exp_or_versions(tmp_path: Path) -> None:
    path = _copy_installed_record(tmp_path)
    add_sections({"arrays": {}}, data_dir=tmp_path)
    record = load_record(path, exact=True)
    env = environment()
    other_exp = {**env, "numpy_exp": "0" * 16}
    assert "numpy.exp" in record.section_bits_comparable("arrays", other_exp)
    assert "SciPy" in record.section_bits_comparable("arrays", {**env, "scipy": "0.1"})
    assert "numpy" in record.section_bits_comparable("arrays", {**env, "numpy": "0.9.0"})


def test_every_stored_record_has_both_sections() -> None:
    from reference.arrays import array_variants
    from reference.nonfinite import nonfinite_cases
    from reference.records import record_files

    cases = {c.case_id for c in nonfinite_cases()}
    variants = {v.name for v in array_variants()}
    for path in record_files().values():
        record = load_record(path, exact=False)
        assert set(record.nonfinite) == cases, path.name
        assert set(record.arrays) == variants, path.name
