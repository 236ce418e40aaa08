"""Regenerate the cross-version figures of docs: what verify and compare find between SciPy
1.10.1, 1.14.1 and 1.17.1, and which of those differences come from numpy.

Builds (or reuses, under $GFBENCH_CACHE_DIR) one environment per SciPy version with
``gfbench matrix --timing none`` (the resolver picks numpy), plus two crossed environments
that hold SciPy fixed and change numpy (1.14.1 on numpy 1.26.4; 1.17.1 on numpy 2.2.6), runs
``gfbench verify --json`` in each and ``gfbench compare`` on pairs, and prints the counts per
pair and kind (API probes / argument forms, golden outputs, other checks) with the changed
probe names. A difference that appears when only numpy changes is numpy's.

Usage (a few minutes; needs PyPI):
    GFBENCH_CACHE_DIR=/tmp/gfcache python scripts/version_differences.py --out results/vd
    python scripts/version_differences.py --out results/vd --markdown   # the docs table
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _header import print_header

REPO = Path(__file__).resolve().parents[1]
VERSIONS = ("1.10.1", "1.14.1", "1.17.1")
# (label, scipy, numpy) of the crossed environments: SciPy held, numpy changed
CROSSED = (("scipy-1.14.1_numpy-1.26.4", "1.14.1", "1.26.4"),
           ("scipy-1.17.1_numpy-2.2.6", "1.17.1", "2.2.6"))  # fmt: skip


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    print("$", " ".join(cmd), file=sys.stderr, flush=True)
    return subprocess.run(cmd, text=True, **kw)


def build_matrix(out: Path) -> dict[str, Path]:
    """``gfbench matrix`` over VERSIONS, untimed; {label: verify.json} (label holds numpy)."""
    existing = sorted(out.glob("matrix-*/matrix.json"))
    if not existing:
        cmd = [sys.executable, "-m", "bench", "matrix", "--out", str(out), "--timing", "none",
               "--grid", str(REPO / "tests/data/tiny_grid.toml")]  # fmt: skip
        for v in VERSIONS:
            cmd += ["--scipy", v]
        _run(cmd, check=False, stdout=subprocess.DEVNULL)
        existing = sorted(out.glob("matrix-*/matrix.json"))
    matrix_dir = existing[-1].parent
    found: dict[str, Path] = {}
    for env_json in sorted(matrix_dir.glob("*/env.json")):
        versions = json.loads(env_json.read_text()).get("versions") or {}
        found[f"scipy-{versions.get('scipy')}_numpy-{versions.get('numpy')}"] = (
            env_json.parent / "verify.json"
        )
    return found


def _harness_wheel(cache: Path) -> Path:
    wheels = sorted((cache / "wheels").glob("*/gfbench-*.whl"), key=lambda p: p.stat().st_mtime)
    if not wheels:
        raise SystemExit(f"no harness wheel under {cache}/wheels: run the matrix step first")
    return wheels[-1]


def build_crossed(out: Path, cache: Path) -> dict[str, Path]:
    """Environments with SciPy held and numpy pinned (uv); {label: verify.json}."""
    from uv import find_uv_bin

    uv = find_uv_bin()
    found = {}
    for label, scipy, numpy in CROSSED:
        env = cache / f"crossed-{label}"
        verify_json = out / f"{label}.verify.json"
        if not verify_json.exists():
            if not (env / "bin" / "python").exists():
                _run([uv, "venv", "-q", "--python", sys.executable, str(env)], check=True)
                _run([uv, "pip", "install", "-q", "--python", str(env / "bin/python"),
                      f"scipy=={scipy}", f"numpy=={numpy}", str(_harness_wheel(cache))],
                     check=True)  # fmt: skip
            _run([str(env / "bin/python"), "-m", "bench", "verify", "--json",
                  "--out", str(verify_json)], stdout=subprocess.DEVNULL, check=False)  # fmt: skip
        found[label] = verify_json
    return found


def compare_pair(a: Path, b: Path) -> dict:
    """``gfbench compare A B --json``: its exit code and changed checks, counted by kind."""
    proc = _run([sys.executable, "-m", "bench", "compare", str(a), str(b), "--json"],
                capture_output=True)  # fmt: skip
    try:
        (comparison,) = json.loads(proc.stdout)["comparisons"]
    except (ValueError, KeyError):
        return {"exit": proc.returncode, "error": proc.stderr.strip()[-300:]}
    changes = comparison["changes"]
    return {
        "exit": proc.returncode,
        "compared": comparison["cases_compared"],
        "kinds": dict(Counter(c["kind"] for c in changes)),
        "api": [f"{c['case']}: {c['detail']}" for c in changes if c["kind"] == "api-probe"],
    }


def verify_summary(path: Path) -> dict:
    """The verify result of one environment: exit code, failed checks by group, skipped."""
    doc = json.loads(path.read_text())
    failed = [t for t in doc.get("tests", []) if t.get("outcome") == "failed"]
    return {
        "exit": doc.get("exit_code"),
        "checks": len(doc.get("tests", [])),
        "failed": dict(Counter(t.get("group") for t in failed)),
        "failed_first": [
            f"{t.get('case')}: {(t.get('details') or {}).get('summary')}" for t in failed[:3]
        ],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for envs' verify JSON")
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")
    args = parser.parse_args()
    cache = Path(os.environ.get("GFBENCH_CACHE_DIR") or Path.home() / ".cache/gfbench/envs")
    args.out.mkdir(parents=True, exist_ok=True)
    print_header()
    envs = {**build_matrix(args.out), **build_crossed(args.out, cache)}
    verifies = {label: verify_summary(path) for label, path in envs.items() if path.exists()}
    pairs = [
        # (what changes, A, B)
        ("scipy+numpy", "scipy-1.10.1_numpy-1.26.4", "scipy-1.14.1_numpy-2.2.6"),
        ("scipy+numpy", "scipy-1.10.1_numpy-1.26.4", "scipy-1.17.1_numpy-2.4.6"),
        ("scipy+numpy", "scipy-1.14.1_numpy-2.2.6", "scipy-1.17.1_numpy-2.4.6"),
        ("scipy only", "scipy-1.10.1_numpy-1.26.4", "scipy-1.14.1_numpy-1.26.4"),
        ("numpy only", "scipy-1.14.1_numpy-1.26.4", "scipy-1.14.1_numpy-2.2.6"),
        ("scipy only", "scipy-1.14.1_numpy-2.2.6", "scipy-1.17.1_numpy-2.2.6"),
        ("numpy only", "scipy-1.17.1_numpy-2.2.6", "scipy-1.17.1_numpy-2.4.6"),
    ]
    results = []
    for what, a, b in pairs:
        if a not in envs or b not in envs:
            print(f"# skipped {a} -> {b}: environment missing", flush=True)
            continue
        got = compare_pair(envs[a], envs[b])
        results.append({"changes": what, "a": a, "b": b, **got})
    if args.json:
        print(json.dumps({"verify": verifies, "pairs": results}, indent=1))
        return 0
    for label, v in verifies.items():
        print(f"verify {label}: exit {v['exit']}, {v['checks']} checks, failed {v['failed']}")
        for line in v["failed_first"]:
            print(f"    e.g. {line}")
    for r in results:
        print(f"{r['a']} -> {r['b']} ({r['changes']} changes): compare exit {r['exit']}, "
              f"{r.get('compared')} checks compared, changed {r.get('kinds')}")  # fmt: skip
        for line in r.get("api", []):
            print(f"    {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
