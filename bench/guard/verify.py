"""Run the reference suite against the installed SciPy and say what changed.

The verb ``gfbench verify``: ``add_arguments`` and ``main``; its ``--help`` text is
`HELP`. Why it works this way: docs/verify.md.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import errno
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.exitcodes import ExitCode, UsageError

#: the description ``gfbench verify --help`` shows (bench.cli reads it)
HELP = """Run the reference suite against the installed SciPy and say what changed.

The suite (the ``reference`` package: documented values, golden outputs, API probes, oracle
agreement, metamorphic properties, behaviour, sizes, non-finite values, the input array's
properties) runs in a pytest subprocess located from the installed
package, so this works from any working directory.

examples:
  gfbench verify                         check everything, print a table
  gfbench verify --group golden --group probes
  gfbench verify --json > verify.json    machine-readable (``gfbench compare`` reads it)
  gfbench verify --update-golden         re-record golden outputs and probes, on purpose

exit codes: 0 nothing changed, 1 something changed or failed (or more than 25% of
the checks were skipped: only features the installed SciPy lacks may skip), 2 usage error.

The table's first row, "example", is the documented 7x7 example of the seed document
(``reference/test_documented.py``): its printed lines, its float32 bits and its prose claims.

Records live in the installed ``reference/data/``: ``scipy-<version>_numpy-<x.y>.json`` (hashes,
probe outcomes) and ``golden-arrays.npz`` (the outputs). The installed SciPy and numpy are
compared with their own record, else with the nearest one, and the report says which.

A failure names the case and says what changed (bits, dtype, shape, exception, accepted
arguments) and by how much, against the recorded golden output and against the oracle.
``GFBENCH_SCIPY_PATCH`` (test-only, see ``reference.patching``) swaps in altered SciPy functions;
a run under it is flagged in the output and in ``--json``.
"""

#: Check groups, one test module of the suite each, in the order they are reported.
GROUPS = (
    "documented", "golden", "probes", "oracle", "properties", "behaviour", "sizes", "nonfinite",
    "arrays",
)  # fmt: skip
#: The documented 7x7 example's checks (in test_documented.py) are reported as their own group.
EXAMPLE_GROUP = "example"
#: What --group accepts: the example (the table's first row; its checks alone) and every group.
SELECTABLE = (EXAMPLE_GROUP, *GROUPS)
#: A run that skipped more than this share of its checks fails: a suite that could not run its
#: checks has verified nothing (skips are only for features the installed SciPy lacks). SciPy
#: 1.10.1, the oldest supported, skips 6% of all checks and at most 11% of one group (probes,
#: properties: no axes=), so 25% leaves room for a group run alone and still fails a suite that
#: skips wholesale (the issue-9 report: 521 of 850 skipped).
MAX_SKIPPED_SHARE = 0.25
SCHEMA_VERSION = 1
_MAX_LISTED_FAILURES = 40


@dataclasses.dataclass(frozen=True)
class GroupSummary:
    """Counts of one check group, and what kinds of change its failures were."""

    group: str
    cases: int
    passed: int
    failed: int
    skipped: int
    changed: dict[str, int]

    def __post_init__(self) -> None:
        if self.passed + self.failed + self.skipped != self.cases:
            raise ValueError(f"{self.group}: passed + failed + skipped must equal cases")


@dataclasses.dataclass(frozen=True)
class VerifyResult:
    """What ``verify()`` found: the exit code, per-group counts and the full JSON document."""

    exit_code: ExitCode
    groups: tuple[GroupSummary, ...]
    failures: tuple[dict[str, Any], ...]
    document: dict[str, Any]

    def __post_init__(self) -> None:
        if self.exit_code not in (ExitCode.OK, ExitCode.CHANGED):
            raise ValueError(f"exit_code must be OK or CHANGED, got {self.exit_code!r}")


def suite_dir() -> Path:
    """Where the installed reference suite lives."""
    import reference

    return reference.SUITE_DIR


def _check_groups(groups: Sequence[str] | None) -> tuple[str, ...]:
    if not groups:
        return GROUPS
    unknown = [g for g in groups if g not in SELECTABLE]
    if unknown:
        raise UsageError(
            f"--group: unknown group {', '.join(map(repr, unknown))}; "
            f"allowed: {', '.join(SELECTABLE)}"
        )
    return tuple(dict.fromkeys(groups))


def _check_patch_spec() -> None:
    from reference import patching

    spec = patching.active_spec()
    if spec is None:
        return
    # a patch that cannot be imported is a usage error, not a "CHANGED" SciPy (issue 10)
    try:
        patching.load(spec)
    except ValueError as exc:  # malformed, or a module off the allow-list (never imported)
        raise UsageError(str(exc)) from None
    except AttributeError as exc:
        raise UsageError(f"{patching.ENV_VAR}: {exc}") from None
    except Exception as exc:
        raise UsageError(
            f"{patching.ENV_VAR}: cannot import the patch {spec!r} ({type(exc).__name__}: {exc})"
        ) from None


def update_golden() -> Path:
    """Re-record golden outputs and probes for the installed SciPy; return the record's path.

    Refuses while ``GFBENCH_SCIPY_PATCH`` is set: a record must describe the real SciPy.
    """
    from reference import patching

    if patching.active_spec() is not None:
        raise UsageError(
            f"--update-golden: refusing to record while {patching.ENV_VAR} is set "
            "(a record must describe the installed SciPy, not a patched one)"
        )
    import scipy.ndimage

    from reference.arrays import array_variants
    from reference.forms import all_forms
    from reference.grid import golden_cases
    from reference.nonfinite import nonfinite_cases
    from reference.probes import all_probes
    from reference.records import generate, write

    record, arrays = generate(
        scipy.ndimage, golden_cases(), all_probes(), all_forms(), nonfinite_cases(),
        array_variants(),
    )  # fmt: skip
    try:
        return write(record, arrays)
    except OSError as exc:  # e.g. a read-only site-packages: say where to do it instead
        raise UsageError(
            f"--update-golden: cannot write the records ({exc}); re-record from a source "
            "checkout installed with `pip install -e .`"
        ) from None


def _run_suite(groups: tuple[str, ...], results_path: Path) -> subprocess.CompletedProcess:
    directory = suite_dir()
    targets = [str(directory / f"test_{group}.py") for group in groups if group != EXAMPLE_GROUP]
    if EXAMPLE_GROUP in groups and "documented" not in groups:
        # the example's checks are one test of the documented module, reported as their group
        targets.append(str(directory / "test_documented.py") + "::test_documented_example")
    # Our own options only: no ini file of whatever project the user runs this from, no
    # cache written into the installed package, and only the plugins the suite needs: no
    # plugin autoloading (pytest-benchmark writes .benchmarks into the working directory,
    # pytest-randomly reorders tests, and loading every installed plugin took 1.4 s of a
    # 2.2 s run here), hypothesis's plugin named instead.
    options = ["-c", os.devnull, "--rootdir", str(directory.parent), "-q", "--no-header"]
    options += ["-p", "no:cacheprovider", "-p", "_hypothesis_pytestplugin"]
    command = [sys.executable, "-m", "pytest", *targets, *options]
    command += ["--gfbench-results", str(results_path)]
    env = {
        **os.environ,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        # hypothesis keeps its files beside the results, in a private temporary folder
        "HYPOTHESIS_STORAGE_DIRECTORY": str(results_path.parent / "hypothesis"),
    }
    # The suite imports `reference` and `bench` from where *this* process found them.
    roots = {str(directory.parent), str(Path(__file__).resolve().parents[2])}
    env["PYTHONPATH"] = os.pathsep.join([*sorted(roots), env.get("PYTHONPATH", "")]).rstrip(
        os.pathsep
    )
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)


def _summarize(tests: list[dict[str, Any]], groups: tuple[str, ...]) -> tuple[GroupSummary, ...]:
    summaries = []
    present = {t["group"] for t in tests}
    first = [EXAMPLE_GROUP] if EXAMPLE_GROUP in present else []
    rest = [g for g in groups if g != EXAMPLE_GROUP]
    for group in [*first, *rest, *sorted(present - set(rest) - set(first))]:
        members = [t for t in tests if t["group"] == group]
        failed = [t for t in members if t["outcome"] in ("failed", "error")]
        changed = collections.Counter(
            t["details"].get("changed") or ("error" if t["outcome"] == "error" else "assertion")
            for t in failed
        )
        summaries.append(
            GroupSummary(
                group=group,
                cases=len(members),
                passed=sum(t["outcome"] == "passed" for t in members),
                failed=len(failed),
                skipped=sum(t["outcome"] == "skipped" for t in members),
                changed=dict(sorted(changed.items())),
            )
        )
    return tuple(summaries)


def verify(*, groups: Sequence[str] | None = None, update: bool = False) -> VerifyResult:
    """Run the reference suite in a subprocess and collect what changed.

    Parameters
    ----------
    groups : sequence of str, optional
        Check groups to run (``GROUPS``); all of them by default.
    update : bool
        Re-record golden outputs and probes first (``--update-golden``).

    Returns
    -------
    VerifyResult
        ``exit_code`` is ``ExitCode.OK`` when every check passed or was skipped for a stated
        reason, ``ExitCode.CHANGED`` otherwise.

    Raises
    ------
    UsageError
        For an unknown group, or ``update`` under ``GFBENCH_SCIPY_PATCH``.
    """
    chosen = _check_groups(groups)
    _check_patch_spec()
    written = update_golden() if update else None
    with tempfile.TemporaryDirectory(prefix="gfbench-verify-") as tmp:
        results_path = Path(tmp) / "results.json"
        completed = _run_suite(chosen, results_path)
        if results_path.exists():
            document = json.loads(results_path.read_text(encoding="utf-8"))
        else:  # the suite could not even start: that is a failed verification
            document = {
                "tests": [
                    {
                        "nodeid": "reference",
                        "group": "suite",
                        "case": "startup",
                        "outcome": "error",
                        "details": {"changed": "error"},
                        "message": (completed.stdout + completed.stderr)[-3000:],
                    }
                ]
            }
    tests = document.get("tests", [])
    summaries = _summarize(tests, chosen)
    failures = tuple(t for t in tests if t["outcome"] in ("failed", "error"))
    skips = skip_verdict(tests)
    exit_code = ExitCode.CHANGED if failures or not tests or skips["too_many"] else ExitCode.OK
    document = {
        "schema": SCHEMA_VERSION,
        "tool": "gfbench verify",
        "exit_code": int(exit_code),
        "updated_record": str(written) if written else None,
        "groups": [dataclasses.asdict(s) for s in summaries],
        "example": example_summary(tests),
        "skipped": skips,
        **document,
    }
    return VerifyResult(exit_code, summaries, failures, document)


def skip_verdict(tests: list[dict[str, Any]]) -> dict[str, Any]:
    """How many checks were skipped, and whether that is more than ``MAX_SKIPPED_SHARE``."""
    skipped = sum(t.get("outcome") == "skipped" for t in tests)
    share = skipped / len(tests) if tests else 0.0
    return {
        "count": skipped,
        "of": len(tests),
        "share": round(share, 4),
        "max_share": MAX_SKIPPED_SHARE,
        "too_many": share > MAX_SKIPPED_SHARE,
    }


def example_summary(tests: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The documented 7x7 example's checks: ``{name, passed, claims: {claim: outcome}}``."""
    members = [t for t in tests if t.get("group") == EXAMPLE_GROUP]
    if not members:
        return None
    claims = {}
    for test in members:
        details = test.get("details") or {}
        claim = str(details.get("claim") or test.get("case"))
        claims[claim] = {"outcome": test.get("outcome"), "summary": details.get("summary", "")}
    name = (members[0].get("details") or {}).get("example", "seed-7x7")
    return {
        "name": name,
        "description": "the seed document's 7x7 float32 example: gaussian_filter(image, "
        "sigma=1.0, mode='reflect'), its seven printed lines, bits and prose claims",
        "passed": all(c["outcome"] == "passed" for c in claims.values()),
        "claims": claims,
    }


def _changed_text(changed: dict[str, int]) -> str:
    return ", ".join(f"{kind}: {count}" for kind, count in changed.items()) or "-"


def _failure_line(test: dict[str, Any]) -> str:
    details = test.get("details", {})
    message = [m for m in test.get("message", "").strip().splitlines() if m.strip()]
    if details.get("summary"):
        text = details["summary"]
    elif test["outcome"] == "error":  # the suite itself broke: show the end of its traceback
        text = "\n      ".join(message[-8:]) or "error"
    else:
        text = message[0] if message else test["outcome"]
    line = f"  {test['group']} {test['case']}: {text}"
    vs_oracle = details.get("vs_oracle")
    if vs_oracle:
        line += f"\n      vs oracle: {vs_oracle.get('summary')}"
    return line


def render(result: VerifyResult) -> str:
    """The human report: environment, the table, then one line per failure."""
    from tabulate import tabulate

    doc = result.document
    env = doc.get("environment", {})
    lines = []
    if env:
        lines.append(
            f"SciPy {env.get('scipy')}, numpy {env.get('numpy')}, Python {env.get('python')}, "
            f"{env.get('platform')}"
        )
    record = doc.get("record")
    if env:
        lines.append("compared with " + (record["description"] if record else "NO RECORD"))
    else:
        lines.append("the reference suite did not start; nothing was compared")
    if doc.get("patch"):
        lines.append(
            f"WARNING: scipy.ndimage patched by GFBENCH_SCIPY_PATCH={doc['patch']}: these "
            "results describe that variant, not the installed SciPy"
        )
    if doc.get("updated_record"):
        lines.append(f"re-recorded golden outputs and probes: {doc['updated_record']}")
    rows = [
        [
            "example (seed 7x7)" if s.group == EXAMPLE_GROUP else s.group,
            s.cases,
            s.passed,
            s.failed,
            s.skipped,
            _changed_text(s.changed),
        ]
        for s in result.groups
    ]
    lines.append("")
    lines.append(
        tabulate(
            rows, headers=["check group", "cases", "passed", "failed", "skipped", "what changed"]
        )
    )
    example = doc.get("example")
    if example:
        verdict = "all claims hold" if example["passed"] else "CLAIMS FAIL"
        lines.append(
            f"example: the documented 7x7 example ({len(example['claims'])} checks: printed "
            f"lines, float32 bits vs record and oracle, prose claims): {verdict}"
        )
    skips = doc.get("skipped")
    if skips and skips["too_many"]:
        lines.append(
            f"TOO MANY SKIPPED: {skips['count']} of {skips['of']} checks "
            f"({skips['share']:.0%}) were skipped; at most {skips['max_share']:.0%} may be"
        )
    if result.failures:
        lines.append("")
        lines.append(f"{len(result.failures)} failed:")
        lines.extend(_failure_line(t) for t in result.failures[:_MAX_LISTED_FAILURES])
        if len(result.failures) > _MAX_LISTED_FAILURES:
            lines.append(
                f"  ... and {len(result.failures) - _MAX_LISTED_FAILURES} more (see --json)"
            )
    lines.append("")
    lines.append(
        "verify: OK, nothing changed"
        if result.exit_code == ExitCode.OK
        else "verify: CHANGED (exit 1)"
    )
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--group",
        action="append",
        choices=SELECTABLE,
        metavar="GROUP",
        help=f"run only this check group (repeatable): {', '.join(SELECTABLE)}",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--out", type=Path, metavar="PATH", help="also write the JSON to PATH")
    parser.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    parser.add_argument(
        "--update-golden",
        action="store_true",
        help="re-record golden outputs and API probes for the installed SciPy, then verify",
    )


def main(args: argparse.Namespace) -> int:
    if args.out is not None:  # before the suite runs: a folder, /dev/full, an existing file
        from bench.outputs import check_out_file

        check_out_file(args.out, force=args.force)
    result = verify(groups=args.group, update=args.update_golden)
    from bench.store.validate import checked_json, validate_verify

    # checked with compare's own reader before it is written or printed
    text = checked_json(result.document, validate_verify, file=args.out or "<stdout>")
    if args.out is not None:
        from bench.store.safe_files import write_atomic

        try:
            write_atomic(args.out, text + "\n")  # never through a link, even with --force
        except OSError as exc:  # a full disk is exit 5 (gfbench failed), not a usage error
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise
            raise UsageError(f"--out: cannot write {str(args.out)!r}: {exc.strerror}") from None
    print(text if args.json else render(result))
    return int(result.exit_code)
