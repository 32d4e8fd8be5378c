"""The daemon's wire behaviour against the scripted orchestrator (conftest): boot, beats, recovery."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.unit


async def test_boot_registers_caches_0600_and_reuses_the_cache(server, make_daemon, tmp_path: Path) -> None:
    daemon = make_daemon()
    credentials = await daemon.boot()
    assert (credentials.worker_id, credentials.heartbeat_seconds, credentials.poll_seconds) == (
        "wkr_0000000000000001",
        2,
        1,
    )
    register = server.calls[0]
    assert register.headers["authorization"] == f"Bearer {server.token}"
    assert register.headers["user-agent"].startswith("rensei-daemon/")
    assert register.body == {
        "hostname": "dev-box",
        "capacity": 2,
        "version": register.headers["user-agent"].split("/", 1)[1],
        "machineId": "machine-1",
        "projects": ["web"],
        "projectIds": ["web"],
        "projectAdmissionMode": "enumerated",
    }
    cache = tmp_path / "state" / "daemon.jwt"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert set(json.loads(cache.read_text())) == {
        "workerId",
        "runtimeToken",
        "heartbeatInterval",
        "pollInterval",
        "runtimeTokenExpiresAt",
        "cachedAt",
    }
    again = make_daemon()
    assert (await again.boot()).worker_id == credentials.worker_id
    assert len(server.paths("/register")) == 1


async def test_mutations_are_applied_and_acked_on_the_next_beat(server, make_daemon) -> None:
    delivered = [
        {"id": "m1", "op": "project.add", "params": {"id": "api", "repository": "github.com/acme/api"}},
        {"id": "m2", "op": "session.wake.up", "params": {}},
    ]
    server.on(
        "POST",
        "/heartbeat",
        server.ok({"acknowledged": True, "pendingMutations": delivered}),
        server.ok({"acknowledged": True}),
        server.answer(200, "not json"),
    )
    daemon = make_daemon()
    await daemon.boot()
    for _ in range(3):
        assert (await daemon.heartbeat_once()) is not None
    first, second, third = server.bodies("/heartbeat")
    assert server.calls[1].headers["authorization"] == "Bearer jwt.1.sig"
    assert "appliedMutations" not in first
    assert first["allowlist"] == [{"id": "web", "repository": "github.com/acme/web"}]
    assert second["appliedMutations"] == ["m1"]
    assert second["mutationFailures"] == [{"id": "m2", "error": "unknown op 'session.wake.up'"}]
    # project.add changed the allowlist: the beat after it carries the full list again.
    assert second["enabledProjectIds"] == ["api", "web"]
    assert set(third) == {"status", "activeCount", "maxSessions", "allowlistHash"}
    assert third["allowlistHash"] == second["allowlistHash"]


async def test_failed_beat_keeps_its_acks_for_the_following_beat(server, make_daemon) -> None:
    mutation = {"id": "m1", "op": "project.remove", "params": {"id": "web"}}
    server.on(
        "POST",
        "/heartbeat",
        server.ok({"pendingMutations": [mutation]}),
        server.answer(503, "busy"),
        server.ok({}),
    )
    daemon = make_daemon()
    await daemon.boot()
    for _ in range(3):
        await daemon.heartbeat_once()
    _, lost, retried = server.bodies("/heartbeat")
    assert lost["appliedMutations"] == retried["appliedMutations"] == ["m1"]
    assert "allowlist" in lost
    assert "allowlist" in retried  # the lost beat's allowlist was never acknowledged


async def test_pool_host_status_suspends_polling_until_cleared(server, make_daemon) -> None:
    server.on(
        "POST",
        "/heartbeat",
        server.ok({"hostStatus": {"status": "pool_deleted", "candidatePoolIds": ["p2"]}}),
        server.ok({"acknowledged": True}),
    )
    server.on("GET", "/poll", server.ok({"work": [], "inboxMessages": {}, "preClaimed": True}))
    daemon = make_daemon()
    await daemon.boot()
    await daemon.heartbeat_once()
    assert daemon.suspended
    assert await daemon.poll_once() == []
    assert server.paths("/poll") == []
    await daemon.heartbeat_once()  # hostStatus absent: resume
    assert not daemon.suspended
    await daemon.poll_once()
    assert len(server.paths("/poll")) == 1


async def test_expired_token_is_refreshed_with_the_registration_token(
    server, make_daemon, tmp_path: Path
) -> None:
    server.on("POST", "/heartbeat", server.answer(401, '{"error": "Runtime token expired"}'), server.ok({}))
    server.on(
        "POST",
        "/refresh-token",
        server.ok({"runtimeToken": "jwt.fresh.sig", "expiresAt": "2099-01-02T00:00:00Z"}),
    )
    daemon = make_daemon()
    await daemon.boot()
    await daemon.heartbeat_once()
    refresh = next(c for c in server.calls if c.path.endswith("/refresh-token"))
    assert refresh.path == "/api/workers/wkr_0000000000000001/refresh-token"
    assert refresh.headers["authorization"] == f"Bearer {server.token}"
    assert refresh.body == {}
    await daemon.heartbeat_once()
    assert server.calls[-1].headers["authorization"] == "Bearer jwt.fresh.sig"
    assert daemon.worker_id == "wkr_0000000000000001"
    cached = json.loads((tmp_path / "state" / "daemon.jwt").read_text())
    assert cached["runtimeToken"] == "jwt.fresh.sig"


async def test_refresh_405_falls_back_to_a_full_registration(server, make_daemon) -> None:
    server.on("GET", "/poll", server.answer(401, '{"error": "invalid token"}'))
    server.on("POST", "/refresh-token", server.answer(405))
    daemon = make_daemon()
    await daemon.boot()
    await daemon.poll_once()
    assert daemon.worker_id == "wkr_0000000000000002"
    assert [p.rsplit("/", 1)[-1] for p in server.paths()] == ["register", "poll", "refresh-token", "register"]


async def test_unknown_worker_re_registers_without_refreshing(server, make_daemon) -> None:
    server.on("POST", "/heartbeat", server.answer(404, '{"error": "worker not found"}'), server.ok({}))
    daemon = make_daemon()
    await daemon.boot()
    await daemon.heartbeat_once()
    await daemon.heartbeat_once()
    assert server.paths("/refresh-token") == []
    assert daemon.worker_id == "wkr_0000000000000002"
    assert server.calls[-1].path == "/api/workers/wkr_0000000000000002/heartbeat"
    assert "allowlist" in server.calls[-1].body  # the new worker gets the full allowlist


async def test_proactive_refresh_is_due_before_expiry(server, make_daemon) -> None:
    now = 1_900_000_000.0

    def short_lived(_body: dict[str, Any]) -> httpx.Response:
        server.workers += 1
        return httpx.Response(
            201,
            json={
                "workerId": "wkr_00000000000000aa",
                "runtimeToken": "jwt.short.sig",
                "runtimeTokenExpiresAt": int((now + 600) * 1000),  # epoch ms, 10 minutes out
            },
        )

    server.on("POST", "/api/workers/register", short_lived)
    server.on(
        "POST",
        "/refresh-token",
        server.ok({"runtimeToken": "jwt.next.sig", "expiresAt": "2030-03-17T18:46:40Z"}),
    )
    daemon = make_daemon(clock=lambda: now)
    await daemon.boot()
    # Default margin 300 s of a 600 s token: due 300 s from now; defaults apply to absent intervals.
    assert daemon.credentials.refresh_delay() == pytest.approx(300.0)
    assert (daemon.credentials.current.heartbeat_seconds, daemon.credentials.current.poll_seconds) == (30, 5)
    await daemon.credentials.refresh()
    assert daemon.credentials.current.runtime_token == "jwt.next.sig"
    assert daemon.credentials.current.expires_at == now + 3600  # ISO expiry from the refresh
    assert server.calls[-1].headers["authorization"] == f"Bearer {server.token}"
