"""``gfbench``: a thin shell over the Python API.

Each verb lives in its own module, which provides ``add_arguments(parser)`` and
``main(args) -> int``; this file only wires them together and maps exceptions to
the exit codes of DESIGN.md.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Sequence

from bench.exitcodes import ExitCode, UsageError

# verb -> (module, one-line help). Modules are imported lazily so that
# `gfbench --help` stays fast and a broken optional verb cannot break the others.
VERBS: dict[str, tuple[str, str]] = {
    "run": ("bench.run", "the main job: verify, then the quick sweep, then the report"),
    "verify": ("bench.verify", "run the reference suite against the installed SciPy"),
    "sweep": ("bench.sweep", "time and measure the accuracy of a grid of cases"),
    "report": ("bench.report.command", "render tables, plots and the pitfalls of a run"),
    "compare": ("bench.compare", "diff runs or verify results, with a statistical gate"),
    "matrix": ("bench.matrix", "run verify and sweep in one environment per SciPy version"),
    "bigarray": ("bench.bigarray", "dask-image on a chunked big array, checked per mode vs SciPy"),
    "calibrate": ("bench.calibrate", "measure the compare gate's false-positive rate (A/A)"),
}


def _available_verbs() -> dict[str, tuple[str, str]]:
    available = {}
    for verb, spec in VERBS.items():
        try:
            found = importlib.util.find_spec(spec[0]) is not None
        except ModuleNotFoundError:
            found = False
        if found:
            available[verb] = spec
    return available


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gfbench",
        description="Benchmark and verify scipy.ndimage.gaussian_filter.",
        epilog="Exit codes: 0 ok, 1 changed/failed, 2 usage error, "
        "3 performance regression, 4 inconclusive, 130 interrupted.",
    )
    from bench import __version__

    parser.add_argument("--version", action="version", version=f"gfbench {__version__}")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    for verb, (module_name, help_text) in _available_verbs().items():
        module = importlib.import_module(module_name)
        verb_parser = sub.add_parser(
            verb,
            help=help_text,
            description=(module.__doc__ or help_text).strip(),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(verb_parser)
        verb_parser.set_defaults(_main=module.main)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    if args.verb is None:
        parser.print_help()
        return ExitCode.USAGE
    try:
        return int(args._main(args))
    except UsageError as exc:
        print(f"gfbench {args.verb}: error: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        print(f"gfbench {args.verb}: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
