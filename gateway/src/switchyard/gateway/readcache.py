"""Edge cache for identity's hot reads, kept coherent by the auth epoch.

``GET /api/auth/me`` and ``GET /api/tenant/members`` are on every page load. Their answers are kept in
process, tagged with the ``gw:epoch`` value that the request read *before* calling identity, so an answer
fetched while a change was landing is never served after that change's bump. Coherence rests on one
rule, enforced in one place (``EpochBumpMiddleware``): every successful mutating request under an
identity-owned path bumps the epoch before its response starts, so the next request on any replica sees
the new epoch and refetches. ``max_age_seconds`` bounds staleness from changes that do not pass through
a gateway (none today; bootstrap creates only the root tenant).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from switchyard.gateway.auth.epoch import EpochCache, bump_epoch

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send
    from redis.asyncio import Redis

T = TypeVar("T")

# Paths whose successful mutations may change what the cached reads (and the auth caches) return.
IDENTITY_PATHS = ("/api/auth/", "/api/tenant/", "/api/admin/", "/api/org/", "/api/messages")
MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The request's epoch is stashed here by authentication, for handlers that read through the cache.
EPOCH_SCOPE_KEY = "switchyard.auth_epoch"


class ReadCache:
    """Epoch-tagged answers of hot read routes.

    Args:
        enabled: ``GATEWAY_READ_CACHE``; when off every read goes to identity.
        max_age_seconds: Longest life of an answer even with an unchanged epoch.
    """

    def __init__(self, *, enabled: bool, max_age_seconds: float) -> None:
        self.enabled = enabled
        self._entries: EpochCache[Any] = EpochCache(max_age_seconds=max_age_seconds)

    async def get_or_fetch(self, key: tuple[str, ...], scope: Scope, fetch: Callable[[], Awaitable[T]]) -> T:
        """The cached answer for ``key`` under the request's epoch, else ``fetch()`` (then cached)."""
        epoch: bytes | None = scope.get(EPOCH_SCOPE_KEY)  # type: ignore[assignment]
        if not self.enabled or epoch is None:
            return await fetch()
        cached: T | None = self._entries.get(key, epoch)
        if cached is not None:
            return cached
        value = await fetch()
        self._entries.put(key, epoch, value)
        return value


def epoch_bump_middleware(redis_of: Callable[[Scope], Redis]) -> Callable[[ASGIApp], ASGIApp]:
    """ASGI middleware: bump the epoch before a successful identity mutation's response starts.

    Bumping before the first byte (not after the response) matters: a client that fires its next
    request the moment it sees the answer must already hit the new epoch on every replica. Client
    errors (4xx) changed nothing and do not bump; anything else does, erring towards a refetch.
    """

    def middleware(app: ASGIApp) -> ASGIApp:
        async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
            # Only HTTP scopes carry a method, so websockets and lifespan pass straight through.
            if scope.get("method") not in MUTATING_METHODS or not scope["path"].startswith(IDENTITY_PATHS):
                await app(scope, receive, send)
                return

            async def send_after_bump(message: Message) -> None:
                if message["type"] == "http.response.start" and not 400 <= message["status"] < 500:
                    await bump_epoch(redis_of(scope))
                await send(message)

            await app(scope, receive, send_after_bump)

        return wrapped

    return middleware


__all__ = ["EPOCH_SCOPE_KEY", "IDENTITY_PATHS", "ReadCache", "epoch_bump_middleware"]
