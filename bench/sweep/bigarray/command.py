"""``gfbench bigarray``: options, progress on stderr, the table (or JSON) on stdout.

``bench.sweep.bigarray`` exports ``add_arguments`` and ``main``: the CLI shows that package's
docstring as this verb's ``--help`` description.
"""

from __future__ import annotations

import argparse
import errno
import json
import math
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
    parser.add_argument(
        "--max-bytes",
        type=int,
        metavar="N",
        help="most memory the chunks computed at once may need, in bytes (default: half the "
        "memory available now); a larger shape or chunking is refused before anything runs",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


#: Most chunks a bigarray may have: dask's task graph holds several tasks per chunk and mode,
#: and 99999999999^2 in 4096^2 chunks built a graph until the machine ran out of memory.
MAX_CHUNKS = 100_000


def check_resources(spec: BigArraySpec, max_bytes: int | None = None) -> None:
    """Refuse (UsageError, naming the option) a spec whose task graph or chunks in flight
    would not fit in memory; before any graph is built."""
    import os

    from bench.sweep.cases import default_max_bytes

    if max_bytes is not None and (isinstance(max_bytes, bool) or max_bytes < 1):
        raise UsageError(f"--max-bytes: got {max_bytes!r}; allowed: an int >= 1 (bytes)")
    n_chunks = math.prod(math.ceil(n / c) for n, c in zip(spec.shape, spec.chunks, strict=True))
    if n_chunks > MAX_CHUNKS:
        raise UsageError(
            f"--shape/--chunks: {'x'.join(map(str, spec.shape))} in "
            f"{'x'.join(map(str, spec.chunks))} chunks is {n_chunks:.3g} chunks, over the limit of "
            f"{MAX_CHUNKS} (the task graph alone would not fit in memory); use larger --chunks "
            "or a smaller --shape"
        )
    # per chunk in flight: the chunk with its overlap, as input, float64 work copies and
    # outputs of dask-image and SciPy (~6 arrays of 8 bytes), one per thread
    padded = math.prod(
        min(n, c + 2 * spec.depth) for n, c in zip(spec.shape, spec.chunks, strict=True)
    )
    need = padded * 8 * 6 * min(os.cpu_count() or 1, n_chunks)
    limit = default_max_bytes() if max_bytes is None else max_bytes
    if need > limit:
        raise UsageError(
            f"--chunks: the chunks computed at once need about {need / 2**30:.3g} GiB, over the "
            f"limit of {limit / 2**30:.3g} GiB; use smaller --chunks, or raise the limit with "
            "--max-bytes"
        )


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
    check_resources(spec, args.max_bytes)
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
        except OSError as exc:  # checked up front; a full disk is exit 5, not a usage error
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise
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
