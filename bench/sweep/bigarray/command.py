"""``gfbench bigarray``: options, progress on stderr, the table (or JSON) on stdout.

``bench.sweep.bigarray`` exports ``add_arguments`` and ``main``: the CLI shows that package's
docstring as this verb's ``--help`` description.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench.exitcodes import ExitCode, UsageError
from bench.sweep.bigarray.model import DTYPES, BigArraySpec, ModeCheck
from bench.sweep.bigarray.results import result_path, table, write
from bench.sweep.bigarray.run import check
from bench.sweep.cases import MODES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``gfbench bigarray``."""
    parser.epilog = (
        "examples:\n"
        "  gfbench bigarray                                 # 16384^2 float32, every mode\n"
        "  gfbench bigarray --shape 4096 4096 --chunks 1024 --mode wrap --mode reflect\n"
        "  gfbench bigarray --out runs/<run_id>             # writes runs/<run_id>/bigarray.json\n"
        "  gfbench bigarray --scheduler tcp://127.0.0.1:8786 --json\n"
    )
    d = BigArraySpec()
    parser.add_argument(
        "--shape",
        type=int,
        nargs="+",
        default=list(d.shape),
        metavar="N",
        help="array shape (default: %(default)s)",
    )
    parser.add_argument(
        "--chunks",
        type=int,
        nargs="+",
        default=list(d.chunks),
        metavar="N",
        help="chunk shape, one int for every axis or one per axis (default: %(default)s)",
    )
    parser.add_argument(
        "--dtype", default=d.dtype, help=f"one of {', '.join(DTYPES)} (default: %(default)s)"
    )
    parser.add_argument("--sigma", type=float, default=d.sigma, help="(default: %(default)s)")
    parser.add_argument("--truncate", type=float, default=d.truncate, help="(default: %(default)s)")
    parser.add_argument("--order", type=int, default=d.order, help="(default: %(default)s)")
    parser.add_argument("--cval", type=float, default=d.cval, help="(default: %(default)s)")
    parser.add_argument(
        "--mode",
        action="append",
        dest="modes",
        metavar="MODE",
        help=f"repeatable; one of {', '.join(MODES)} (default: all)",
    )
    parser.add_argument(
        "--oracle-tiles",
        type=int,
        default=d.oracle_tiles,
        metavar="K",
        help="tiles per mode also checked against the oracle (default: %(default)s)",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="compute on this dask.distributed scheduler (default: threads in this process)",
    )
    parser.add_argument(
        "--out",
        metavar="PATH",
        help="write the result: PATH.json, or PATH/bigarray.json for a folder such as a run folder",
    )
    parser.add_argument(
        "--force", action="store_true", help="overwrite the result file if it exists"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def main(args: argparse.Namespace) -> int:
    """Run ``gfbench bigarray``; 0 when it ran (a mode that differs is a finding, not a failure)."""
    spec = BigArraySpec(
        shape=tuple(args.shape),
        chunks=tuple(args.chunks),
        dtype=args.dtype,
        sigma=args.sigma,
        truncate=args.truncate,
        order=args.order,
        cval=args.cval,
        modes=tuple(args.modes) if args.modes else MODES,
        oracle_tiles=args.oracle_tiles,
    )
    if args.out is not None:
        _check_writable(Path(args.out), force=args.force)
    client = None
    if args.scheduler:
        from bench.sweep.executors.dask_cluster import connect

        client = connect(args.scheduler)

    def progress(m: ModeCheck) -> None:
        if not args.json:
            verdict = "equals SciPy" if m.equals_scipy else f"DIFFERS ({m.n_diff_pixels} px)"
            print(f"  {m.mode:<14} {verdict}  [{m.seconds:.1f} s]", file=sys.stderr, flush=True)

    if not args.json:
        print(
            f"gfbench bigarray: {'x'.join(map(str, spec.shape))} {spec.dtype} "
            f"({spec.nbytes / 2**30:.2f} GiB) in {'x'.join(map(str, spec.chunks))} chunks, "
            f"sigma={spec.sigma:g}, radius={spec.radius}",
            file=sys.stderr,
        )
    try:
        result = check(spec, client=client, on_mode=progress)
    finally:
        if client is not None:
            client.close()
    if args.out is not None:
        try:
            path = write(result, args.out)
        except OSError as exc:  # checked up front; the disk may still fill up meanwhile
            raise UsageError(f"--out: cannot write {str(args.out)!r}: {exc.strerror}") from None
        if not args.json:
            print(f"wrote {path}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(table(result))
    return ExitCode.OK


def _check_writable(path: Path, *, force: bool = False) -> None:
    # before minutes of computing: fail now on an unwritable --out. A real write probe, not
    # os.access, which says yes to root everywhere (issue 10)
    from bench.outputs import check_out_dir, check_out_file

    if result_path(path) != path:  # a folder (e.g. a run folder): made if its parent exists
        check_out_dir(path)
    check_out_file(result_path(path), force=force)
