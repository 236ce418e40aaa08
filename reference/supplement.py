"""Record the non-finite and input-array sections into the installed SciPy's existing record.

``python -m reference.supplement`` observes every case of ``reference.nonfinite`` and every
variant of ``reference.arrays`` with the installed (unpatched) SciPy and writes them into
``reference/data/scipy-<version>_numpy-<x.y>.json``, leaving the golden, probe and form entries
-- and the bits of the machine that recorded them -- as they were. (``gfbench verify
--update-golden`` records everything afresh, these sections included.)
"""

from __future__ import annotations

import sys

from reference import patching


def main() -> int:
    import os

    if os.environ.get(patching.ENV_VAR, "").strip():
        print(f"refusing to record while {patching.ENV_VAR} is set", file=sys.stderr)
        return 2
    import scipy.ndimage

    from reference.arrays import array_variants
    from reference.nonfinite import nonfinite_cases
    from reference.records import add_sections, observe_sections

    sections = observe_sections(scipy.ndimage, nonfinite_cases(), array_variants())
    try:
        path = add_sections(sections)
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"wrote {', '.join(sections)} into {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
