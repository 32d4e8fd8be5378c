"""Outbox to JetStream end to end: one registration, one identity.user.registered message."""

from __future__ import annotations

import pytest
from nats.js.api import ConsumerConfig, DeliverPolicy
from switchyard.bus import connect
from switchyard.identity.v1 import events_pb2

pytestmark = pytest.mark.integration


async def test_user_registered_is_published_exactly_once(identity, nats_url) -> None:
    nc = await connect(nats_url, name="identity-test-events")
    try:
        js = nc.jetstream()
        sub = await js.subscribe(
            "identity.user.registered",
            stream="IDENTITY",
            config=ConsumerConfig(deliver_policy=DeliverPolicy.NEW),
        )
        account = await identity.register()
        mine: list[events_pb2.UserRegistered] = []
        while True:
            try:
                # Keep reading until the stream is quiet, so a duplicate would be seen too.
                msg = await sub.next_msg(timeout=2 if mine else 15)
            except TimeoutError:
                break
            event = events_pb2.UserRegistered.FromString(msg.data)
            await msg.ack()
            if event.user_id == account.user_id:
                mine.append(event)
        await sub.unsubscribe()
    finally:
        await nc.close()
    assert len(mine) == 1
    assert mine[0].email == account.email
    assert mine[0].personal_tenant_id == account.tenant_id
    assert mine[0].HasField("occurred_at")
