"""APP_DEPLOY / APP_STOP / APP_ROLLBACK through the process driver, with real ``python3 -m http.server``."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from switchyard.agent.context import HandlerContext
from switchyard.agent.handlers.apps import handle_app_deploy, handle_app_rollback, handle_app_stop
from switchyard.agent.process_driver import ProcessDriver, Release

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _deploy_payload(name: str, port: int, *, tag: str, cmd: str | None = None, **extra: object) -> bytes:
    body = {
        "container_name": name,
        "image_tag": tag,
        "port": port,
        "env_vars": {"GREETING": tag},
        "health_check_path": "/",
        "override_cmd": cmd or f"{sys.executable} -u -m http.server {{port}} --bind 127.0.0.1",
        **extra,
    }
    return json.dumps(body).encode()


def _exists(path: Path) -> bool:
    return path.exists()


def _get(port: int) -> int:
    return httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code


async def test_deploy_health_checks_streams_output_and_records_the_release(
    recorder: Any, ctx: HandlerContext
) -> None:
    port = _free_port()
    rec = recorder
    outcome = await handle_app_deploy(ctx, _deploy_payload("web", port, tag="web:v1"), rec.progress())
    assert (outcome.status, outcome.output) == ("completed", b"healthy")
    assert _get(port) == 200
    assert rec.lines[0].startswith("started release ")
    assert any("Serving HTTP" in line or "GET / HTTP" in line for line in rec.lines)
    state = ctx.driver.load_state("web")
    release = ctx.driver.load_release("web", state.current)
    assert release is not None
    assert ctx.driver.is_running(release)
    assert (release.image_tag, release.port, release.env["GREETING"]) == ("web:v1", port, "web:v1")
    record = ctx.driver.release_dir(release) / "release.json"
    assert record.stat().st_mode & 0o777 == 0o600  # env vars at rest are owner-only


async def test_a_second_deploy_keeps_the_first_as_a_stopped_rollback_target_and_rollback_restores_it(
    recorder: Any,
    ctx: HandlerContext,
) -> None:
    port = _free_port()
    rec = recorder
    assert (
        await handle_app_deploy(ctx, _deploy_payload("api", port, tag="api:v1"), rec.progress())
    ).status == ("completed")
    first = ctx.driver.load_state("api").current
    assert (
        await handle_app_deploy(ctx, _deploy_payload("api", port, tag="api:v2"), rec.progress())
    ).output == (b"healthy")
    state = ctx.driver.load_state("api")
    assert state.previous == first
    v1 = ctx.driver.load_release("api", first)
    assert v1 is not None
    assert v1.state == "stopped"
    assert not ctx.driver.is_running(v1)
    assert ctx.driver.release_dir(v1).is_dir()  # stopped, not deleted

    outcome = await handle_app_rollback(ctx, b'{"container_name":"api"}', rec.progress())
    assert outcome.status == "completed"
    assert outcome.output.decode() == f"rolled back to release {first}: healthy"
    assert _get(port) == 200
    after = ctx.driver.load_state("api")
    assert (after.current, after.previous) == (first, state.current)
    v2 = ctx.driver.load_release("api", state.current)
    assert v2 is not None
    assert not ctx.driver.is_running(v2)


async def test_failed_deploy_stops_the_new_process_and_restarts_the_previous(
    recorder: Any, ctx: HandlerContext
) -> None:
    port = _free_port()
    rec = recorder
    await handle_app_deploy(ctx, _deploy_payload("svc", port, tag="svc:v1"), rec.progress())
    good = ctx.driver.load_state("svc").current
    crash = f"{sys.executable} -c \"print('booting'); raise SystemExit(3)\""
    outcome = await handle_app_deploy(
        ctx, _deploy_payload("svc", port, tag="svc:bad", cmd=crash), rec.progress()
    )
    assert outcome.status == "failed"
    text = outcome.output.decode()
    assert "process exited with code 3" in text
    assert f"previous release {good} restarted" in text
    assert "booting" in rec.lines
    assert ctx.driver.load_state("svc").current == good
    await handle_app_deploy(
        ctx, _deploy_payload("svc", port, tag="svc:v1", health_check_only=True), rec.progress()
    )
    assert _get(port) == 200


async def test_health_check_status_codes_and_timeout(recorder: Any, ctx: HandlerContext) -> None:
    port = _free_port()
    ctx.health_timeout = 1.0
    rec = recorder
    payload = _deploy_payload(
        "strict", port, tag="s:1", health_check_path="/missing", health_check_status_codes=[204]
    )
    outcome = await handle_app_deploy(ctx, payload, rec.progress())
    assert outcome.status == "failed"
    assert "health check timed out after 1s" in outcome.output.decode()
    assert "answered 404" in outcome.output.decode()
    release = ctx.driver.load_release(
        "strict", sorted(p.name for p in (ctx.config.apps_dir / "strict" / "releases").iterdir())[0]
    )
    assert release is not None
    assert release.state == "failed"
    assert not ctx.driver.is_running(release)


async def test_stop_and_readoption_after_an_agent_restart(recorder: Any, ctx: HandlerContext) -> None:
    port = _free_port()
    rec = recorder
    await handle_app_deploy(ctx, _deploy_payload("keep", port, tag="k:1"), rec.progress())
    # A new driver over the same folder is what a restarted agent sees: the process is re-adopted by pid.
    fresh = ProcessDriver(ctx.config.apps_dir)
    adopted = fresh.adopt()
    assert [r.container_name for r in adopted] == ["keep"]
    ctx.driver = fresh
    assert (await handle_app_stop(ctx, b'{"container_name":"keep"}', rec.progress())).output == b"stopped"
    assert not fresh.is_running(adopted[0])
    with pytest.raises(httpx.ConnectError):
        _get(port)
    assert (
        await handle_app_stop(ctx, b'{"container_name":"keep"}', rec.progress())
    ).output == b"already stopped"
    missing = await handle_app_stop(ctx, b'{"container_name":"ghost"}', rec.progress())
    assert (missing.status, missing.output) == ("failed", b"no such app: ghost")
    assert fresh.adopt() == []


async def test_deploy_payload_errors(recorder: Any, ctx: HandlerContext) -> None:
    from switchyard.agent.payload import PayloadError

    rec = recorder
    for payload, message in (
        (b'{"container_name":"../x","override_cmd":"true"}', "container_name must match"),
        (b'{"container_name":"x"}', "override_cmd is required"),
        (b'{"container_name":"x","override_cmd":"true","port":0}', "port must be between"),
        (b'{"container_name":"x","override_cmd":"true","health_check_path":"health"}', "must start with /"),
    ):
        with pytest.raises(PayloadError, match=message):
            await handle_app_deploy(ctx, payload, rec.progress())
    assert not _exists(ctx.config.apps_dir / "x")


def _started_sleeper(driver: ProcessDriver, name: str) -> Release:
    release = driver.new_release(
        container_name=name,
        image_tag=f"{name}:2",
        command=[sys.executable, "-c", "import time; time.sleep(60)"],
        port=1,
    )
    driver.start(release)
    return release


async def test_a_restarted_agent_stops_a_release_an_interrupted_deploy_left_running(
    recorder: Any, ctx: HandlerContext
) -> None:
    port = _free_port()
    await handle_app_deploy(ctx, _deploy_payload("half", port, tag="h:1"), recorder.progress())
    # What an agent killed during the next deploy's health check leaves: the new release recorded
    # running (its process alive, in its own session), never made current.
    interrupted = _started_sleeper(ctx.driver, "half")
    # An app whose very first deploy was interrupted has no state.json at all.
    first = _started_sleeper(ctx.driver, "fresh")
    fresh = ProcessDriver(ctx.config.apps_dir)
    settled = await fresh.settle_interrupted()
    assert sorted(r.release_id for r in settled) == sorted([interrupted.release_id, first.release_id])
    for release in (interrupted, first):
        record = fresh.load_release(release.container_name, release.release_id)
        assert record is not None
        assert record.state == "interrupted"
        assert not fresh.is_running(record)
    # The current release is untouched and still adopted.
    assert [r.container_name for r in fresh.adopt()] == ["half"]
    assert _get(port) == 200
    assert await fresh.settle_interrupted() == []
