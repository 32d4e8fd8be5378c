"""AGENT_PING, AGENT_STATUS and AGENT_LOGS: read-only answers about the agent itself."""

from __future__ import annotations

import asyncio
import os
import platform
import shutil
import time
from collections import deque

from switchyard.agent.context import HandlerContext
from switchyard.agent.frames import Outcome, Progress
from switchyard.agent.metrics import docker_reachable, rss_bytes
from switchyard.agent.payload import get_int, parse_object

DEFAULT_LOG_LINES = 200
MAX_LOG_LINES = 2000
JOURNALCTL_TIMEOUT_SECONDS = 10.0
SYSTEMD_UNIT = "switchyard-agent"


async def handle_agent_ping(ctx: HandlerContext, payload: bytes, progress: Progress) -> Outcome:
    """AGENT_PING: the agent clock (for RTT and skew) and version."""
    return Outcome.completed_json({"agent_time_nanos": time.time_ns(), "agent_version": ctx.config.version})


async def handle_agent_status(ctx: HandlerContext, payload: bytes, progress: Progress) -> Outcome:
    """AGENT_STATUS: version, runtime, arch, uptime, Docker reachability, clock and memory."""
    return Outcome.completed_json(
        {
            "agent_version": ctx.config.version,
            "runtime": "python",
            "arch": platform.machine(),
            "uptime_seconds": int(time.monotonic() - ctx.started),
            "docker_reachable": await docker_reachable(ctx.docker_socket),
            "server_time_nanos": time.time_ns(),
            "rss_bytes": rss_bytes(),
        }
    )


async def handle_agent_logs(ctx: HandlerContext, payload: bytes, progress: Progress) -> Outcome:
    """AGENT_LOGS: the last ``lines`` (default 200, at most 2000) lines of the agent's own log.

    Under systemd (``INVOCATION_ID`` set) with journalctl present, the journal of the unit is read as
    the real agent does; otherwise the agent's log file in the state dir.
    """
    lines = get_int(parse_object(payload), "lines", default=DEFAULT_LOG_LINES, low=1, high=MAX_LOG_LINES)
    if os.environ.get("INVOCATION_ID") and shutil.which("journalctl"):
        return await _journal(lines)
    try:
        with ctx.config.log_file.open(encoding="utf-8", errors="replace") as handle:
            tail = deque(handle, maxlen=lines)
    except FileNotFoundError:
        return Outcome.failed(f"agent logs: {ctx.config.log_file} does not exist")
    return Outcome.completed("".join(tail))


async def _journal(lines: int) -> Outcome:
    try:
        proc = await asyncio.create_subprocess_exec(
            "journalctl",
            "-u",
            SYSTEMD_UNIT,
            "-n",
            str(lines),
            "--no-pager",
            "-o",
            "short-iso",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
    except OSError as exc:
        return Outcome.failed(f"agent logs: journalctl failed: {exc}")
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), JOURNALCTL_TIMEOUT_SECONDS)
    except TimeoutError:
        proc.kill()
        return Outcome.failed("agent logs: journalctl timed out")
    return Outcome("completed", out)
