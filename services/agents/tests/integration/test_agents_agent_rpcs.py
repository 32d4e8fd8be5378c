"""The rest of agent.v1: PushLogs onto JetStream, routes, and the documented "not accepted" answers."""

from __future__ import annotations

import uuid

import grpc
import nats
import pytest
from agent.v1 import agent_pb2 as T
from nats.js.api import ConsumerConfig, DeliverPolicy
from switchyard.agents.v1 import events_pb2

pytestmark = pytest.mark.integration


async def next_batch_of(sub, server_id: str) -> events_pb2.AgentLogsReceived:
    while True:
        msg = await sub.next_msg(timeout=10)
        event = events_pb2.AgentLogsReceived.FromString(msg.data)
        if event.server_id == server_id:
            return event


async def test_push_logs_lands_on_jetstream(fleet, nats_url) -> None:
    server = await fleet.enrol()
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        sub = await js.subscribe(
            "agents.logs.received",
            stream="AGENTS",
            ordered_consumer=True,
            config=ConsumerConfig(deliver_policy=DeliverPolicy.NEW),
        )
        entries = [
            T.LogEntry(timestamp_ns=i, source="agent", level="info", message=f"hello {i}", fields={"k": "v"})
            for i in range(3)
        ]
        batch = T.LogBatch(server_id=server.id, entries=entries)
        ack = await fleet.agent_stubs["b"].PushLogs(iter([batch]), metadata=server.metadata)
        assert (ack.accepted, ack.received_count, ack.error_message) == (True, 3, "")
        event = await next_batch_of(sub, server.id)
        assert event.org_id == server.org
        assert [e.message for e in event.batch.entries] == ["hello 0", "hello 1", "hello 2"]
        assert event.batch.entries[0].fields["k"] == "v"
        assert event.HasField("received_at")
    finally:
        await nc.close()


async def test_bad_log_batches_are_refused_in_the_ack_not_with_an_error(fleet) -> None:
    server, other = await fleet.enrol(), await fleet.enrol()
    stub = fleet.agent_stubs["a"]
    foreign = T.LogBatch(server_id=other.id, entries=[T.LogEntry(message="x")])
    ack = await stub.PushLogs(iter([foreign]), metadata=server.metadata)
    assert (ack.accepted, ack.received_count) == (False, 0)
    assert ack.error_message == "log batch server_id is not the authenticated server"
    huge = T.LogBatch(server_id=server.id, entries=[T.LogEntry(message="x" * 2_000_000)])
    ack = await stub.PushLogs(iter([huge]), metadata=server.metadata)
    assert ack.accepted is False
    assert ack.error_message.startswith("log batch is larger than")
    raw = fleet._agent_channels["a"].stream_unary(
        "/agent.v1.AgentService/PushLogs",
        request_serializer=lambda b: b,
        response_deserializer=T.LogAck.FromString,
    )
    ack = await raw(iter([b"\xff\xff\xff\x0f"]), metadata=server.metadata)
    assert (ack.accepted, ack.error_message) == (False, "malformed log batch")
    # The service is still up and serving this agent.
    assert (await stub.Heartbeat(T.HeartbeatRequest(), metadata=server.metadata)).accepted


async def test_list_server_routes_only_for_the_authenticated_server(fleet) -> None:
    server, other = await fleet.enrol(), await fleet.enrol()
    stub = fleet.agent_stubs["a"]
    own = await stub.ListServerRoutes(
        T.ListServerRoutesRequest(server_id=server.id), metadata=server.metadata
    )
    assert list(own.routes) == []
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.ListServerRoutes(T.ListServerRoutesRequest(server_id=other.id), metadata=server.metadata)
    assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_spans_observe_events_and_binaries_answer_their_documented_refusals(fleet) -> None:
    server = await fleet.enrol()
    stub = fleet.agent_stubs["b"]
    spans = await stub.PushSpans(iter([T.SpanBatch(otlp_payload=b"x")]), metadata=server.metadata)
    assert (spans.accepted, spans.error_message) == (False, "spans are not ingested here")
    observed = await stub.ForwardObserveEvent(
        T.ObserveEventRequest(tenant_id=str(uuid.uuid4()), payload_json="{}"), metadata=server.metadata
    )
    assert observed.accepted is False
    assert observed.error
    with pytest.raises(grpc.aio.AioRpcError) as info:
        async for _ in stub.DownloadAgentBinary(
            T.DownloadAgentBinaryRequest(version="1"), metadata=server.metadata
        ):
            pass
    assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert "not served" in info.value.details()
