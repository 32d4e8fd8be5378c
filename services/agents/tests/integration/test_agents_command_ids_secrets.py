"""Caller-chosen command ids (idempotent re-issue), sealed secret payloads (delivered, never read back),
and ``agents.command.progress`` events for every progress frame."""

from __future__ import annotations

import json
import uuid

import grpc
import nats
import pytest
from agent.v1 import agent_pb2 as T
from switchyard.agents.v1 import agents_service_pb2 as svc
from switchyard.agents.v1 import events_pb2, progress_pb2

pytestmark = pytest.mark.integration

EXEC = T.COMMAND_TYPE_EXEC
SECRET = "s3cr3t-value-never-shown"


def _issue(server, **fields) -> svc.IssueCommandRequest:
    return svc.IssueCommandRequest(server_id=server.id, type=fields.pop("type", EXEC), **fields)


async def test_a_caller_chosen_id_is_idempotent_and_refused_for_anything_else(fleet) -> None:
    server, other = await fleet.enrol(), await fleet.enrol()
    chosen = f"deploy-{uuid.uuid4()}"
    first = (
        await fleet.call("IssueCommand", _issue(server, command_id=chosen), fleet.owner(server.org))
    ).command
    again = (
        await fleet.call("IssueCommand", _issue(server, command_id=chosen), fleet.owner(server.org))
    ).command
    assert first.id == again.id == chosen
    count = await fleet.sql("SELECT count(*) FROM agents.commands WHERE id = :i", i=chosen)
    assert count.scalar_one() == 1
    for request, principal in [
        (_issue(server, command_id=chosen, type=T.COMMAND_TYPE_AGENT_PING), fleet.owner(server.org)),
        (_issue(other, command_id=chosen), fleet.owner(other.org)),
    ]:
        error = await fleet.fails("IssueCommand", request, principal)
        assert error.code() == grpc.StatusCode.ALREADY_EXISTS
        assert error.details() == "command_id is already used by another command"
    bad = await fleet.fails("IssueCommand", _issue(server, command_id="no spaces"), fleet.owner(server.org))
    assert bad.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "command_id" in (bad.details() or "")


async def test_a_secret_payload_reaches_only_the_agent(fleet, nats_url: str) -> None:
    server = await fleet.enrol()
    client = await nats.connect(nats_url)
    finished = await client.jetstream().subscribe("agents.command.finished", ordered_consumer=True)
    try:
        request = _issue(
            server,
            payload_json=json.dumps({"container_name": "web"}),
            secret_payload_json=json.dumps({"env_vars": {"TOKEN": SECRET}}),
        )
        command = (await fleet.call("IssueCommand", request, fleet.owner(server.org))).command
        assert SECRET not in str(command)
        raw = await fleet.sql(
            "SELECT payload::text, secret_enc FROM agents.commands WHERE id = :i", i=command.id
        )
        payload_text, sealed = raw.one()
        assert SECRET not in payload_text
        assert SECRET.encode() not in bytes(sealed)
        async with fleet.agent(server, answer=False) as agent:
            [delivered] = await agent.wait_for(1)
            assert json.loads(delivered.payload) == {"container_name": "web", "env_vars": {"TOKEN": SECRET}}
            await agent.finish(command.id, "completed", "ok")
            await fleet.status_of(server, command.id, "completed")
        read = await fleet.command(server, command.id)
        listed = await fleet.call(
            "ListCommands", svc.ListCommandsRequest(server_id=server.id), fleet.member(server.org)
        )
        assert SECRET not in str(read)
        assert SECRET not in str(listed)
        async for msg in finished.messages:
            event = events_pb2.CommandFinished.FromString(msg.data)
            if event.command.id == command.id:
                assert SECRET.encode() not in msg.data
                assert json.loads(event.command.payload_json) == {"container_name": "web"}
                break
        bad = await fleet.fails(
            "IssueCommand", _issue(server, secret_payload_json="[1]"), fleet.owner(server.org)
        )
        assert (bad.code(), bad.details()) == (
            grpc.StatusCode.INVALID_ARGUMENT,
            "secret_payload_json must be a JSON object",
        )
    finally:
        await client.close()


async def test_every_progress_frame_is_published_as_an_event(fleet, nats_url: str) -> None:
    server = await fleet.enrol()
    client = await nats.connect(nats_url)
    progress = await client.jetstream().subscribe("agents.command.progress", ordered_consumer=True)
    try:
        async with fleet.agent(server, answer=False) as agent:
            command = await fleet.issue(server, EXEC)
            await agent.wait_for(1)
            await agent.progress(command.id, "step 1\n")
            await agent.progress(command.id, "step 2\n")
            await agent.finish(command.id, "completed", "done\n")
            await fleet.status_of(server, command.id, "completed")
        seen: list[progress_pb2.CommandProgress] = []
        async for msg in progress.messages:
            event = progress_pb2.CommandProgress.FromString(msg.data)
            if event.command_id == command.id:
                seen.append(event)
                if len(seen) == 2:
                    break
        assert [e.output for e in seen] == ["step 1\n", "step 2\n"]
        assert {(e.org_id, e.server_id, e.type) for e in seen} == {(server.org, server.id, EXEC)}
        assert all(e.HasField("occurred_at") for e in seen)
    finally:
        await client.close()
