"""The main job: verify SciPy, then say where everything is.

For now ``gfbench run`` runs ``gfbench verify`` (the reference suite) and prints where the suite,
its records and the next steps live. The sweep and the report join it here as they land.

examples:
  gfbench run
  gfbench run --json

exit codes: 0 ok, 1 verification found a change, 2 usage error.
"""

from __future__ import annotations

import argparse
import json

from bench.verify import render, suite_dir, verify


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the verify results as JSON")


def run(*, as_json: bool = False) -> int:
    """Run the main job and print its summary; return the exit code."""
    result = verify()
    if as_json:
        print(json.dumps(result.document, indent=1, default=str))
        return int(result.exit_code)
    print(render(result))
    print()
    print(f"reference suite: {suite_dir()}")
    print(f"golden records:  {suite_dir() / 'data'}")
    print("details:         gfbench verify --json   (re-record on purpose: --update-golden)")
    return int(result.exit_code)


def main(args: argparse.Namespace) -> int:
    return run(as_json=args.json)
