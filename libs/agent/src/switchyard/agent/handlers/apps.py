"""APP_DEPLOY, APP_STOP and APP_ROLLBACK through the local-process driver.

The real agent runs Docker containers; this one runs ``override_cmd`` as a local process (``image_tag`` is
recorded, not pulled), health-checks ``http://127.0.0.1:{port}{health_check_path}`` and streams the
process's start-up output as progress frames. The replaced release is stopped, not deleted, and stays
the rollback target.
"""

from __future__ import annotations

import asyncio
import shlex
import time

import httpx
from switchyard.agent.context import HandlerContext
from switchyard.agent.frames import Outcome, Progress
from switchyard.agent.payload import (
    PayloadError,
    get_bool,
    get_int,
    get_int_list,
    get_str,
    get_str_map,
    parse_object,
)
from switchyard.agent.process_driver import AppState, ProcessDriver, Release, valid_name

POLL_SECONDS = 0.2


def _container_name(payload: bytes) -> str:
    name = get_str(parse_object(payload), "container_name", required=True)
    if not valid_name(name):
        raise PayloadError("container_name must match [A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
    return name


def _release_from_payload(driver: ProcessDriver, payload: bytes) -> tuple[Release, bool]:
    obj = parse_object(payload)
    name = _container_name(payload)
    port = get_int(obj, "port", default=3000, low=1, high=65535)
    path = get_str(obj, "health_check_path", default="/") or "/"
    if not path.startswith("/"):
        raise PayloadError("health_check_path must start with /")
    health_only = get_bool(obj, "health_check_only")
    override = get_str(obj, "override_cmd", required=not health_only)
    try:
        command = shlex.split(override.replace("{port}", str(port)))
    except ValueError as exc:
        raise PayloadError(f"override_cmd: {exc}") from exc
    release = driver.new_release(
        container_name=name,
        image_tag=get_str(obj, "image_tag"),
        command=command,
        port=port,
        env=get_str_map(obj, "env_vars"),
        health_path=path,
        status_codes=get_int_list(obj, "health_check_status_codes"),
        process_name=get_str(obj, "process_name"),
    )
    return release, health_only


async def wait_healthy(
    driver: ProcessDriver, release: Release, progress: Progress, seconds: float, *, offset: int = 0
) -> str | None:
    """Poll the health URL until an acceptable status, streaming new output lines meanwhile.

    Args:
        driver: The process driver.
        release: The release to check.
        progress: Where output lines go.
        seconds: How long to keep trying.
        offset: Output already streamed (bytes into ``output.log``).

    Returns:
        None when healthy, else the reason it is not.
    """
    url = f"http://127.0.0.1:{release.port}{release.health_path}"
    deadline = time.monotonic() + seconds
    last = "no answer yet"
    async with httpx.AsyncClient(timeout=2.0) as client:
        while True:
            offset = await _stream_output(driver, release, progress, offset)
            if not driver.is_running(release):
                code = driver.exit_code(release)
                return f"process exited with code {code}" if code is not None else "process exited"
            try:
                response = await client.get(url)
                if _acceptable(response.status_code, release.status_codes):
                    await _stream_output(driver, release, progress, offset)
                    return None
                last = f"{url} answered {response.status_code}"
            except httpx.HTTPError as exc:
                last = f"{url}: {type(exc).__name__}"
            if time.monotonic() >= deadline:
                return f"health check timed out after {seconds:g}s ({last})"
            await asyncio.sleep(POLL_SECONDS)


def _acceptable(status: int, codes: list[int]) -> bool:
    return status in codes if codes else 200 <= status < 400


async def _stream_output(driver: ProcessDriver, release: Release, progress: Progress, offset: int) -> int:
    try:
        with driver.output_log(release).open("rb") as handle:
            handle.seek(offset)
            data = handle.read()
    except FileNotFoundError:
        return offset
    complete = data.rfind(b"\n") + 1
    for line in data[:complete].decode(errors="replace").splitlines():
        await progress.line(line)
    return offset + complete


async def _start_checked(ctx: HandlerContext, release: Release, progress: Progress) -> str | None:
    log_path = ctx.driver.output_log(release)
    # A restarted (rolled-back) release appends to its old log; stream only what this start writes.
    offset = log_path.stat().st_size if log_path.exists() else 0
    try:
        ctx.driver.start(release)
    except OSError as exc:
        release.state = "failed"
        ctx.driver.save_release(release)
        return f"start failed: {exc}"
    await progress.line(
        f"started release {release.release_id} pid {release.pid}: {shlex.join(release.command)}"
    )
    reason = await wait_healthy(ctx.driver, release, progress, ctx.health_timeout, offset=offset)
    if reason is not None:
        await ctx.driver.stop(release, state="failed")
    return reason


async def handle_app_deploy(ctx: HandlerContext, payload: bytes, progress: Progress) -> Outcome:
    """APP_DEPLOY: start the new release, health-check it, keep the replaced one as the rollback target."""
    release, health_only = _release_from_payload(ctx.driver, payload)
    name = release.container_name
    async with ctx.driver.lock(name):
        state = ctx.driver.load_state(name)
        old = ctx.driver.load_release(name, state.current)
        if health_only:
            if old is None:
                return Outcome.failed(f"no such app: {name}")
            reason = await wait_healthy(ctx.driver, old, progress, ctx.health_timeout)
            return Outcome.completed("healthy") if reason is None else Outcome.failed(reason)
        old_was_running = old is not None and ctx.driver.is_running(old)
        if old is not None and old_was_running:
            await progress.line(f"stopping previous release {old.release_id}")
            await ctx.driver.stop(old)
        reason = await _start_checked(ctx, release, progress)
        if reason is None:
            ctx.driver.save_state(name, AppState(current=release.release_id, previous=state.current))
            return Outcome.completed("healthy")
        message = f"deploy failed: {reason}; process stopped"
        if old is not None and old_was_running:
            ctx.driver.start(old)
            message += f"; previous release {old.release_id} restarted"
        return Outcome.failed(message)


async def handle_app_stop(ctx: HandlerContext, payload: bytes, progress: Progress) -> Outcome:
    """APP_STOP: stop the current release (its record and files stay)."""
    name = _container_name(payload)
    async with ctx.driver.lock(name):
        release = ctx.driver.load_release(name, ctx.driver.load_state(name).current)
        if release is None:
            return Outcome.failed(f"no such app: {name}")
        if not ctx.driver.is_running(release):
            return Outcome.completed("already stopped")
        await ctx.driver.stop(release)
        return Outcome.completed("stopped")


async def handle_app_rollback(ctx: HandlerContext, payload: bytes, progress: Progress) -> Outcome:
    """APP_ROLLBACK: stop the current release, restart the previous one and health-check it."""
    name = _container_name(payload)
    async with ctx.driver.lock(name):
        state = ctx.driver.load_state(name)
        target = ctx.driver.load_release(name, state.previous)
        if target is None:
            return Outcome.failed(f"no previous release to roll back to for {name}")
        current = ctx.driver.load_release(name, state.current)
        current_was_running = current is not None and ctx.driver.is_running(current)
        if current is not None and current_was_running:
            await progress.line(f"stopping release {current.release_id}")
            await ctx.driver.stop(current)
        reason = await _start_checked(ctx, target, progress)
        if reason is None:
            ctx.driver.save_state(name, AppState(current=target.release_id, previous=state.current))
            return Outcome.completed(f"rolled back to release {target.release_id}: healthy")
        message = f"rollback failed: {reason}"
        if current is not None and current_was_running:
            ctx.driver.start(current)
            message += f"; release {current.release_id} restarted"
        return Outcome.failed(message)
