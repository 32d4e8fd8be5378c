"""What the gateway's ingest doors share: the DSN key cache and the lazy JetStream publisher.

Ingest requests are answered only after JetStream acknowledges the payload, so the gateway holds a NATS
connection; it is opened on the first ingest request, so a gateway that serves no ingest never needs NATS.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass

import grpc
import nats.aio.client
import nats.js
from switchyard.bus import connect, drain_quietly, publish
from switchyard.gateway.clients.ingest import IngestClient
from switchyard.grpckit.principal import SERVICE, Principal
from switchyard.ingest.v1 import ingest_service_pb2 as pb

PUBLIC_KEY = re.compile(r"^[0-9a-f]{32}$")
# A deleted DSN keeps working on a gateway for at most this long; unknown keys are remembered less.
KNOWN_SECONDS = 10.0
UNKNOWN_SECONDS = 2.0
MAX_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class DsnKey:
    """Who an ingest key belongs to."""

    dsn_id: str
    org_id: str
    project_id: int


class DsnKeys:
    """Resolves public keys through ``IngestService.ResolveDsnKey``, with a short in-process cache."""

    def __init__(self, ingest: IngestClient) -> None:
        self._ingest = ingest
        self._cache: dict[str, tuple[float, DsnKey | None]] = {}
        # One lookup per key at a time: when an entry expires under load, the requests of that key
        # wait for the one call in flight instead of each calling ingest (a burst of identical RPCs).
        self._inflight: dict[str, asyncio.Task[DsnKey | None]] = {}

    async def resolve(self, public_key: str, *, request_id: str) -> DsnKey | None:
        """The key's DSN, or None when no DSN has it (malformed keys never reach the service)."""
        key = public_key.strip().lower()
        if not PUBLIC_KEY.match(key):
            return None
        cached = self._cache.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        lookup = self._inflight.get(key)
        if lookup is None:
            lookup = asyncio.get_running_loop().create_task(self._lookup(key, request_id))
            self._inflight[key] = lookup
            lookup.add_done_callback(lambda _: self._inflight.pop(key, None))
        # Shielded: one caller going away (a client disconnect) must not cancel the others' lookup.
        return await asyncio.shield(lookup)

    async def _lookup(self, key: str, request_id: str) -> DsnKey | None:
        principal = Principal(kind=SERVICE, request_id=request_id)
        try:
            response = await self._ingest.resolve_dsn_key(principal, pb.ResolveDsnKeyRequest(public_key=key))
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.NOT_FOUND:
                raise
            found = None
        else:
            found = DsnKey(response.dsn.id, response.dsn.org_id, response.dsn.project_id)
        if len(self._cache) >= MAX_ENTRIES:
            self._cache.clear()
        self._cache[key] = (time.monotonic() + (KNOWN_SECONDS if found else UNKNOWN_SECONDS), found)
        return found


class IngestBus:
    """Publishes ingest payloads to JetStream and waits for the stream's ack."""

    def __init__(self, nats_url: str) -> None:
        self._url = nats_url
        self._client: nats.aio.client.Client | None = None
        self._js: nats.js.JetStreamContext | None = None
        self._lock = asyncio.Lock()

    async def _jetstream(self) -> nats.js.JetStreamContext:
        if self._js is None:
            async with self._lock:
                if self._js is None:
                    self._client = await connect(self._url, name="gateway-ingest")
                    self._js = self._client.jetstream()
        return self._js

    async def publish(self, subject: str, payload: bytes, *, msg_id: str, headers: dict[str, str]) -> None:
        """Publish and wait until the stream has stored the message."""
        await publish(await self._jetstream(), subject, payload, msg_id=msg_id, headers=headers)

    async def close(self) -> None:
        """Drain the connection if one was opened."""
        if self._client is not None:
            await drain_quietly(self._client)
