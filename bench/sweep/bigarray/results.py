"""The result file ``bigarray.json`` (written whole or not at all; its kind and schema checked on
load) and the per-mode text table."""

from __future__ import annotations

from pathlib import Path

from bench.sweep.bigarray.model import SCHEMA_VERSION, BigArrayResult


def result_path(out: str | Path) -> Path:
    """``out`` itself when it ends in ``.json``, else ``out/bigarray.json`` (e.g. a run folder)."""
    out = Path(out)
    return out if out.suffix == ".json" else out / "bigarray.json"


def write(result: BigArrayResult, out: str | Path) -> Path:
    """Write ``result`` as JSON (whole or not at all: temporary file, then rename)."""
    path = result_path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    from bench.store.safe_files import write_atomic
    from bench.store.validate import checked_json, validate_bigarray

    # the report's own check first: a file it would refuse is a bug of this writer
    text = checked_json(result.to_dict(), validate_bigarray, file=path, indent=2)
    write_atomic(path, text + "\n")  # never through a link
    return path


def load(path: str | Path):
    """A written result as a pandas DataFrame, one row per mode; ``attrs["bigarray"]`` = the rest.

    ``path`` may be the JSON file or the folder holding ``bigarray.json``.
    """
    import pandas as pd

    from bench.store.validate import read_json_object, validate_bigarray

    file = result_path(path)
    data = read_json_object(file, what="bigarray result")
    if data.get("kind") != "bigarray" or data.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(f"{path}: not a gfbench bigarray result (schema {SCHEMA_VERSION})")
    validate_bigarray(data, file=file)  # a FileError is a ValueError too
    frame = pd.DataFrame(data["modes"])
    frame.attrs["bigarray"] = {k: v for k, v in data.items() if k != "modes"}
    return frame


def table(result: BigArrayResult) -> str:
    """The per-mode verdicts as a text table."""
    from tabulate import tabulate

    rows = [
        [
            m.mode,
            "yes" if m.equals_scipy else "NO",
            f"{m.max_abs_diff:.3g}",
            m.n_diff_pixels,
            m.n_diff_interior,
            len(m.diff_tiles),
            "-" if m.max_abs_error_vs_oracle is None else f"{m.max_abs_error_vs_oracle:.3g}",
            f"{m.seconds:.1f}",
        ]
        for m in result.modes
    ]
    headers = [
        "mode",
        "equals SciPy",
        "max |diff|",
        "pixels differing",
        "of them interior",
        "tiles differing",
        f"max err vs oracle ({result.spec.oracle_tiles} tiles)",
        "seconds",
    ]
    return tabulate(rows, headers=headers, tablefmt="github")
