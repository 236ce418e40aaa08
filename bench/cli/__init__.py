"""``gfbench``: a thin shell over the Python API.

Each verb lives in its own module, which provides ``add_arguments(parser)`` and
``main(args) -> int``; this file only wires them together and maps exceptions to
the exit codes of ``bench.exitcodes`` (the same for every verb; ARCHITECTURE.md).

Also here: ``run`` (``gfbench run``: verify, the quick sweep, the report) and ``envrunner`` (the
small entry point ``gfbench matrix`` starts inside each environment). The shell is the top
stage: it may import every other one, and none imports it.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from bench.exitcodes import ExitCode, UsageError

# verb -> (module, one-line help). Modules are imported lazily so that
# `gfbench --help` stays fast and a broken optional verb cannot break the others.
VERBS: dict[str, tuple[str, str]] = {
    "run": ("bench.cli.run", "the main job: verify, then the quick sweep, then the report"),
    "verify": ("bench.guard.verify", "run the reference suite against the installed SciPy"),
    "sweep": ("bench.sweep.command", "time and measure the accuracy of a grid of cases"),
    "report": ("bench.report.command", "render tables, plots and the pitfalls of a run"),
    "compare": (
        "bench.guard.compare.command",
        "diff runs or verify results, with a statistical gate",
    ),
    "matrix": (
        "bench.guard.matrix.command",
        "run verify and sweep in one environment per SciPy version",
    ),
    "bigarray": (
        "bench.sweep.bigarray",
        "dask-image on a chunked big array, checked per mode vs SciPy",
    ),
    "calibrate": (
        "bench.guard.calibrate.command",
        "measure the compare gate's false-positive rate (A/A)",
    ),
    "bisect": (
        "bench.guard.bisect.command",
        "name the first SciPy release that differs from a good one",
    ),
    "history": ("bench.cli.history", "time every SciPy release in one session and draw a timeline"),
}


def _top_parser() -> argparse.ArgumentParser:
    from bench import __version__

    verbs = "\n".join(f"  {verb:<10} {help_text}" for verb, (_, help_text) in VERBS.items())
    parser = argparse.ArgumentParser(
        prog="gfbench",
        usage="gfbench [-h] [--version] VERB [options]",
        description="Benchmark and verify scipy.ndimage.gaussian_filter.\n\nverbs:\n" + verbs,
        epilog="Run `gfbench VERB --help` for a verb's options and examples.\n"
        "Exit codes: 0 ok, 1 changed/failed, 2 usage error, "
        "3 performance regression, 4 inconclusive, 130 interrupted.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"gfbench {__version__}")
    return parser


def build_parser(verb: str) -> argparse.ArgumentParser:
    """The parser of one verb; only that verb's module is imported."""
    module_name, help_text = VERBS[verb]
    module = importlib.import_module(module_name)
    parser = argparse.ArgumentParser(
        prog=f"gfbench {verb}",
        description=(module.__doc__ or help_text).strip(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    module.add_arguments(parser)
    parser.set_defaults(_main=module.main, verb=verb)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    top = _top_parser()
    if not args_list or args_list[0].startswith("-"):
        try:
            top.parse_args(args_list)  # handles --help and --version (SystemExit 0)
        except SystemExit as exc:
            return int(exc.code or 0)
        top.print_help(sys.stderr)
        return ExitCode.USAGE
    verb = args_list[0]
    if verb not in VERBS:
        print(
            f"gfbench: error: unknown verb {verb!r}; allowed: {', '.join(VERBS)}",
            file=sys.stderr,
        )
        return ExitCode.USAGE
    try:
        args = build_parser(verb).parse_args(args_list[1:])
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    _plain_warnings(verb)
    try:
        return int(args._main(args))
    except UsageError as exc:
        print(f"gfbench {verb}: error: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        print(f"gfbench {verb}: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED


def _plain_warnings(verb: str) -> None:
    """Show Python warnings as one line on stderr, not as a source-location UserWarning."""
    import warnings

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        print(f"gfbench {verb}: warning: {message}", file=sys.stderr)

    warnings.showwarning = show


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
