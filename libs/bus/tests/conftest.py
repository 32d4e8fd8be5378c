"""Per-test JetStream stream and outbox schema with unique names, on the shared servers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import nats.aio.client
import nats.js
import pytest
from switchyard.bus import connect, ensure_stream


@dataclass
class Stream:
    name: str
    prefix: str

    def subject(self, tail: str) -> str:
        return f"{self.prefix}.{tail}"


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[nats.aio.client.Client]:
    client = await connect(nats_url, name="libs-bus-tests")
    yield client
    await client.drain()


@pytest.fixture
def js(nc: nats.aio.client.Client) -> nats.js.JetStreamContext:
    return nc.jetstream()


@pytest.fixture
async def stream(js: nats.js.JetStreamContext) -> AsyncIterator[Stream]:
    suffix = uuid.uuid4().hex[:10]
    created = Stream(name=f"T{suffix.upper()}", prefix=f"t{suffix}")
    await ensure_stream(js, name=created.name, subjects=[f"{created.prefix}.>"])
    yield created
    await js.delete_stream(created.name)
