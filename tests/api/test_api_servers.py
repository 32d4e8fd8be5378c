"""``/api/servers/*`` and ``/api/commands/*`` through the gateway, with a test agent on the agents service.

Test set-up: enrolment is another part of the service, so ``enrol`` inserts the server and its agent
secret (SHA-256 hex) with SQL; the agent then speaks the real agent.v1 protocol over gRPC.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import grpc
import pytest
import sqlalchemy as sa
from agent.v1 import agent_pb2 as T
from agent.v1 import agent_pb2_grpc

pytestmark = pytest.mark.integration


async def enrol(agents_server: Any, org: str) -> tuple[str, str]:
    """Test set-up: an active server of ``org`` and its agent secret, inserted directly."""
    server_id, secret, now = str(uuid.uuid4()), secrets.token_urlsafe(32), datetime.now(UTC)
    async with agents_server.engine.begin() as conn:
        await conn.execute(
            sa.text(
                "INSERT INTO agents.servers (id, org_id, name, hostname, machine_id, status, agent_version,"
                " enrolled_by, created_at, enrolled_at, updated_at)"
                " VALUES (:id, :org, 'web-1', 'web-1.example', 'm', 'active', '', 'test', :now, :now, :now)"
            ),
            {"id": server_id, "org": org, "now": now},
        )
        await conn.execute(
            sa.text(
                "INSERT INTO agents.agent_secrets (server_id, secret_hash, created_at) VALUES (:s, :h, :now)"
            ),
            {"s": server_id, "h": hashlib.sha256(secret.encode()).hexdigest(), "now": now},
        )
    return server_id, secret


def _answer(command: T.Command) -> tuple[str, str] | None:
    payload = json.loads(command.payload or b"{}")
    if command.type == T.COMMAND_TYPE_AGENT_PING:
        return "completed", json.dumps({"agent_time_nanos": time.time_ns(), "agent_version": "api-agent"})
    if command.type == T.COMMAND_TYPE_AGENT_STATUS:
        body = {"agent_version": "api-agent", "uptime_seconds": 7, "server_time_nanos": time.time_ns()}
        return "completed", json.dumps(body)
    if command.type == T.COMMAND_TYPE_AGENT_LOGS:
        return "completed", "".join(f"line {i}\n" for i in range(int(payload.get("lines", 200))))
    if command.type == T.COMMAND_TYPE_RESTART_SELF:
        return "queued", json.dumps({"message": "agent restart queued", "scheduled_in_seconds": 1})
    return None


async def registered(agents_server: Any, server_id: str) -> None:
    """Wait until the agents server holds the server's stream."""
    async with asyncio.timeout(10):
        for _ in iter(int, 1):
            if server_id in agents_server.hub.streams:
                return
            await asyncio.sleep(0.02)


@asynccontextmanager
async def connected_agent(agents_server: Any, server_id: str, secret: str) -> AsyncIterator[list[T.Command]]:
    """A minimal agent on the agent.v1 port: ACKs every command and answers the introspection ones."""
    metadata = (("authorization", f"Bearer {secret}"), ("server-id", server_id))
    received: list[T.Command] = []
    results: asyncio.Queue[T.CommandResult | None] = asyncio.Queue()

    async def outgoing() -> AsyncIterator[T.CommandResult]:
        while (frame := await results.get()) is not None:
            yield frame

    async with grpc.aio.insecure_channel(agents_server.agent_address) as channel:
        stub = agent_pb2_grpc.AgentServiceStub(channel)

        async def run() -> None:
            async for command in stub.CommandStream(outgoing(), metadata=metadata):
                received.append(command)
                await stub.AckCommand(
                    T.CommandAck(command_id=command.id, phase="received"), metadata=metadata
                )
                answer = _answer(command)
                if answer:
                    status, output = answer
                    await results.put(
                        T.CommandResult(
                            command_id=command.id, status=status, output=output.encode(), is_final=True
                        )
                    )

        task = asyncio.create_task(run())
        await registered(agents_server, server_id)
        try:
            yield received
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, grpc.aio.AioRpcError):
                await task


async def test_list_get_and_cross_tenant_servers(api, agents_server) -> None:
    owner, stranger = await api.register("srv-owner"), await api.register("srv-stranger")
    server_id, _ = await enrol(agents_server, owner.tenant_id)
    listed = await api.client.get("/api/servers", headers=owner.headers())
    assert listed.status_code == 200, listed.text
    [server] = listed.json()["servers"]
    assert (server["id"], server["orgId"], server["online"], server["streamConnected"]) == (
        server_id,
        owner.tenant_id,
        False,
        False,
    )
    got = await api.client.get(f"/api/servers/{server_id}", headers=owner.headers())
    assert (got.status_code, got.json()["presence"]) == (200, None)
    for method, path in [
        ("GET", f"/api/servers/{server_id}"),
        ("GET", f"/api/servers/{server_id}/status"),
        ("POST", f"/api/servers/{server_id}/ping"),
        ("GET", f"/api/servers/{server_id}/commands"),
        ("DELETE", f"/api/servers/{server_id}"),
    ]:
        response = await api.client.request(method, path, headers=stranger.headers())
        assert (response.status_code, response.json()) == (404, {"error": "server not found"}), path
    assert (await api.client.get("/api/servers", headers=stranger.headers())).json() == {"servers": []}
    no_tenant = await api.client.get("/api/servers", headers=api.bearer(owner.access))
    assert no_tenant.status_code == 400


async def test_status_ping_restart_and_logs_through_the_agent(api, agents_server) -> None:
    owner = await api.register("srv-ops")
    server_id, secret = await enrol(agents_server, owner.tenant_id)
    base = f"/api/servers/{server_id}"
    offline = await api.client.get(f"{base}/status", headers=owner.headers())
    assert offline.status_code == 200
    assert offline.json()["live_probe_error"] == "agent offline: no live command stream"
    assert offline.json()["server"]["id"] == server_id
    assert offline.json()["liveStatus"] is None
    for path in ("ping", "restart-agent"):
        refused = await api.client.post(f"{base}/{path}", headers=owner.headers())
        assert (refused.status_code, refused.json()) == (
            422,
            {"error": "agent is offline (no live command stream)"},
        )
    assert (await api.client.get(f"{base}/agent-logs", headers=owner.headers())).status_code == 422
    async with connected_agent(agents_server, server_id, secret) as received:
        status = (await api.client.get(f"{base}/status", headers=owner.headers())).json()
        assert status["live_probe_error"] is None
        assert status["liveStatus"]["uptime_seconds"] == 7
        assert isinstance(status["clockSkewMs"], int)
        assert status["server"]["streamConnected"] is True
        ping = await api.client.post(f"{base}/ping", headers=owner.headers())
        assert ping.status_code == 200, ping.text
        assert ping.json()["rttMs"] > 0
        assert isinstance(ping.json()["clockSkewMs"], int)
        restart = await api.client.post(f"{base}/restart-agent", headers=owner.headers())
        assert restart.status_code == 200, restart.text
        body = restart.json()
        assert set(body) == {"queued", "command_id", "estimated_reconnect_seconds"}
        assert (body["queued"], body["estimated_reconnect_seconds"]) == (True, 5)
        again = await api.client.post(f"{base}/restart-agent", headers=owner.headers())
        assert again.status_code == 409
        logs = await api.client.get(f"{base}/agent-logs?lines=3", headers=owner.headers())
        assert logs.json()["text"] == "line 0\nline 1\nline 2\n"
        too_many = await api.client.get(f"{base}/agent-logs?lines=5000", headers=owner.headers())
        assert (too_many.status_code, too_many.json()) == (400, {"error": "lines must be between 1 and 2000"})
        assert T.COMMAND_TYPE_RESTART_SELF in [c.type for c in received]


async def test_raw_commands_history_queue_cancel_drain_and_disconnect(api, agents_server) -> None:
    owner = await api.register("srv-cmds")
    server_id, secret = await enrol(agents_server, owner.tenant_id)
    base, headers = f"/api/servers/{server_id}", owner.headers()
    made = await api.client.post(
        f"{base}/commands", headers=headers, json={"type": "EXEC", "payload": {"a": 1}}
    )
    assert made.status_code == 201, made.text
    command = made.json()["command"]
    assert (command["status"], command["typeName"], command["payload"]) == (
        "pending",
        "COMMAND_TYPE_EXEC",
        {"a": 1},
    )
    numeric = await api.client.post(f"{base}/commands", headers=headers, json={"type": 5})
    assert numeric.json()["command"]["type"] == 5
    for body, message in [
        ({"type": "NOPE"}, "type 'NOPE' is not a known agent.v1 CommandType"),
        ({"type": 0}, "type is required (an agent.v1 CommandType, not COMMAND_TYPE_UNSPECIFIED)"),
        ({"type": "EXEC", "payload": [1]}, "payload must be an object"),
    ]:
        bad = await api.client.post(f"{base}/commands", headers=headers, json=body)
        assert (bad.status_code, bad.json()) == (400, {"error": message})
    queue = (await api.client.get(f"{base}/commands/queue", headers=headers)).json()
    assert queue == {"pending": 2, "dispatched": 0, "running": 0, "total": 2}
    cancelled = await api.client.post(f"/api/commands/{command['id']}/cancel", headers=headers)
    assert cancelled.json() == {"cancelled": True, "status": "cancelled", "cancelCommandId": None}
    again = await api.client.post(f"/api/commands/{command['id']}/cancel", headers=headers)
    assert (again.status_code, again.json()) == (
        409,
        {"error": "command already cancelled", "cancelled": False, "reason": "already_finished"},
    )
    drained = await api.client.post(f"{base}/commands/drain", headers=headers)
    assert drained.json() == {"drained": 1}
    history = (await api.client.get(f"{base}/commands?limit=1", headers=headers)).json()
    assert [c["id"] for c in history["commands"]] == [numeric.json()["command"]["id"]]
    older = (await api.client.get(f"{base}/commands?cursor={history['nextCursor']}", headers=headers)).json()
    assert [c["id"] for c in older["commands"]] == [command["id"]]
    only = (await api.client.get(f"{base}/commands?status=cancelled,failed", headers=headers)).json()
    assert len(only["commands"]) == 2
    got = await api.client.get(f"/api/commands/{command['id']}", headers=headers)
    assert got.json()["command"]["status"] == "cancelled"
    async with connected_agent(agents_server, server_id, secret):
        closed = await api.client.post(f"{base}/disconnect", headers=headers)
        assert closed.json() == {"disconnected": True}
    deleted = await api.client.delete(base, headers=headers)
    assert deleted.json() == {"deleted": True}
    assert (await api.client.get(base, headers=headers)).status_code == 404
