"""Durable pull consumers: ack after the handler, redelivery after a handler error."""

from __future__ import annotations

import asyncio
from typing import Any

import nats.js
import pytest
from nats.aio.msg import Msg
from switchyard.bus import publish, run_consumer

pytestmark = pytest.mark.integration


async def test_consumer_acks_after_handler_and_redelivers_after_error(
    js: nats.js.JetStreamContext, stream: Any
) -> None:
    deliveries: list[tuple[bytes, int]] = []
    done = asyncio.Event()
    stop = asyncio.Event()

    async def handler(msg: Msg) -> None:
        deliveries.append((msg.data, msg.metadata.num_delivered))
        if msg.data == b"flaky" and msg.metadata.num_delivered == 1:
            raise RuntimeError("transient failure")
        if len([d for d in deliveries if d[0] == b"flaky"]) == 2 and any(d[0] == b"fine" for d in deliveries):
            done.set()

    await publish(js, stream.subject("thing.created"), b"fine", msg_id="fine")
    await publish(js, stream.subject("thing.created"), b"flaky", msg_id="flaky")
    task = asyncio.create_task(
        run_consumer(
            js,
            stream=stream.name,
            durable="test.consumer",
            subject=stream.subject(">"),
            handler=handler,
            stop=stop,
        )
    )
    try:
        await asyncio.wait_for(done.wait(), timeout=30)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)
    assert sorted(deliveries) == [(b"fine", 1), (b"flaky", 1), (b"flaky", 2)]
    info = await js.consumer_info(stream.name, "test_consumer")
    assert info.num_ack_pending == 0
    assert info.num_pending == 0
    assert info.ack_floor.stream_seq == 2


async def test_durable_consumer_resumes_where_it_stopped(js: nats.js.JetStreamContext, stream: Any) -> None:
    seen: list[bytes] = []

    async def consume_until(count: int) -> None:
        stop = asyncio.Event()

        async def handler(msg: Msg) -> None:
            seen.append(msg.data)
            if len(seen) >= count:
                stop.set()

        await asyncio.wait_for(
            run_consumer(
                js,
                stream=stream.name,
                durable="test.resume",
                subject=stream.subject(">"),
                handler=handler,
                stop=stop,
            ),
            timeout=30,
        )

    await publish(js, stream.subject("a"), b"1", msg_id="1")
    await consume_until(1)
    await publish(js, stream.subject("a"), b"2", msg_id="2")
    await consume_until(2)
    assert seen == [b"1", b"2"]


async def test_background_consumer_waits_for_a_stream_created_after_it_started(
    js: nats.js.JetStreamContext,
) -> None:
    import uuid

    from switchyard.bus import BackgroundConsumer, ensure_stream

    name = f"LATE_{uuid.uuid4().hex[:8].upper()}"
    subject = f"late{uuid.uuid4().hex[:8]}"
    received: list[bytes] = []
    got = asyncio.Event()

    async def handler(msg: Msg) -> None:
        received.append(msg.data)
        got.set()

    consumer = BackgroundConsumer(
        js,
        stream=name,
        durable="test.late",
        subject=f"{subject}.>",
        handler=handler,
        name="test-late",
        retry_seconds=0.05,
    )
    consumer.start()
    try:
        await asyncio.sleep(0.2)  # the stream does not exist yet: the consumer keeps retrying
        await ensure_stream(js, name=name, subjects=[f"{subject}.>"])
        await publish(js, f"{subject}.thing", b"hello", msg_id="late-1")
        await asyncio.wait_for(got.wait(), timeout=15)
    finally:
        await consumer.stop()
        await js.delete_stream(name)
    assert received == [b"hello"]
