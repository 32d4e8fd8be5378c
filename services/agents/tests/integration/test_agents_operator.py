"""Operator actions through the agent: status probe, ping, restart guard, agent logs, disconnect, delete."""

from __future__ import annotations

import asyncio
import json

import grpc
import pytest
from agent.v1 import agent_pb2 as T
from switchyard.agents.v1 import agents_service_pb2 as svc

pytestmark = pytest.mark.integration


async def test_status_of_an_offline_agent_is_the_stored_view_with_live_probe_error(fleet) -> None:
    server = await fleet.enrol(name="offline-1")
    report = await fleet.call(
        "GetServerStatus", svc.GetServerStatusRequest(server_id=server.id), fleet.member(server.org)
    )
    assert report.server.id == server.id
    assert report.server.name == "offline-1"
    assert report.live_probe_error == "agent offline: no live command stream"
    assert report.live_status_json == ""


async def test_status_merges_the_agent_status_probe(fleet) -> None:
    server = await fleet.enrol()
    async with fleet.agent(server, via="b", skew_ns=2_000_000_000):
        report = await fleet.call(
            "GetServerStatus", svc.GetServerStatusRequest(server_id=server.id), fleet.member(server.org)
        )
    assert report.live_probe_error == ""
    assert report.server.stream_connected is True
    assert json.loads(report.live_status_json)["runtime"] == "python"
    assert 1500 <= report.clock_skew_ms <= 2500


async def test_status_probe_timeout_is_reported_not_raised(fleet) -> None:
    server = await fleet.enrol()
    async with fleet.agent(server, answer=False) as agent:
        report = await fleet.call(
            "GetServerStatus", svc.GetServerStatusRequest(server_id=server.id), fleet.member(server.org)
        )
        assert report.live_probe_error == "agent did not answer AGENT_STATUS within 3 s"
        probe = agent.received[0]
    # A probe nobody waits for any more is not left to run later (failed once its stream is gone).
    assert (await fleet.command(server, probe.id)).status in ("dispatched", "cancelled", "failed")


async def test_ping_returns_rtt_and_clock_skew(fleet) -> None:
    server = await fleet.enrol()
    async with fleet.agent(server, via="b", skew_ns=-3_000_000_000):
        ping = await fleet.call(
            "PingServer", svc.PingServerRequest(server_id=server.id), fleet.member(server.org)
        )
    assert 0 < ping.rtt_ms < 5000
    assert -3500 <= ping.clock_skew_ms <= -2500
    assert ping.agent_version == "test-agent/1.0"
    assert (await fleet.command(server, ping.command_id)).type == T.COMMAND_TYPE_AGENT_PING


async def test_ping_of_an_offline_agent_is_422(fleet) -> None:
    server = await fleet.enrol()
    error = await fleet.fails(
        "PingServer", svc.PingServerRequest(server_id=server.id), fleet.owner(server.org)
    )
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert dict(error.trailing_metadata())["x-http-status"] == "422"


async def test_restart_agent_is_guarded_for_30_seconds_and_refused_offline(fleet) -> None:
    server = await fleet.enrol()
    request = svc.RestartAgentRequest(server_id=server.id)
    offline = await fleet.fails("RestartAgent", request, fleet.owner(server.org))
    assert offline.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert dict(offline.trailing_metadata())["x-http-status"] == "422"
    async with fleet.agent(server) as agent:
        queued = await fleet.call("RestartAgent", request, fleet.owner(server.org))
        assert (queued.queued, queued.estimated_reconnect_seconds) == (True, 5)
        await agent.wait_for(1)
        assert agent.received[0].type == T.COMMAND_TYPE_RESTART_SELF
        again = await fleet.fails("RestartAgent", request, fleet.owner(server.org), via="b")
        assert again.code() == grpc.StatusCode.ALREADY_EXISTS
        done = await fleet.status_of(server, queued.command_id, "queued")
        assert json.loads(done.output)["message"] == "agent restart queued"
        member = await fleet.fails("RestartAgent", request, fleet.member(server.org))
        assert member.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_agent_logs_default_200_lines_capped_at_2000(fleet) -> None:
    server = await fleet.enrol()
    owner = fleet.owner(server.org)
    offline = await fleet.fails("GetAgentLogs", svc.GetAgentLogsRequest(server_id=server.id), owner)
    assert dict(offline.trailing_metadata())["x-http-status"] == "422"
    async with fleet.agent(server, via="b"):
        logs = await fleet.call("GetAgentLogs", svc.GetAgentLogsRequest(server_id=server.id), owner)
        assert logs.lines == 200
        assert logs.text.count("\n") == 200
        five = await fleet.call("GetAgentLogs", svc.GetAgentLogsRequest(server_id=server.id, lines=5), owner)
        assert five.text.splitlines() == [f"log line {i}" for i in range(5)]
        for lines in (2001, -1):
            error = await fleet.fails(
                "GetAgentLogs", svc.GetAgentLogsRequest(server_id=server.id, lines=lines), owner
            )
            assert (error.code(), error.details()) == (
                grpc.StatusCode.INVALID_ARGUMENT,
                "lines must be between 1 and 2000",
            )


async def test_force_disconnect_ends_the_stream_on_the_holding_replica(fleet) -> None:
    server = await fleet.enrol()
    async with fleet.agent(server, via="b") as agent:
        closed = await fleet.call(
            "DisconnectServer",
            svc.DisconnectServerRequest(server_id=server.id),
            fleet.owner(server.org),
            via="a",
        )
        assert closed.disconnected is True
        async with asyncio.timeout(10):
            await agent.ended.wait()
        assert agent.end_code == grpc.StatusCode.OK
    await fleet.until(lambda: _gone(fleet, server))
    again = await fleet.call(
        "DisconnectServer", svc.DisconnectServerRequest(server_id=server.id), fleet.owner(server.org)
    )
    assert again.disconnected is False


async def _gone(fleet, server) -> bool:
    got = await fleet.call("GetServer", svc.GetServerRequest(server_id=server.id), fleet.member(server.org))
    return not got.server.stream_connected


async def test_list_and_delete_servers(fleet) -> None:
    org = fleet.new_org()
    first, second = await fleet.enrol(org, name="one"), await fleet.enrol(org, name="two")
    listed = await fleet.call("ListServers", svc.ListServersRequest(), fleet.member(org))
    assert [s.id for s in listed.servers] == [second.id, first.id]
    pending = await fleet.issue(first, T.COMMAND_TYPE_EXEC)
    async with fleet.agent(first) as agent:
        deleted = await fleet.call(
            "DeleteServer", svc.DeleteServerRequest(server_id=first.id), fleet.owner(org)
        )
        assert deleted.deleted is True
        async with asyncio.timeout(10):
            await agent.ended.wait()
    error = await fleet.fails("GetServer", svc.GetServerRequest(server_id=first.id), fleet.member(org))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    listed = await fleet.call("ListServers", svc.ListServersRequest(), fleet.member(org))
    assert [s.id for s in listed.servers] == [second.id]
    heartbeat = fleet.agent_stubs["a"].Heartbeat(T.HeartbeatRequest(), metadata=first.metadata)
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await heartbeat
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
    status = (await fleet.sql("SELECT status FROM agents.commands WHERE id = :c", c=pending.id)).scalar()
    assert status == "cancelled"
