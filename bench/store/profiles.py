"""The profiles a run keeps beside its rows: names, caps, and reading them back safely.

Whole-call instruction counts keep ``<run>/profiles/<case_id>.callgrind.gz`` (callgrind's dump,
gzipped) and ``<case_id>.bytecodes.json.gz`` (``bench.sweep.bytecodes``); rows name them
(``callgrind_profile``, ``bytecode_profile``) for compare's "where" list. A row's name is used
only if it matches ``PROFILE_NAME`` exactly and stays inside the run folder; the file is read
as a regular file, not a link, under ``MAX_STORED_BYTES``, and decompressed to at most
``MAX_UNPACKED_BYTES``. Kept always: the guard grid's 37 counted cases keep 1.65 MB in all
(measured sizes and why: docs/attribution.md, "Where: the functions whose counts changed").
"""

from __future__ import annotations

import gzip
import re
import zlib
from pathlib import Path

from bench.exitcodes import UsageError
from bench.store.safe_files import check_inside, open_regular, write_atomic

#: The folder of a run that holds its profiles.
PROFILES_DIR = "profiles"
CALLGRIND_SUFFIX = ".callgrind.gz"
BYTECODES_SUFFIX = ".bytecodes.json.gz"
#: What a row's ``callgrind_profile`` / ``bytecode_profile`` may hold, exactly.
PROFILE_NAME = re.compile(r"profiles/[0-9a-f]{12}\.(?:callgrind|bytecodes\.json)\.gz")
#: Largest profile kept or read, gzipped (one is ~46 kB; a larger one is not kept: the row
#: then names none, and compare says the profile is missing).
MAX_STORED_BYTES = 32 * 2**20
#: Largest profile once decompressed (a 64x64 case's dump is 122 kB).
MAX_UNPACKED_BYTES = 256 * 2**20


class ProfileError(UsageError):
    """A profile that cannot be used: a bad name, missing, too large, not gzip."""


def callgrind_name(case_id: str) -> str:
    """The row's ``callgrind_profile`` for ``case_id``: ``profiles/<case_id>.callgrind.gz``."""
    return _checked(f"{PROFILES_DIR}/{case_id}{CALLGRIND_SUFFIX}")


def bytecodes_name(case_id: str) -> str:
    """The row's ``bytecode_profile`` for ``case_id``: ``profiles/<case_id>.bytecodes.json.gz``."""
    return _checked(f"{PROFILES_DIR}/{case_id}{BYTECODES_SUFFIX}")


def is_profile_name(value: object) -> bool:
    """Whether ``value`` is a name a row may hold (``PROFILE_NAME``, exactly)."""
    return isinstance(value, str) and PROFILE_NAME.fullmatch(value) is not None


def _checked(name: str) -> str:
    if not is_profile_name(name):
        raise ValueError(f"{name!r} is not a profile name (a case id is 12 lowercase hex digits)")
    return name


def keep(data: bytes, run_dir: Path, name: str) -> str | None:
    """Write ``data`` gzipped as ``run_dir / name``; the name, or None when over the cap.

    Written atomically through ``bench.store.safe_files`` (never through a link); the
    ``profiles`` folder must stay inside ``run_dir``.
    """
    target = path_in(run_dir, name)
    target.parent.mkdir(exist_ok=True)
    check_inside(target.parent, run_dir)
    packed = gzip.compress(data, compresslevel=6, mtime=0)
    if len(packed) > MAX_STORED_BYTES:
        return None
    write_atomic(target, packed)
    return name


def path_in(run_dir: str | Path, name: object) -> Path:
    """``run_dir / name`` for a valid profile name that stays inside ``run_dir``."""
    if not is_profile_name(name):
        raise ProfileError(f"{name!r} is not a profile name ({PROFILE_NAME.pattern})")
    path = Path(run_dir) / str(name)
    check_inside(path, run_dir)  # resolved (a linked profiles/ folder), it must stay inside
    # the unresolved path: opened with O_NOFOLLOW, a link in its place is refused, not followed
    return path


def read(run_dir: str | Path, name: object) -> bytes:
    """The decompressed bytes of the profile ``name`` of ``run_dir``; ProfileError if unusable."""
    path = path_in(run_dir, name)
    try:
        fh = open_regular(path, max_bytes=MAX_STORED_BYTES, root=run_dir)
    except FileNotFoundError:
        raise ProfileError(f"{path}: the profile the row names is missing") from None
    with fh:
        packed = fh.read(MAX_STORED_BYTES + 1)
    if len(packed) > MAX_STORED_BYTES:
        raise ProfileError(f"{path}: larger than {MAX_STORED_BYTES} bytes")
    unpacker = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip framing
    try:
        data = unpacker.decompress(packed, MAX_UNPACKED_BYTES + 1)
    except zlib.error as exc:
        raise ProfileError(f"{path}: not a gzip file ({exc})") from None
    if len(data) > MAX_UNPACKED_BYTES or unpacker.unconsumed_tail:
        raise ProfileError(f"{path}: more than {MAX_UNPACKED_BYTES} bytes once decompressed")
    return data


__all__ = [
    "BYTECODES_SUFFIX",
    "CALLGRIND_SUFFIX",
    "MAX_STORED_BYTES",
    "MAX_UNPACKED_BYTES",
    "PROFILES_DIR",
    "PROFILE_NAME",
    "ProfileError",
    "bytecodes_name",
    "callgrind_name",
    "is_profile_name",
    "keep",
    "path_in",
    "read",
]
