"""The header every measurement script prints: date, machine, load and the command.

A figure pasted into the README or docs/ comes from one of these scripts' output, so the
header says when, where and under what load it was taken.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import shlex
import sys


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (platform.processor() is often empty)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def load() -> str:
    """The 1/5/15-minute load averages, or 'n/a' where the OS has none."""
    try:
        return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        return "n/a"


def header(argv: list[str] | None = None) -> str:
    """Date (UTC), machine, cores, load and the command line, one per line."""
    argv = sys.argv if argv is None else argv
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    return "\n".join(
        [
            f"# date: {now}",
            f"# machine: {platform.node()} {cpu_model()}, {os.cpu_count()} cores, "
            f"{platform.system()} {platform.release()}",
            f"# load average (1/5/15 min): {load()}",
            f"# command: {shlex.join(['python', *argv])}",
        ]
    )


def print_header(argv: list[str] | None = None) -> None:
    print(header(argv), flush=True)
