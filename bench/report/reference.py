"""The report's reference section: what the reference suite pins, and what it found in this run.

It always shows the documented 7x7 example (the seed document's ``gaussian_filter_image.py``:
its call and the seven lines it prints), then, when the run folder holds ``verify.json``
(``gfbench run`` writes it; or ``gfbench verify --out RUN/verify.json``), the verify table and
the example's claims as this SciPy passed or failed them.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from bench.report.model import Code, Paragraph, Section, Table
from bench.store.safe_text import one_line
from bench.store.validate import read_json_object
from bench.store.validate.guard_files import VERIFY_SCHEMA_VERSION, check_schema

TITLE = "Reference suite"
VERIFY_FILE = "verify.json"


def load_verify(run_dir: Path) -> dict[str, Any] | None:
    """The run's ``verify.json``, validated; None (with a warning on stderr) when unusable."""
    path = Path(run_dir) / VERIFY_FILE
    if not path.is_file():
        return None
    try:
        # a regular file under the size cap, UTF-8, at most MAX_DEPTH deep (FileError otherwise)
        data = read_json_object(path, what="verify result", root=run_dir)
        check_schema(data, "schema", VERIFY_SCHEMA_VERSION, file=path)
        if data.get("tool") != "gfbench verify" or not isinstance(data.get("groups"), list):
            raise ValueError('not the JSON of `gfbench verify` ("tool" and "groups" missing)')
        for group in data["groups"]:
            if not isinstance(group, dict) or not isinstance(group.get("group"), str):
                raise ValueError("every entry of 'groups' needs a 'group' name")
            for key in ("cases", "passed", "failed", "skipped"):
                if not isinstance(group.get(key), int):
                    raise ValueError(f"group {group['group']!r}: {key!r} must be an integer")
        example = data.get("example")
        if example is not None and not (
            isinstance(example, dict)
            and isinstance(example.get("claims"), dict)
            and all(isinstance(c, dict) for c in example["claims"].values())
        ):
            raise ValueError("'example' needs a 'claims' object of objects")
        if not isinstance(data.get("environment", {}), dict):
            raise ValueError("'environment' must be an object")
    except (OSError, ValueError, AttributeError) as exc:
        print(f"gfbench report: warning: ignoring {path}: {one_line(exc, 500)}", file=sys.stderr)
        return None
    return data


def reference_section(verify: dict[str, Any] | None) -> Section:
    """The section: the documented example first, then this run's verify table."""
    from scipy.ndimage import gaussian_filter

    from reference.example import (
        EXAMPLE_PRINTED,
        EXAMPLE_SOURCE,
        example_image,
        example_printed_lines,
    )

    image = example_image()  # run it now, with the SciPy that renders the report
    printed = example_printed_lines(image, gaussian_filter(image, sigma=1.0, mode="reflect"))
    blocks: list = [
        Paragraph(
            "The documented example: the seed document filters a 7x7 float32 image with "
            'gaussian_filter(image, sigma=1.0, mode="reflect") and prints seven lines. The '
            "reference suite pins them character for character, the 49 float32 values bit for "
            "bit (against the record and the oracle's float32 storage model), and each claim "
            "of the document's prose. The output below was printed while rendering this report."
        ),
        Code(EXAMPLE_SOURCE, "\n".join(printed)),
    ]
    if printed != EXAMPLE_PRINTED:
        differing = [got for got, want in zip(printed, EXAMPLE_PRINTED, strict=True) if got != want]
        blocks.append(
            Paragraph(
                "This SciPy prints other lines than the document: " + "; ".join(differing),
                "warning",
            )
        )
    if verify is None:
        blocks.append(
            Paragraph(
                f"This run folder has no {VERIFY_FILE}: the reference suite's results are not "
                f"part of this report (`gfbench run` writes it; or run `gfbench verify --out "
                f"RUN/{VERIFY_FILE}`).",
                "missing",
            )
        )
        return Section(TITLE, tuple(blocks))
    env = verify.get("environment") or {}
    example = verify.get("example")
    if example:
        rows = tuple(
            (str(claim), str(result.get("outcome")), str(result.get("summary") or "")[:160])
            for claim, result in example["claims"].items()
        )
        blocks.append(Table("The documented example's checks", ("claim", "outcome", "what held"),
                            rows))  # fmt: skip
        if not example.get("passed"):
            blocks.append(Paragraph("The documented example FAILS on this SciPy.", "warning"))
    groups = tuple(
        (str(g["group"]), str(g["cases"]), str(g["passed"]), str(g["failed"]), str(g["skipped"]))
        for g in verify["groups"]
    )
    blocks.append(
        Table(
            f"gfbench verify on SciPy {env.get('scipy', '?')}, numpy {env.get('numpy', '?')} "
            f"(exit {verify.get('exit_code')})",
            ("check group", "cases", "passed", "failed", "skipped"),
            groups,
        )
    )
    if verify.get("patch"):
        blocks.append(
            Paragraph(
                f"scipy.ndimage was patched (GFBENCH_SCIPY_PATCH={verify['patch']}): these "
                "results describe that variant, not the installed SciPy.",
                "warning",
            )
        )
    return Section(TITLE, tuple(blocks))
