"""The auth epoch: how every gateway replica learns at once that cached auth facts went stale.

Small in-process caches (API key -> key info, (user, tenant) -> role) are tagged with the epoch read from
Redis (``gw:epoch``) before the RPC that filled them. Each authenticated request reads the epoch (and the
token's revocation mark) in one round trip; a cached entry counts only while its epoch is current. Any
route that changes auth state bumps the epoch after its RPC succeeds.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from redis.asyncio import Redis

EPOCH_KEY = "gw:epoch"
REVOKED_PREFIX = "gw:revoked:"

V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class AuthSnapshot:
    """What one request read from Redis: the current epoch and whether its token is revoked."""

    epoch: bytes
    revoked: bool


async def read_snapshot(redis: Redis, token_id: str | None) -> AuthSnapshot:
    """Read ``gw:epoch`` and, for a token, ``gw:revoked:<jti>`` in a single round trip."""
    if token_id is None:
        epoch = await redis.get(EPOCH_KEY)
        return AuthSnapshot(epoch=_as_bytes(epoch), revoked=False)
    epoch, revoked = await redis.mget(EPOCH_KEY, REVOKED_PREFIX + token_id)
    return AuthSnapshot(epoch=_as_bytes(epoch), revoked=revoked is not None)


def _as_bytes(value: bytes | str | None) -> bytes:
    if value is None:
        return b"0"
    return value if isinstance(value, bytes) else value.encode()


async def bump_epoch(redis: Redis) -> None:
    """Invalidate every replica's auth caches (call after an auth-changing RPC succeeded)."""
    await redis.incr(EPOCH_KEY)


async def revoke_token(redis: Redis, *, token_id: str, expires_at: float) -> None:
    """Mark an access token revoked until it would have expired anyway, and bump the epoch."""
    ttl = max(1, math.ceil(expires_at - time.time()))
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set(REVOKED_PREFIX + token_id, b"1", ex=ttl)
        pipe.incr(EPOCH_KEY)
        await pipe.execute()


class EpochCache(Generic[V]):
    """A bounded LRU whose entries are valid only for their epoch and a maximum age.

    Args:
        max_age_seconds: Entries older than this are refetched even when the epoch is unchanged.
        max_entries: Oldest entries are dropped beyond this size.
    """

    def __init__(self, *, max_age_seconds: float, max_entries: int = 10_000) -> None:
        self._max_age = max_age_seconds
        self._max_entries = max_entries
        self._entries: OrderedDict[object, tuple[bytes, float, V]] = OrderedDict()

    def get(self, key: object, epoch: bytes) -> V | None:
        """The cached value when it was stored under ``epoch`` and is young enough."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        stored_epoch, stored_at, value = entry
        if stored_epoch != epoch or time.monotonic() - stored_at > self._max_age:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    def put(self, key: object, epoch: bytes, value: V) -> None:
        """Store ``value`` under the epoch that was current before it was fetched."""
        self._entries[key] = (epoch, time.monotonic(), value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)
