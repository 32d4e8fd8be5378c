"""Agent authentication on every agent.v1 call, and heartbeats: presence in Redis, throttled PostgreSQL."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from agent.v1 import agent_pb2 as T
from switchyard.agents.v1 import agents_service_pb2 as svc

pytestmark = pytest.mark.integration


def beat(version: str = "1.2.3") -> T.HeartbeatRequest:
    return T.HeartbeatRequest(
        agent_version=version,
        docker_reachable=True,
        system=T.SystemMetrics(
            cpu_percent=12.5,
            memory_used_mb=512,
            memory_total_mb=2048,
            disk_used_mb=10,
            disk_total_mb=100,
            uptime_seconds=3600,
            os_info="Debian 12",
            arch="x86_64",
        ),
    )


async def refused(call) -> grpc.StatusCode:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call
    return info.value.code()


async def open_stream(fleet, metadata) -> grpc.StatusCode:
    call = fleet.agent_stubs["a"].CommandStream(iter(()), metadata=metadata)
    with pytest.raises(grpc.aio.AioRpcError) as info:
        async for _ in call:
            pass
    return info.value.code()


async def test_missing_wrong_or_foreign_credentials_are_unauthenticated(fleet) -> None:
    server, other = await fleet.enrol(), await fleet.enrol()
    stub = fleet.agent_stubs["a"]
    bad = [
        (),
        (("server-id", server.id),),
        (("authorization", f"Bearer {server.secret}"),),
        (("authorization", f"Bearer {server.secret}x"), ("server-id", server.id)),
        (("authorization", f"Basic {server.secret}"), ("server-id", server.id)),
        # A valid secret of another server.
        (("authorization", f"Bearer {other.secret}"), ("server-id", server.id)),
    ]
    for metadata in bad:
        assert await refused(stub.Heartbeat(beat(), metadata=metadata)) == grpc.StatusCode.UNAUTHENTICATED
        assert await open_stream(fleet, metadata) == grpc.StatusCode.UNAUTHENTICATED
        ack = stub.AckCommand(T.CommandAck(command_id="x"), metadata=metadata)
        assert await refused(ack) == grpc.StatusCode.UNAUTHENTICATED
    answer = await stub.Heartbeat(beat(), metadata=server.metadata)
    assert answer.accepted is True


async def test_a_revoked_secret_or_server_is_refused(fleet) -> None:
    revoked_secret, revoked_server = await fleet.enrol(), await fleet.enrol()
    await fleet.sql(
        "UPDATE agents.agent_secrets SET revoked_at = now() WHERE server_id = :s", s=revoked_secret.id
    )
    await fleet.sql("UPDATE agents.servers SET status = 'revoked' WHERE id = :s", s=revoked_server.id)
    for server in (revoked_secret, revoked_server):
        call = fleet.agent_stubs["b"].Heartbeat(beat(), metadata=server.metadata)
        assert await refused(call) == grpc.StatusCode.UNAUTHENTICATED


async def test_revocation_bites_at_once_after_a_forced_disconnect(fleet) -> None:
    server = await fleet.enrol()
    async with fleet.agent(server) as agent:
        await fleet.agent_stubs["a"].Heartbeat(beat(), metadata=server.metadata)
        await fleet.sql(
            "UPDATE agents.agent_secrets SET revoked_at = now() WHERE server_id = :s", s=server.id
        )
        closed = await fleet.call(
            "DisconnectServer", svc.DisconnectServerRequest(server_id=server.id), fleet.owner(server.org)
        )
        assert closed.disconnected is True
        async with asyncio.timeout(10):
            await agent.ended.wait()
    # The positive cache entry went with the disconnect: no 5 s window for the revoked secret.
    call = fleet.agent_stubs["a"].Heartbeat(beat(), metadata=server.metadata)
    assert await refused(call) == grpc.StatusCode.UNAUTHENTICATED
    assert await open_stream(fleet, server.metadata) == grpc.StatusCode.UNAUTHENTICATED


async def test_heartbeat_stores_presence_and_answers_the_interval(fleet, redis) -> None:
    server = await fleet.enrol()
    before = await fleet.call(
        "GetServer", svc.GetServerRequest(server_id=server.id), fleet.member(server.org)
    )
    assert before.server.online is False
    assert not before.HasField("presence")
    answer = await fleet.agent_stubs["b"].Heartbeat(beat(), metadata=server.metadata)
    assert answer.accepted is True
    assert answer.heartbeat_interval_seconds == 15
    assert answer.monitoring_config.config_version == 1
    assert answer.monitoring_config.system_interval_seconds == 15
    assert list(answer.app_containers) == []
    got = await fleet.call("GetServer", svc.GetServerRequest(server_id=server.id), fleet.member(server.org))
    assert got.server.online is True
    assert got.server.agent_version == "1.2.3"
    assert got.server.stream_connected is False
    presence = got.presence
    assert (presence.cpu_percent, presence.memory_total_mb, presence.os_info) == (12.5, 2048, "Debian 12")
    assert presence.docker_reachable is True
    assert presence.uptime_seconds == 3600
    ttl = await redis.ttl(f"agents:presence:{server.id}")
    assert 0 < ttl <= 60


async def test_postgres_is_touched_at_most_once_a_minute_per_server(fleet) -> None:
    server = await fleet.enrol()
    stub = fleet.agent_stubs["a"]
    await stub.Heartbeat(beat("1.0.0"), metadata=server.metadata)
    first = (
        await fleet.sql(
            "SELECT agent_version, last_heartbeat_at FROM agents.servers WHERE id = :s", s=server.id
        )
    ).one()
    assert first.agent_version == "1.0.0"
    assert first.last_heartbeat_at is not None
    await stub.Heartbeat(beat("1.0.1"), metadata=server.metadata)
    second = (
        await fleet.sql(
            "SELECT agent_version, last_heartbeat_at FROM agents.servers WHERE id = :s", s=server.id
        )
    ).one()
    assert tuple(second) == tuple(first)
    # Redis has the latest beat all the same.
    got = await fleet.call("GetServer", svc.GetServerRequest(server_id=server.id), fleet.member(server.org))
    assert got.presence.agent_version == "1.0.1"
