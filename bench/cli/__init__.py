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
import contextlib
import importlib
import os
import signal
import sys
import threading
import warnings
from collections.abc import Iterator, Sequence

from bench.exitcodes import ExitCode, UsageError
from bench.store.safe_text import one_line, redact_url

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
        "3 performance regression, 4 inconclusive, 5 gfbench failed (crash, full disk), "
        "130 interrupted (Ctrl-C or SIGTERM).",
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
        description=(getattr(module, "HELP", None) or module.__doc__ or help_text).strip(),
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
    previous = _terminate_like_interrupt()
    try:
        with _plain_warnings(verb):
            return int(args._main(args))
    except UsageError as exc:
        print(f"gfbench {verb}: error: {one_line(redact_url(str(exc)))}", file=sys.stderr)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        print(f"gfbench {verb}: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except Exception as exc:
        return _crashed(verb, exc)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _terminate_like_interrupt():
    """SIGTERM (a CI timeout, ``kill``) stops like Ctrl-C: cleanup runs, a sweep's run is left
    "interrupted" and resumable, and the exit code is 130. Returns the previous handler."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum, frame) -> None:
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, handler)


def _crashed(verb: str, exc: BaseException) -> int:
    """Exit ``FAILED`` (5) for an uncaught exception: one sentence on stderr, and the
    traceback in a file (its path printed), so a CI log is readable and nothing is lost."""
    import errno
    import tempfile
    import traceback

    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        what = f"the disk is full ({exc.filename or exc.strerror})"
    else:
        what = f"{type(exc).__name__}: {exc}"
    where = "(no file could be written for the traceback)"
    try:
        fd, path = tempfile.mkstemp(prefix=f"gfbench-{verb}-crash-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(redact_url("".join(traceback.format_exception(exc))))
        where = f"the traceback is in {path}"
    except OSError:
        pass
    print(
        f"gfbench {verb}: failed (exit 5): {one_line(redact_url(what), 500)}; {where}",
        file=sys.stderr,
    )
    return ExitCode.FAILED


@contextlib.contextmanager
def _plain_warnings(verb: str) -> Iterator[None]:
    """Show Python warnings as one line on stderr while the verb runs, then restore the hook.

    ``warnings.catch_warnings`` saves and restores ``showwarning`` (and the filters), so a
    caller of ``main()`` (a test, a notebook) gets its own warning display back.
    """

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        print(f"gfbench {verb}: warning: {message}", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


def entry() -> None:
    """The ``gfbench`` command (and ``python -m bench``): a process of its own."""
    from bench.sweep import peakrss

    peakrss.own_this_process()  # the sweep's peak-RSS readings may fix its malloc thresholds
    sys.exit(main())


if __name__ == "__main__":
    entry()
