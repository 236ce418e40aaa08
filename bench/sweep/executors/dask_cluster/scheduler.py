"""Reaching a dask scheduler: probe an address before anything is written, then connect.

``gfbench sweep --scheduler ADDRESS`` and ``gfbench bigarray --scheduler ADDRESS`` both come
here first, so an unreachable or wrong address is a ``UsageError`` (exit 2) within
``DEFAULT_CONNECT_TIMEOUT_S`` rather than a hang or a traceback half-way through a run.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from bench.exitcodes import UsageError

DEFAULT_CONNECT_TIMEOUT_S = 10.0
#: How to start a cluster this executor can use; quoted by every "cannot use it" message.
WORKER_HINT = (
    "start one with `dask scheduler --host 127.0.0.1 --port 8786` and workers with "
    "`dask worker tcp://127.0.0.1:8786 --nthreads 1 --resources timing=1`"
)


def probe_scheduler(address: str, timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S) -> dict[str, Any]:
    """Check that a dask scheduler answers at ``address``; return its identity.

    A plain TCP connect first (a refused port fails at once, a black hole after
    ``timeout_s``), then distributed's ``identity`` handshake, so "something listens but it is
    not a dask scheduler" is caught too. Nothing is left open.

    Raises
    ------
    bench.exitcodes.UsageError
        Malformed, unreachable, or not a scheduler; the message names ``--scheduler``.
    """
    from distributed.comm import connect as comm_connect
    from distributed.comm import parse_address
    from distributed.comm.addressing import parse_host_port

    def fail(why: str) -> UsageError:
        return UsageError(
            f"--scheduler: cannot use the dask scheduler at {address!r}: {why}. "
            f"Expected tcp://HOST:PORT of a running scheduler; {WORKER_HINT}"
        )

    try:
        scheme, location = parse_address(address)
        if scheme in ("tcp", "tls"):
            host, port = parse_host_port(location)
            if port is None:
                raise ValueError(f"missing port number in address {address!r}")
    except (ValueError, TypeError) as exc:
        raise fail(str(exc)) from None
    full = f"{scheme}://{location}"
    if scheme in ("tcp", "tls"):
        try:
            socket.create_connection((host, int(port)), timeout=timeout_s).close()
        except TimeoutError:
            raise fail(f"no connection within {timeout_s:g} s") from None
        except OSError as exc:
            raise fail(f"cannot connect: {exc.strerror or exc}") from None

    async def handshake() -> dict[str, Any]:
        comm = await comm_connect(full, timeout=timeout_s)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await asyncio.wait_for(comm.read(), timeout_s)
        finally:
            await comm.close()

    try:
        identity = asyncio.run(asyncio.wait_for(handshake(), timeout_s))
    except RuntimeError as exc:  # already inside an event loop: the TCP check has to do
        if "running event loop" not in str(exc):
            raise fail(str(exc)) from None
        return {"type": "Scheduler", "address": full}
    except asyncio.TimeoutError:
        raise fail(f"no answer to dask's handshake within {timeout_s:g} s") from None
    except Exception as exc:  # something answered, but not in dask's protocol
        message = str(exc).splitlines()[0][:200] if str(exc) else ""
        raise fail(
            f"it does not answer as a dask scheduler ({type(exc).__name__}: {message})"
        ) from None
    if not isinstance(identity, dict) or identity.get("type") != "Scheduler":
        kind = identity.get("type") if isinstance(identity, dict) else identity
        raise fail(f"it answered as {kind!r}, not as a Scheduler")
    return identity


def connect(address: str, timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S):
    """A ``distributed.Client`` for the scheduler at ``address`` (probed first).

    Raises
    ------
    bench.exitcodes.UsageError
        The scheduler cannot be reached within ``timeout_s``.
    """
    from distributed import Client

    probe_scheduler(address, timeout_s)
    try:
        return Client(address, timeout=timeout_s, set_as_default=False)
    except Exception as exc:
        raise UsageError(f"--scheduler: cannot connect to {address!r}: {exc}") from None
