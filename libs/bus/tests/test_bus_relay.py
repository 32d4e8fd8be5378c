"""The outbox relay: committed rows reach JetStream exactly once, rolled-back ones never."""

from __future__ import annotations

import asyncio
from typing import Any

import nats.js
import pytest
from nats.js.api import ConsumerConfig, DeliverPolicy
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from switchyard.bus import MSG_ID_HEADER, OutboxRelay
from switchyard.db.outbox import add_outbox

pytestmark = pytest.mark.integration

Outbox = tuple[async_sessionmaker[AsyncSession], Table]


async def write_events(scratch_outbox: Outbox, stream: Any, *, count: int, per_tx: int = 10) -> list[str]:
    sessions, table = scratch_outbox
    ids: list[str] = []
    for start in range(0, count, per_tx):
        async with sessions() as session, session.begin():
            for number in range(start, min(start + per_tx, count)):
                subject = stream.subject("thing.created")
                ids.append(add_outbox(session, table, subject=subject, payload=str(number).encode()))
    return ids


async def read_all(js: nats.js.JetStreamContext, stream: Any) -> list[tuple[str, bytes]]:
    info = await js.stream_info(stream.name)
    subscription = await js.pull_subscribe(
        stream.subject(">"), stream=stream.name, config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL)
    )
    try:
        messages = []
        while len(messages) < info.state.messages:
            messages.extend(await subscription.fetch(info.state.messages - len(messages), timeout=5))
        return [((m.headers or {})[MSG_ID_HEADER], m.data) for m in messages]
    finally:
        await subscription.unsubscribe()


async def pending(scratch_outbox: Outbox) -> int:
    sessions, table = scratch_outbox
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).where(table.c.published_at.is_(None))) or 0)


async def test_two_relays_publish_each_row_exactly_once(
    js: nats.js.JetStreamContext, stream: Any, scratch_outbox: Outbox
) -> None:
    sessions, table = scratch_outbox
    ids = await write_events(scratch_outbox, stream, count=60)
    relays = [OutboxRelay(session_factory=sessions, table=table, js=js, batch=7) for _ in range(2)]
    claimed = 0
    while True:
        counts = await asyncio.gather(*(relay.relay_once() for relay in relays))
        claimed += sum(counts)
        if sum(counts) == 0:
            break
    # SKIP LOCKED: each row was claimed by exactly one relay, never by both.
    assert claimed == 60
    assert await pending(scratch_outbox) == 0
    received = await read_all(js, stream)
    assert sorted(msg_id for msg_id, _ in received) == sorted(ids)
    assert sorted(int(data) for _, data in received) == list(range(60))


async def test_background_relays_deliver_everything_once(
    js: nats.js.JetStreamContext, stream: Any, scratch_outbox: Outbox
) -> None:
    sessions, table = scratch_outbox
    relays = [
        OutboxRelay(session_factory=sessions, table=table, js=js, interval=0.05, batch=5) for _ in range(2)
    ]
    for relay in relays:
        relay.start()
    try:
        ids = await write_events(scratch_outbox, stream, count=40, per_tx=4)
        async with asyncio.timeout(30):
            # Polling is the point: the relays run on their own and only the stream shows progress.
            while (await js.stream_info(stream.name)).state.messages < 40 or await pending(scratch_outbox):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    finally:
        await asyncio.gather(*(relay.stop() for relay in relays))
    received = await read_all(js, stream)
    assert sorted(msg_id for msg_id, _ in received) == sorted(ids)


async def _commit_then_fail(scratch_outbox: Outbox, stream: Any) -> None:
    sessions, table = scratch_outbox
    async with sessions() as session, session.begin():
        add_outbox(session, table, subject=stream.subject("thing.created"), payload=b"ghost", msg_id="ghost")
        await session.flush()
        raise RuntimeError("state change failed")


async def test_rolled_back_transaction_publishes_nothing(
    js: nats.js.JetStreamContext, stream: Any, scratch_outbox: Outbox
) -> None:
    sessions, table = scratch_outbox
    with pytest.raises(RuntimeError, match="state change failed"):
        await _commit_then_fail(scratch_outbox, stream)
    async with sessions() as session, session.begin():
        add_outbox(session, table, subject=stream.subject("thing.created"), payload=b"real", msg_id="real")
    relay = OutboxRelay(session_factory=sessions, table=table, js=js)
    assert await relay.relay_once() == 1
    assert await relay.relay_once() == 0
    assert await read_all(js, stream) == [("real", b"real")]


async def test_publish_failure_keeps_the_rest_pending_and_marks_what_got_out(
    js: nats.js.JetStreamContext, stream: Any, scratch_outbox: Outbox
) -> None:
    sessions, table = scratch_outbox
    async with sessions() as session, session.begin():
        add_outbox(session, table, subject=stream.subject("a.created"), payload=b"ok", msg_id="before")
        # No stream captures this subject, so JetStream refuses it.
        add_outbox(session, table, subject="nostream.thing.created", payload=b"refused", msg_id="refused")
        add_outbox(session, table, subject=stream.subject("a.created"), payload=b"ok", msg_id="after")
    relay = OutboxRelay(session_factory=sessions, table=table, js=js)
    with pytest.raises(nats.js.errors.NoStreamResponseError):
        await relay.relay_once()
    assert await pending(scratch_outbox) == 2
    assert await read_all(js, stream) == [("before", b"ok")]
