"""Session inboxes over real gRPC and Redis streams: post, poll delivery until ACK, lanes, ownership."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf.struct_pb2 import Struct
from switchyard.workers.v1 import workers_service_pb2 as svc

pytestmark = pytest.mark.integration


def _post(
    session_id: str, type_: str = "directive", lane: str = "", **payload: object
) -> svc.PostInboxMessageRequest:
    body = Struct()
    body.update(payload)
    return svc.PostInboxMessageRequest(session_id=session_id, type=type_, payload=body, lane=lane)


async def _claimed(workers):  # type: ignore[no-untyped-def]
    reg = await workers.register()
    session = await workers.queue(reg.org)
    assert [w.session_id for w in (await workers.poll(reg)).work] == [session.id]
    return reg, session


async def test_posted_message_is_polled_until_acked(workers, redis) -> None:
    reg, session = await _claimed(workers)
    posted = await workers.call(
        "PostInboxMessage", _post(session.id, text="focus on tests"), workers.admin(reg.org)
    )
    message = posted.message
    assert (message.type, message.lane, message.session_id) == ("directive", "normal", session.id)
    assert dict(message.payload) == {"text": "focus on tests"}
    assert await redis.xlen(f"workers:inbox:{session.id}:normal") == 1
    first = await workers.poll(reg)
    assert [(m.id, m.type, m.session_id) for m in first.inbox_messages] == [
        (message.id, "directive", session.id)
    ]
    assert first.inbox_messages[0].created_at.seconds > 0
    # Read but not ACKed: it stays in the worker's pending list and comes back.
    again = await workers.poll(reg)
    assert [m.id for m in again.inbox_messages] == [message.id]
    pending = await redis.xpending(f"workers:inbox:{session.id}:normal", "inbox-readers")
    assert pending["pending"] == 1
    assert pending["consumers"][0]["name"] in (f"worker:{reg.worker_id}", f"worker:{reg.worker_id}".encode())
    ack = svc.AckInboxMessageRequest(session_id=session.id, message_id=message.id, lane="normal")
    assert (await workers.call("AckInboxMessage", ack, reg.worker)).acknowledged
    assert (await redis.xpending(f"workers:inbox:{session.id}:normal", "inbox-readers"))["pending"] == 0
    assert list((await workers.poll(reg)).inbox_messages) == []


async def test_stop_goes_to_the_urgent_lane_first(workers) -> None:
    reg, session = await _claimed(workers)
    admin = workers.admin(reg.org)
    await workers.call("PostInboxMessage", _post(session.id, "nudge"), admin)
    await workers.call("PostInboxMessage", _post(session.id, "stop", reason="user"), reg.key)
    polled = await workers.poll(reg)
    assert [(m.type, m.lane) for m in polled.inbox_messages] == [("stop", "urgent"), ("nudge", "normal")]


async def test_post_validates_and_authorises(workers) -> None:
    reg, session = await _claimed(workers)
    admin = workers.admin(reg.org)
    bad_type = await workers.fails("PostInboxMessage", _post(session.id, "shout"), admin)
    assert bad_type.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "type" in (bad_type.details() or "")
    bad_lane = await workers.fails("PostInboxMessage", _post(session.id, lane="fast"), admin)
    assert "lane" in (bad_lane.details() or "")
    other_org = await workers.fails("PostInboxMessage", _post(session.id), workers.admin(workers.org()))
    assert other_org.code() == grpc.StatusCode.NOT_FOUND
    as_worker = await workers.fails("PostInboxMessage", _post(session.id), reg.worker)
    assert as_worker.code() == grpc.StatusCode.PERMISSION_DENIED
    await workers.status(reg, session.id, "running")
    await workers.status(reg, session.id, "completed")
    ended = await workers.fails("PostInboxMessage", _post(session.id), admin)
    assert ended.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_ack_checks_fields_and_ownership(workers) -> None:
    reg, session = await _claimed(workers)
    other = await workers.register(reg.org)
    message = (await workers.call("PostInboxMessage", _post(session.id), reg.key)).message
    missing = await workers.fails(
        "AckInboxMessage", svc.AckInboxMessageRequest(session_id=session.id), reg.worker
    )
    assert missing.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "messageId" in (missing.details() or "")
    assert "lane" in (missing.details() or "")
    ack = svc.AckInboxMessageRequest(session_id=session.id, message_id=message.id, lane="normal")
    foreign = await workers.fails("AckInboxMessage", ack, other.worker)
    assert foreign.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "owned by another worker" in (foreign.details() or "")
    unknown = svc.AckInboxMessageRequest(session_id="nope", message_id=message.id, lane="normal")
    assert (await workers.fails("AckInboxMessage", unknown, reg.worker)).code() == grpc.StatusCode.NOT_FOUND
    # The other worker never sees the message: it does not hold the session.
    assert list((await workers.poll(other)).inbox_messages) == []
