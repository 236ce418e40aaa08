"""Exit codes shared by every ``gfbench`` verb (ARCHITECTURE.md, "Contracts")."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    CHANGED = 1  # outputs, dtypes or API behaviour changed / verification failed
    USAGE = 2  # usage error or bad input
    PERF_REGRESSION = 3
    INCONCLUSIVE = 4  # too noisy to decide
    FAILED = 5  # gfbench itself failed: a crash, a full disk, a killed worker, an env not built
    INTERRUPTED = 130


class UsageError(ValueError):
    """Bad input from the user: the CLI prints the message and exits with ``ExitCode.USAGE``."""
