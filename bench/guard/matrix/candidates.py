"""What ``gfbench matrix --scipy`` may name, checked before anything is built.

One job: turn each ``--scipy`` value (plus ``--index-url`` / ``--extra-index-url`` and
``--env``) into a `Candidate` -- a release pinned on the default index, a wheel file
(given, or fetched from another index), or ``current`` (this interpreter's SciPy) -- and
reject bad input with a `UsageError` naming the argument: a path that is not a wheel, a
wheel of another package or for another Python/platform, an unreachable index, a version
that does not exist.

Indexes are read through the simple repository API (PEP 503 HTML, which every index
serves, PyPI and the nightly-wheels channel included); wheel file names and tags through
``packaging``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html.parser
import os
import re
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from collections.abc import Iterable, Mapping, Sequence
from email.parser import HeaderParser
from pathlib import Path

from packaging.tags import Tag, compatible_tags, cpython_tags, platform_tags, sys_tags
from packaging.utils import (
    InvalidWheelFilename,
    canonicalize_name,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from bench.exitcodes import UsageError

#: the oldest SciPy the harness supports (pyproject: scipy>=1.10; `radius=` arrived in 1.10)
MIN_SCIPY = Version("1.10")
DEFAULT_INDEX = "https://pypi.org/simple"
INDEX_TIMEOUT_S = 20.0
# strict: digits, dots, a pre-release and a dev tag only. A version goes into a
# requirement (scipy==X) and a folder name, so nothing else may get through.
_VERSION_RE = re.compile(r"^\d+\.\d+(\.\d+)?((a|b|rc)\d+)?(\.dev\d+)?$")
_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# variables that would break the isolation of an environment under test
_RESERVED_ENV = {"PYTHONPATH", "PYTHONHOME", "PYTHONNOUSERSITE", "VIRTUAL_ENV", "PATH"}


@dataclasses.dataclass(frozen=True)
class Candidate:
    """One SciPy to test.

    kind: ``release`` (``scipy==version`` from the default index), ``latest`` (resolved to
    a release later), ``wheel`` (a wheel file; ``index_url`` set when it was fetched from
    an index) or ``current`` (the running interpreter's SciPy, no environment built).
    """

    spec: str
    kind: str
    version: str | None = None
    wheel: str | None = None
    sha256: str | None = None
    index_url: str | None = None
    env_vars: tuple[tuple[str, str], ...] = ()
    #: numpy pinned in the environment (``matrix --numpy``); None: the resolver picks it
    numpy: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("release", "latest", "wheel", "current"):
            raise ValueError(f"unknown candidate kind {self.kind!r}")
        if self.kind == "wheel" and not (self.wheel and self.sha256):
            raise ValueError("a wheel candidate needs its file and sha256")
        if self.numpy is not None and not _VERSION_RE.match(self.numpy):
            raise ValueError(f"numpy pin {self.numpy!r} is not a version")

    @property
    def env_key(self) -> str:
        """Which cached environment serves it (environment variables do not matter)."""
        if self.kind == "wheel":
            key = f"wheel-{self.sha256[:16]}"
        else:
            key = str(self.version or self.kind)
        # a pinned numpy is another environment; an unpinned one keeps the old key (and cache)
        return key if self.numpy is None else f"{key}-numpy-{self.numpy}"

    def provenance(self, resolved_version: str | None = None) -> dict[str, object]:
        """What the environment was built from, for env.json and matrix.json."""
        out: dict[str, object] = {"requested": self.spec, "kind": self.kind}
        if self.wheel:
            out |= {"wheel": Path(self.wheel).name, "sha256": self.sha256}
        if self.kind in ("release", "latest"):
            out["index_url"] = default_index()
        elif self.index_url:
            out["index_url"] = self.index_url
        if resolved_version:
            out["resolved_version"] = resolved_version
        if self.numpy is not None:
            out["numpy_pin"] = self.numpy
        return out


def default_index() -> str:
    """The index a plain ``scipy==X`` comes from: $UV_DEFAULT_INDEX, $PIP_INDEX_URL or PyPI."""
    return os.environ.get("UV_DEFAULT_INDEX") or os.environ.get("PIP_INDEX_URL") or DEFAULT_INDEX


def parse_numpy_spec(spec: str, *, argument: str = "--numpy") -> str:
    """Validate a numpy pin: a release like ``1.26.4`` or ``2.2.6`` (no ranges, no 'latest')."""
    spec = str(spec).strip()
    if not _VERSION_RE.match(spec):
        raise UsageError(
            f"{argument} {spec!r} is not a version: use X.Y.Z (e.g. --numpy 1.26.4); the "
            "environment pins numpy==X.Y.Z"
        )
    return spec


# --------------------------------------------------------------------------- environment variables
def parse_env_assignment(text: str, *, argument: str = "--env") -> tuple[str, str]:
    """``NAME=VALUE`` -> (NAME, VALUE); a UsageError naming ``argument`` otherwise."""
    name, sep, value = str(text).partition("=")
    if not sep or not _ENV_NAME_RE.match(name):
        raise UsageError(f"{argument} {text!r}: expected NAME=VALUE, e.g. SCIPY_ARRAY_API=1")
    if name.upper() in _RESERVED_ENV:
        raise UsageError(
            f"{argument} {text!r}: {name} is set by gfbench to isolate each environment; "
            "it cannot be a matrix dimension"
        )
    if "\0" in value:
        raise UsageError(f"{argument} {text!r}: the value contains a NUL byte")
    return name, value


def split_spec(raw: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """``SPEC[,NAME=VALUE...]`` -> (SPEC, variables). An existing path is taken whole."""
    raw = str(raw).strip()
    if "," not in raw or Path(raw).exists():
        return raw, ()
    spec, *assignments = raw.split(",")
    pairs = tuple(parse_env_assignment(a, argument=f"--scipy {raw!r}") for a in assignments)
    return spec.strip(), pairs


# --------------------------------------------------------------------------- wheels
def target_tags(python_version: tuple[int, int] | None = None) -> set[Tag]:
    """Wheel tags the target interpreter installs: this one's, or CPython X.Y on this platform."""
    if python_version is None:
        return set(sys_tags())
    platforms = list(platform_tags())
    return set(cpython_tags(python_version, platforms=platforms)) | set(
        compatible_tags(python_version, platforms=platforms)
    )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


#: Largest METADATA read from a wheel (SciPy's is ~50 KB, its long description included).
MAX_METADATA_BYTES = 4 * 2**20


def check_wheel(path: Path, tags: set[Tag], *, argument: str) -> tuple[Version, str]:
    """Validate a SciPy wheel file; return (version, sha256).

    Raises
    ------
    UsageError
        Not a wheel, a wheel of another package, one whose tags this Python cannot
        install, or one whose METADATA disagrees with its file name.
    """
    try:
        name, version, _build, wheel_tags = parse_wheel_filename(path.name)
    except InvalidWheelFilename as exc:
        raise UsageError(
            f"{argument}: {path} is not a wheel (expected a file named "
            f"scipy-VERSION-PYTAG-ABITAG-PLATFORM.whl): {exc}"
        ) from exc
    if name != "scipy":
        raise UsageError(f"{argument}: {path.name} is a wheel of {name!r}, expected one of scipy")
    if not wheel_tags & tags:
        want = sorted(str(t) for t in tags)[:1] or ["?"]
        raise UsageError(
            f"{argument}: {path.name} is for {', '.join(sorted(map(str, wheel_tags))[:3])}; "
            f"the target interpreter needs a wheel tagged for it (e.g. {want[0]} or any of "
            "its compatible tags)"
        )
    if version < MIN_SCIPY:
        raise UsageError(f"{argument}: {path.name} is SciPy {version}; need >= {MIN_SCIPY}")
    try:
        with zipfile.ZipFile(path) as archive:
            metas = [n for n in archive.namelist() if re.match(r"^[^/]+\.dist-info/METADATA$", n)]
            if len(metas) != 1:
                raise UsageError(f"{argument}: {path.name} has {len(metas)} METADATA files, not 1")
            # read with a cap: a zip bomb's METADATA would expand to gigabytes
            with archive.open(metas[0]) as member:
                raw = member.read(MAX_METADATA_BYTES + 1)
            if len(raw) > MAX_METADATA_BYTES:
                raise UsageError(
                    f"{argument}: {path.name}: its METADATA is over {MAX_METADATA_BYTES} bytes "
                    "uncompressed; not a wheel gfbench installs"
                )
            meta = HeaderParser().parsestr(raw.decode("utf-8", "replace"))
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError) as exc:
        raise UsageError(f"{argument}: {path} is not a wheel (not a zip archive: {exc})") from exc
    meta_name = canonicalize_name(meta.get("Name") or "")
    try:
        meta_version = Version(meta.get("Version") or "")
    except InvalidVersion:
        meta_version = None
    if meta_name != "scipy" or meta_version != version:
        raise UsageError(
            f"{argument}: {path.name}: its METADATA says {meta.get('Name')} "
            f"{meta.get('Version')}, its file name scipy {version}"
        )
    return version, sha256_of(path)


def find_wheel(path: Path, *, argument: str) -> Path:
    """A wheel file, or the one SciPy wheel inside a folder."""
    if path.is_dir():
        wheels = sorted(path.glob("scipy-*.whl"))
        if len(wheels) != 1:
            raise UsageError(
                f"{argument}: folder {path} holds {len(wheels)} scipy-*.whl files; "
                "expected exactly one (or name the wheel file)"
            )
        return wheels[0]
    if not path.is_file():
        raise UsageError(f"{argument}: {path} does not exist")
    return path


def looks_like_path(spec: str) -> bool:
    return spec.endswith(".whl") or "/" in spec or os.sep in spec or Path(spec).exists()


# --------------------------------------------------------------------------- indexes
@dataclasses.dataclass(frozen=True)
class IndexFile:
    """One file an index lists for a project."""

    filename: str
    url: str
    sha256: str | None


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href")

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self.links.append((self._href, data.strip()))
            self._href = None


def index_files(index_url: str, project: str = "scipy", *, argument: str) -> list[IndexFile]:
    """The files an index (PEP 503) lists for ``project``.

    Raises
    ------
    UsageError
        The index cannot be reached or does not answer like a package index.
    """
    if urllib.parse.urlsplit(index_url).scheme not in ("http", "https", "file"):
        raise UsageError(f"{argument} {index_url!r}: expected an http(s):// or file:// URL")
    page = index_url.rstrip("/") + f"/{project}/"
    local = Path(urllib.request.url2pathname(urllib.parse.urlsplit(page).path))
    if page.startswith("file:") and local.is_dir() and not (local / "index.html").is_file():
        # a plain folder of wheels (pip's --find-links layout) under PROJECT/
        return [IndexFile(filename=p.name, url=p.resolve().as_uri(), sha256=None)
                for p in sorted(local.iterdir()) if p.is_file()]  # fmt: skip
    if page.startswith("file:") and local.is_dir():
        page += "index.html"
    request = urllib.request.Request(page, headers={"Accept": "text/html"})
    try:
        with urllib.request.urlopen(request, timeout=INDEX_TIMEOUT_S) as response:
            body = response.read().decode("utf-8", "replace")
            base = response.geturl()
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return []
        raise UsageError(f"{argument} {index_url}: the index answered HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise UsageError(f"{argument} {index_url}: cannot reach the index ({reason})") from exc
    parser = _Links()
    parser.feed(body)
    files = []
    for href, text in parser.links:
        url, _, fragment = urllib.parse.urljoin(base, href).partition("#")
        name = text or urllib.parse.unquote(url.rsplit("/", 1)[-1])
        digest = fragment[len("sha256=") :] if fragment.startswith("sha256=") else None
        files.append(IndexFile(filename=name, url=url, sha256=digest))
    return files


def compatible_wheels(files: Iterable[IndexFile], tags: set[Tag]) -> dict[Version, IndexFile]:
    """Version -> a wheel installable here (SciPy builds from source take far too long)."""
    found: dict[Version, IndexFile] = {}
    for entry in files:
        try:
            name, version, _build, wheel_tags = parse_wheel_filename(entry.filename)
        except InvalidWheelFilename:
            continue
        if name == "scipy" and wheel_tags & tags and version not in found:
            found[version] = entry
    return found


def fetch_wheel(entry: IndexFile, cache_dir: Path, *, argument: str) -> Path:
    """Download an index's wheel into the cache (once), checking the sha256 it lists."""
    target = cache_dir / "downloads" / (entry.sha256 or "unhashed") / entry.filename
    if target.is_file() and (entry.sha256 is None or sha256_of(target) == entry.sha256):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    try:
        with (
            urllib.request.urlopen(entry.url, timeout=INDEX_TIMEOUT_S) as response,
            open(partial, "wb") as fh,
        ):
            while block := response.read(1 << 20):
                fh.write(block)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        partial.unlink(missing_ok=True)
        raise UsageError(f"{argument}: cannot download {entry.url} ({exc})") from exc
    if entry.sha256 and sha256_of(partial) != entry.sha256:
        partial.unlink(missing_ok=True)
        raise UsageError(f"{argument}: {entry.filename} does not match the index's sha256")
    partial.replace(target)
    return target


# --------------------------------------------------------------------------- parsing
def parse_version_spec(spec: str, *, argument: str = "--scipy") -> str:
    """Validate a version (``1.17.1``, ``1.18.0rc1``, ``1.18.0.dev0``) or ``latest``."""
    if spec.lower() == "latest":
        return "latest"
    if not _VERSION_RE.match(spec):
        raise UsageError(
            f"{argument} {spec!r} is not a version, a wheel or 'current': use X.Y, X.Y.Z "
            "(optionally aN/bN/rcN/.devN), 'latest', 'current', or a path to a scipy-*.whl, "
            "e.g. --scipy 1.10.1"
        )
    if Version(spec) < MIN_SCIPY:
        raise UsageError(f"{argument} {spec}: gfbench supports SciPy >= {MIN_SCIPY}")
    return spec


def parse_candidates(
    raw_specs: Sequence[str],
    *,
    index_url: str | None = None,
    extra_index_urls: Sequence[str] = (),
    env_all: Mapping[str, str] | None = None,
    python_version: tuple[int, int] | None = None,
    cache_dir: Path | None = None,
    cached: Iterable[str] = (),
) -> list[Candidate]:
    """Check every ``--scipy`` value and resolve it to a `Candidate`; nothing is built.

    Parameters
    ----------
    raw_specs
        ``--scipy`` values: a version, ``latest``, ``current``, a wheel or a folder holding
        one, each optionally followed by ``,NAME=VALUE`` environment variables.
    index_url, extra_index_urls
        Where versions are looked up (default: the default index). A version found only on
        another index is downloaded from it as a wheel; its dependencies still come from
        the default index.
    env_all
        ``--env`` variables for every environment (a per-environment value wins).
    python_version
        The target interpreter's (major, minor), when it is not this one.
    cache_dir
        Where wheels fetched from an index are kept.
    cached
        Versions whose environments already exist: they need no index look-up (offline).

    Raises
    ------
    UsageError
        Any value that is not one of the above, names a bad wheel, or a version that no
        index has; an index that cannot be reached.
    """
    tags = target_tags(python_version)
    indexes = [index_url or default_index(), *extra_index_urls]
    listings: dict[str, dict[Version, IndexFile]] = {}

    def listing(url: str) -> dict[Version, IndexFile]:
        if url not in listings:
            arg = "--index-url" if url == index_url else "--extra-index-url"
            if url == default_index() and index_url is None:
                arg = "--scipy (default index)"
            listings[url] = compatible_wheels(index_files(url, argument=arg), tags)
        return listings[url]

    # local checks first (syntax, wheel files), so that a bad last value fails before
    # any index is asked
    local: dict[int, Candidate] = {}
    for position, raw in enumerate(raw_specs):
        spec, pairs = split_spec(raw)
        env = tuple(sorted((dict(env_all or {}) | dict(pairs)).items()))
        argument = f"--scipy {spec!r}"
        if spec.lower() == "current":
            local[position] = Candidate(spec=spec, kind="current", env_vars=env)
        elif looks_like_path(spec):
            wheel = find_wheel(Path(spec), argument=argument).resolve()
            version, digest = check_wheel(wheel, tags, argument=argument)
            local[position] = Candidate(spec=spec, kind="wheel", version=str(version),
                                        wheel=str(wheel), sha256=digest, env_vars=env)  # fmt: skip
        else:
            parse_version_spec(spec)
    # every index named on the command line must answer, used or not
    for url in [u for u in (index_url, *extra_index_urls) if u]:
        listing(url)
    out: list[Candidate] = []
    cached = set(cached)
    for position, raw in enumerate(raw_specs):
        if position in local:
            out.append(local[position])
            continue
        spec, pairs = split_spec(raw)
        env = tuple(sorted((dict(env_all or {}) | dict(pairs)).items()))
        argument = f"--scipy {spec!r}"
        version = parse_version_spec(spec)
        if version == "latest":
            releases = [v for v in listing(indexes[0]) if not v.is_prerelease]
            if not releases:
                raise UsageError(f"--scipy latest: {indexes[0]} has no SciPy wheel for this Python")
            if index_url is None:
                out.append(Candidate(spec=spec, kind="latest", version=str(max(releases)),
                                     env_vars=env))  # fmt: skip
                continue
            version = str(max(releases))
        if version in cached and index_url is None and not extra_index_urls:
            out.append(Candidate(spec=spec, kind="release", version=version, env_vars=env))
            continue
        wanted = Version(version)
        for rank, url in enumerate(indexes):
            # a local label (1.18.0.dev0+git...) matches its public version, as in scipy==X
            hits = sorted(v for v in listing(url) if Version(v.public) == wanted)
            if not hits:
                continue
            if rank == 0 and index_url is None:
                out.append(Candidate(spec=spec, kind="release", version=version, env_vars=env))
            else:
                if cache_dir is None:
                    raise UsageError(f"{argument}: a cache folder is needed to fetch wheels")
                entry = listing(url)[hits[-1]]
                path = fetch_wheel(entry, cache_dir, argument=argument)
                found, digest = check_wheel(path, tags, argument=argument)
                out.append(Candidate(spec=spec, kind="wheel", version=str(found), wheel=str(path),
                                     sha256=digest, index_url=url, env_vars=env))  # fmt: skip
            break
        else:
            near = sorted({str(v) for u in indexes for v in listing(u)}, key=Version)[-5:]
            raise UsageError(
                f"{argument}: no SciPy {version} wheel for this Python on "
                f"{', '.join(indexes)} (newest there: {', '.join(near) or 'none'})"
            )
    return out
