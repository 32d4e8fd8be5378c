"""RESTART_SELF / AGENT_RECONNECT and REENROLL: commands that end with the agent process exiting.

The agent relies on its supervisor (systemd ``Restart=always``) to come back, as the real agent does.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import re
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from switchyard.agent.context import HandlerContext
from switchyard.agent.frames import QUEUED, Outcome, Progress
from switchyard.agent.payload import PayloadError, get_str, parse_object

RESTART_DELAY_SECONDS = 1.0
REENROLL_EXIT_DELAY_SECONDS = 2.0
REENROLL_TIMEOUT_SECONDS = 300.0
DOWNLOAD_TIMEOUT_SECONDS = 60.0
MAX_SCRIPT_BYTES = 10 * 1024 * 1024
REDACTED_LINE = "[redacted - line contains credential-like token]"
_TOKEN_RUN = re.compile(r"[A-Za-z0-9_-]{40,}")
_SAFE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")


async def handle_restart_self(ctx: HandlerContext, payload: bytes, progress: Progress) -> Outcome:
    """RESTART_SELF (and AGENT_RECONNECT): answer ``queued``, then exit 0 after one second."""
    ctx.schedule_exit(RESTART_DELAY_SECONDS)
    return Outcome(
        QUEUED, b'{"message":"agent restart queued","scheduled_in_seconds":%d}' % int(RESTART_DELAY_SECONDS)
    )


def redact_line(line: str) -> str:
    """Hide a line holding a 40+ character token-like run (installer output may echo secrets)."""
    return REDACTED_LINE if _TOKEN_RUN.search(line) else line


def validate_install_url(url: str) -> str:
    """Accept https anywhere, http only to a loopback host.

    Raises:
        PayloadError: Another scheme, no host, or whitespace/control characters.
    """
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise PayloadError("install_url contains invalid characters")
    parts = urlsplit(url)
    if not parts.hostname:
        raise PayloadError("install_url must include a host")
    if parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(parts.hostname)):
        return url
    raise PayloadError("install_url must use https")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def with_previous_server_id(url: str, server_id: str) -> str:
    """Append ``previous_server_id`` so the control plane relinks the new enrolment to this row."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}previous_server_id={server_id}"


async def _download(url: str) -> bytes:
    async with (
        httpx.AsyncClient(follow_redirects=True, timeout=DOWNLOAD_TIMEOUT_SECONDS) as client,
        client.stream("GET", url) as response,
    ):
        response.raise_for_status()
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body.extend(chunk)
            if len(body) > MAX_SCRIPT_BYTES:
                raise ValueError("reenroll installer exceeds maximum size")
        return bytes(body)


def _write_script(command_id: str, script: bytes) -> Path:
    path = Path(tempfile.gettempdir()) / f"switchyard-reenroll-{command_id}.sh"
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o700)
    with os.fdopen(fd, "wb") as handle:
        handle.write(script)
    return path


async def _run_script(path: Path, progress: Progress) -> tuple[int, list[str]]:
    env = {k: v for k, v in os.environ.items() if k != "AGENT_SECRET"}
    env["PERMANU_FORCE_REENROLL"] = "1"
    proc = await asyncio.create_subprocess_exec(
        "sh",
        str(path),
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    lines: list[str] = []
    assert proc.stdout is not None
    try:
        async for raw in proc.stdout:
            line = redact_line(raw.decode(errors="replace").rstrip("\n"))
            lines.append(line)
            await progress.line(line)
        return await proc.wait(), lines
    except asyncio.CancelledError:
        # Timed out or cancelled: the installer must not keep running behind the result.
        proc.kill()
        await proc.wait()
        raise


async def handle_reenroll(ctx: HandlerContext, payload: bytes, progress: Progress) -> Outcome:
    """REENROLL: fetch the one-shot installer, run it with PERMANU_FORCE_REENROLL=1, exit on success."""
    url = validate_install_url(get_str(parse_object(payload), "install_url", required=True))
    if not _SAFE_ID.match(progress.command_id):
        return Outcome.failed("reenroll: command id is not usable in a file name")
    state_file = ctx.config.state_dir / "previous-server-id"
    try:
        state_file.parent.mkdir(parents=True, exist_ok=True)
        state_file.write_text(ctx.config.server_id)
    except OSError:
        pass  # best effort, as in the real agent: the URL parameter carries the id anyway
    try:
        script = await _download(with_previous_server_id(url, ctx.config.server_id))
    except (httpx.HTTPError, ValueError) as exc:
        return Outcome.failed(f"reenroll download: {exc}")
    path = _write_script(progress.command_id, script)
    try:
        code, lines = await asyncio.wait_for(_run_script(path, progress), REENROLL_TIMEOUT_SECONDS)
    except TimeoutError:
        return Outcome.failed("reenroll installer: timed out")
    text = "\n".join(lines)
    if code != 0:
        return Outcome.failed(f"reenroll installer: exit status {code}: {text}")
    ctx.schedule_exit(REENROLL_EXIT_DELAY_SECONDS)
    return Outcome.completed(text)
