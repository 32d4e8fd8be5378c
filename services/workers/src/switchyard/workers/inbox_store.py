"""The Redis side of the inbox port: one stream per session and lane, read by one consumer group.

Keys: ``workers:inbox:{session}:{urgent|normal}`` (stream, TTL renewed by each message). Group
``inbox-readers``; each worker reads as consumer ``worker:{workerId}``, so a message it has read but
not ACKed stays in its pending list and comes back on the next poll.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from redis.asyncio import Redis
from switchyard.workers.domain.ports import InboxEntry
from switchyard.workers.store import KEYS

GROUP = "inbox-readers"
LANES = ("urgent", "normal")
# Per poll and lane: enough for any sane backlog, bounded so one chatty session cannot bloat a poll.
READ_COUNT = 100


def inbox_key(session_id: str, lane: str) -> str:
    """The stream of one session lane."""
    return KEYS.key("inbox", session_id, lane)


def consumer(worker_id: str) -> str:
    """The consumer name of a worker."""
    return f"worker:{worker_id}"


def _dec(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _entries(reply: Any) -> list[tuple[str, dict[str, str]]]:
    # XREADGROUP answers [[stream, [(id, fields), ...]]] (RESP2) or {stream: [[(id, fields), ...]]} (RESP3).
    if not reply:
        return []
    streams = reply.values() if isinstance(reply, Mapping) else [item[1] for item in reply]
    found: list[tuple[str, dict[str, str]]] = []
    for stream in streams:
        items = stream[0] if stream and isinstance(stream[0], list) else stream
        for entry_id, fields in items:
            # A trimmed entry still pending comes back with no fields: nothing to deliver.
            if fields:
                found.append((_dec(entry_id), {_dec(k): _dec(v) for k, v in fields.items()}))
    return found


class RedisInbox:
    """Inbox lanes as Redis streams."""

    def __init__(self, redis: Redis) -> None:
        self._r = redis

    async def add(self, session_id: str, lane: str, fields: dict[str, str], *, ttl_seconds: int) -> str:
        """XADD, make sure the group exists (from id 0, so order does not matter) and renew the TTL."""
        key = inbox_key(session_id, lane)
        async with self._r.pipeline(transaction=False) as pipe:
            pipe.xadd(key, fields)  # type: ignore[arg-type]
            pipe.xgroup_create(key, GROUP, id="0", mkstream=True)
            pipe.expire(key, ttl_seconds)
            entry_id, created, _ = await pipe.execute(raise_on_error=False)
        if isinstance(entry_id, Exception):
            raise entry_id
        if isinstance(created, Exception) and "BUSYGROUP" not in str(created):
            raise created
        return _dec(entry_id)

    async def read(self, worker_id: str, session_ids: list[str]) -> list[InboxEntry]:
        """Claim new messages into the worker's pending list, then return that whole pending list."""
        lanes = [(sid, lane) for sid in sorted(session_ids) for lane in LANES]
        if not lanes:
            return []
        async with self._r.pipeline(transaction=False) as pipe:
            for sid, lane in lanes:
                pipe.exists(inbox_key(sid, lane))
            exists = await pipe.execute()
        live = [pair for pair, present in zip(lanes, exists, strict=True) if present]
        if not live:
            return []
        name = consumer(worker_id)
        async with self._r.pipeline(transaction=False) as pipe:
            for sid, lane in live:
                pipe.xreadgroup(GROUP, name, {inbox_key(sid, lane): ">"}, count=READ_COUNT)
                pipe.xreadgroup(GROUP, name, {inbox_key(sid, lane): "0"}, count=READ_COUNT)
            replies = await pipe.execute(raise_on_error=False)
        found: list[InboxEntry] = []
        for index, (sid, lane) in enumerate(live):
            pending = replies[2 * index + 1]
            # A stream that expired between the two round trips has no group any more: nothing to read.
            if isinstance(pending, Exception):
                continue
            found += [
                InboxEntry(id=entry_id, session_id=sid, lane=lane, fields=fields)
                for entry_id, fields in _entries(pending)
            ]
        return found

    async def ack(self, session_id: str, lane: str, message_id: str) -> int:
        """XACK in the group."""
        return int(await self._r.xack(inbox_key(session_id, lane), GROUP, message_id))
