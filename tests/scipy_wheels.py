"""Candidate SciPy wheels for the matrix tests: a released wheel, repacked.

A real SciPy build takes far too long here, so a released wheel (downloaded once with
``pip download`` and cached) stands in for a pull request's ``python -m build``: its
``scipy/ndimage/_filters.py`` is edited, its version changed, its ``.dist-info`` folder
renamed and its METADATA and RECORD (sha256 and size of every file) rewritten, so the
result installs like any other wheel.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest
from filelock import FileLock
from packaging.utils import parse_wheel_filename

RELEASE = "1.17.1"  # the baseline the candidates are repacked from
FILTERS = "scipy/ndimage/_filters.py"
RADIUS_LINE = "    lw = int(truncate * sd + 0.5)\n"
#: the end of gaussian_filter (SciPy 1.17.1), where a planted slowdown goes
GAUSSIAN_TAIL = (
    "    if len(axes) > 0:\n"
    "        for axis, sigma, order, mode, radius in axes:\n"
    "            gaussian_filter1d(input, sigma, axis, order, output,\n"
    "                              mode, cval, truncate, radius=radius)\n"
    "            input = output\n"
    "    else:\n"
    "        output[...] = input[...]\n"
    "    return output\n"
)

#: the module-level function a named helper is defined before (SciPy 1.17.1)
KERNEL_DEF = "def _gaussian_kernel1d(sigma, order, radius):\n"
Edit = tuple[str, str]
#: name -> (new local version, how _filters.py changes: one edit or several). Each edit must
#: apply exactly once.
VARIANTS: dict[str, tuple[str, Edit | tuple[Edit, ...] | None]] = {
    # the same code under a new version: outputs must not change
    "unchanged": ("1.18.0.dev0+gfbench.unchanged", None),
    # the kernel radius rule int(truncate*sigma + 0.5) becomes + 1.5: every output changes
    "wider-kernel": (
        "1.18.0.dev0+gfbench.wider",
        (RADIUS_LINE, "    lw = int(truncate * sd + 1.5)\n"),
    ),
    # 30% slower on uint16 input only: the call spins for 0.3x its own time before returning,
    # so the slowdown is a ratio (whatever the case's size) on that dtype and nothing else
    "slow-uint16": (
        "1.18.0.dev0+gfbench.slowuint16",
        (
            GAUSSIAN_TAIL,
            GAUSSIAN_TAIL.replace(
                "    return output\n",
                "    if _dtype_in == np.uint16:\n"
                "        _spent = _clock() - _t0\n"
                "        while _clock() - _t0 < 1.3 * _spent:\n"
                "            pass\n"
                "    return output\n",
            ).replace(
                "    if len(axes) > 0:\n",
                "    _clock = __import__('time').perf_counter\n"
                "    _t0, _dtype_in = _clock(), input.dtype\n"
                "    if len(axes) > 0:\n",
            ),
        ),
    ),
    # planted Python-level work (issue 22): a loop of input.size // 4 empty iterations per 1-D
    # pass, about 30% more instructions at 128x128; invisible to entry-symbol counts
    "python-work": (
        "1.18.0.dev0+gfbench.pywork",
        (RADIUS_LINE, "    for _ in range(np.size(input) // 4):\n        pass\n" + RADIUS_LINE),
    ),
    # the same work in one named Python function (issue 23): compare's "where" list must name
    # _gfbench_extra_work first; a module-level function, defined before _gaussian_kernel1d
    "python-work-named": (
        "1.18.0.dev0+gfbench.pyworknamed",
        (
            (RADIUS_LINE, "    _gfbench_extra_work(np.size(input) // 4)\n" + RADIUS_LINE),
            (
                KERNEL_DEF,
                "def _gfbench_extra_work(n):\n    for _ in range(n):\n        pass\n\n\n"
                + KERNEL_DEF,
            ),
        ),
    ),
    # planted native work (issue 22): after the real passes, the first 5% of axis 0 (at least
    # one line) is filtered again through gaussian_filter1d and discarded: about 5% more work in
    # SciPy's C core, the same output
    "native-work": (
        "1.18.0.dev0+gfbench.nativework",
        (
            GAUSSIAN_TAIL,
            GAUSSIAN_TAIL.replace(
                "    if len(axes) > 0:\n",
                "    _first = input\n    if len(axes) > 0:\n",
            ).replace(
                "    return output\n",
                "    if axes and _first.ndim >= 1 and _first.shape[0] >= 1:\n"
                "        _extra = _first[: max(1, round(0.05 * _first.shape[0]))]\n"
                "        for axis, sigma, order, mode, radius in axes:\n"
                "            _extra = gaussian_filter1d(_extra, sigma, axis, order, None,\n"
                "                                       mode, cval, truncate, radius=radius)\n"
                "    return output\n",
            ),
        ),
    ),
    # a planted slowdown: 2 ms of sleep per 1-D pass, so 4 ms per 2-D call against ~0.05 ms
    "slow": (
        "1.18.0.dev0+gfbench.slow",
        (RADIUS_LINE, "    __import__('time').sleep(0.002)\n" + RADIUS_LINE),
    ),
}


def cache_dir() -> Path:
    """$GFBENCH_TEST_CACHE, else ~/.cache/gfbench/test-wheels (kept between test runs)."""
    root = os.environ.get("GFBENCH_TEST_CACHE") or Path.home() / ".cache" / "gfbench"
    path = Path(root) / "test-wheels"
    path.mkdir(parents=True, exist_ok=True)
    return path


def index_reachable(url: str = "https://pypi.org/simple/scipy/") -> bool:
    try:
        with urllib.request.urlopen(url, timeout=10):
            return True
    except OSError:
        return False


def installed_wheel(out_dir: Path) -> Path | None:
    """The installed SciPy packed back into its wheel (no network), or None when the installed
    version is not ``RELEASE`` or its files are not all there.

    Every file the installation's RECORD lists, except the installer's own (INSTALLER,
    REQUESTED, direct_url.json) and compiled bytecode; the tags come from its WHEEL file.
    """
    from importlib import metadata

    dist = metadata.distribution("scipy")
    if dist.version != RELEASE or not dist.files:
        return None
    wheel_meta = dist.read_text("WHEEL") or ""
    tags = [ln.split(":", 1)[1].strip() for ln in wheel_meta.splitlines() if ln.startswith("Tag:")]
    if not tags:
        return None
    target = out_dir / f"scipy-{RELEASE}-{tags[0]}.whl"
    if target.is_file():
        return target
    out_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    skip = {"INSTALLER", "REQUESTED", "direct_url.json", "RECORD"}
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
        for item in dist.files:
            name = item.as_posix()
            if name.startswith("..") or "__pycache__" in name or name.endswith(".pyc"):
                continue
            if ".dist-info/" in name and name.rsplit("/", 1)[1] in skip:
                continue
            path = Path(dist.locate_file(item))
            if not path.is_file():
                return None
            dst.writestr(name, path.read_bytes())
        info = f"scipy-{RELEASE}.dist-info"
        dst.writestr(f"{info}/RECORD", "")  # repack() writes the real RECORD
    partial.replace(target)
    return target


@functools.cache
def _lock(path: Path) -> FileLock:
    # one object per path: FileLock is reentrant per object (candidate_wheel -> release_wheel)
    return FileLock(str(path) + ".lock")


def _locked(fn):
    """Run ``fn`` holding the wheel cache's file lock: xdist workers share the cache."""

    @functools.wraps(fn)
    def locked(*args, **kwargs):
        with _lock(cache_dir()):
            return fn(*args, **kwargs)

    return locked


@_locked
def release_wheel() -> Path:
    """The released SciPy wheel for this Python: the installed SciPy packed back into its wheel
    when it is ``RELEASE``; else cached, else downloaded with pip.

    Skips the test (with the reason) only when the index cannot be reached; any other
    failure is an error.
    """
    packed = installed_wheel(cache_dir() / "installed")
    if packed is not None:
        return packed
    folder = cache_dir() / "release"
    found = sorted(folder.glob(f"scipy-{RELEASE}-*.whl"))
    if found:
        return found[0]
    if not index_reachable():
        pytest.skip(f"PyPI is unreachable: cannot download the SciPy {RELEASE} wheel")
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
         "--disable-pip-version-check", "-d", str(folder), f"scipy=={RELEASE}"],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    return sorted(folder.glob(f"scipy-{RELEASE}-*.whl"))[0]


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode()


def repack(source: Path, out_dir: Path, version: str, edit: Edit | tuple[Edit, ...] | None) -> Path:
    """A copy of ``source`` with ``_filters.py`` edited and the version set to ``version``."""
    _name, old_version, _build, _tags = parse_wheel_filename(source.name)
    old_info, new_info = f"scipy-{old_version}.dist-info", f"scipy-{version}.dist-info"
    tags = source.name[len(f"scipy-{old_version}-") :]
    target = out_dir / f"scipy-{version}-{tags}"
    if target.is_file():
        return target
    out_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    record_lines = []
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED,
                                                         compresslevel=1) as dst:  # fmt: skip
        for info in src.infolist():
            name = info.filename
            if name == f"{old_info}/RECORD":
                continue
            data = src.read(name)
            if name == FILTERS and edit is not None:
                text = data.decode()
                edits = (edit,) if isinstance(edit[0], str) else edit
                for old, new in edits:
                    assert text.count(old) == 1, f"{FILTERS}: the edit does not apply once"
                    text = text.replace(old, new)
                data = text.encode()
            if name == f"{old_info}/METADATA":
                lines = data.decode().splitlines(keepends=True)
                lines = [f"Version: {version}\n" if ln.startswith("Version:") else ln
                         for ln in lines]  # fmt: skip
                data = "".join(lines).encode()
            if name.startswith(old_info + "/"):
                name = new_info + name[len(old_info) :]
            dst.writestr(name, data)
            record_lines.append(f"{name},{_record_hash(data)},{len(data)}")
        record_lines.append(f"{new_info}/RECORD,,")
        dst.writestr(f"{new_info}/RECORD", "\n".join(record_lines) + "\n")
    partial.replace(target)
    return target


@_locked
def candidate_wheel(variant: str) -> Path:
    """A repacked candidate wheel (cached per variant)."""
    version, edit = VARIANTS[variant]
    # the folder is named for the edit and the source wheel (downloaded or repacked from the
    # installation: their tags differ), so it never holds two wheels or a stale one
    source = release_wheel()
    tag = hashlib.sha256(repr((version, edit, source.name)).encode()).hexdigest()[:12]
    return repack(source, cache_dir() / "candidates" / tag, version, edit)
