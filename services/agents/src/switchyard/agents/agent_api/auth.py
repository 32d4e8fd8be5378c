"""Agent authentication: ``authorization: Bearer <agent secret>`` + ``server-id`` on every call.

Kept apart from grpckit's principal interceptor: real agents send no signed principal. A verified
(server, secret hash) pair is cached in process for a few seconds so a heartbeat does not cost a
query, and the cache entry of a server is dropped when it is force-disconnected, so a revocation
bites at once on the replica that hears of it and within ``ttl`` seconds everywhere else. While the
server's command stream is open on this replica its entry does not age out (the ACK of every command
would otherwise cost a query): revocation closes that stream through the same forced disconnect,
which drops the entry first.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

import grpc
import grpc.aio
from switchyard.agents.domain.agent.service import AgentIdentity
from switchyard.grpckit.errors import Unauthenticated
from switchyard.grpckit.interceptors import UNGUARDED_PREFIXES, Continuation, wrap_handler
from switchyard.obs import get_logger

log = get_logger(__name__)

AUTHORIZATION_KEY = "authorization"
SERVER_ID_KEY = "server-id"
REFUSED = "invalid agent credentials"
CACHE_SECONDS = 5.0
CACHE_MAX = 200_000

current_agent: ContextVar[AgentIdentity | None] = ContextVar("current_agent", default=None)

Authenticate = Callable[..., Awaitable[AgentIdentity | None]]


def require_agent() -> AgentIdentity:
    """The authenticated agent of the call (the interceptor guarantees one)."""
    agent = current_agent.get()
    if agent is None:
        raise Unauthenticated(REFUSED)
    return agent


class AuthCache:
    """Positive verifications per server, for at most ``ttl`` seconds."""

    def __init__(self, ttl: float = CACHE_SECONDS) -> None:
        self._ttl = ttl
        self._entries: dict[str, tuple[str, AgentIdentity, float]] = {}
        self._pinned: dict[str, int] = {}

    def get(self, server_id: str, digest: str) -> AgentIdentity | None:
        """The cached identity when this exact secret was verified recently (or its stream is open)."""
        entry = self._entries.get(server_id)
        if entry is None or entry[0] != digest:
            return None
        if entry[2] < time.monotonic() and server_id not in self._pinned:
            return None
        return entry[1]

    def pin(self, server_id: str) -> None:
        """A stream of the server opened here: its entry stays valid until ``unpin`` or ``evict``."""
        self._pinned[server_id] = self._pinned.get(server_id, 0) + 1

    def unpin(self, server_id: str) -> None:
        """One stream of the server ended here."""
        left = self._pinned.get(server_id, 0) - 1
        if left > 0:
            self._pinned[server_id] = left
        else:
            self._pinned.pop(server_id, None)

    def put(self, server_id: str, digest: str, agent: AgentIdentity) -> None:
        """Remember a positive verification."""
        if len(self._entries) >= CACHE_MAX:
            self._entries = {sid: entry for sid, entry in self._entries.items() if sid in self._pinned}
        self._entries[server_id] = (digest, agent, time.monotonic() + self._ttl)

    def evict(self, server_id: str) -> None:
        """Forget the server (credentials revoked, server deleted, stream force-closed)."""
        self._entries.pop(server_id, None)


def _metadata(details: grpc.HandlerCallDetails, key: str) -> str:
    for item_key, value in details.invocation_metadata or ():
        if item_key == key:
            return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return ""


def _secret(header: str) -> str:
    scheme, _, value = header.strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


class AgentAuthInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Refuses every agent.v1 call without a valid secret for its ``server-id`` (UNAUTHENTICATED)."""

    def __init__(self, authenticate: Authenticate, cache: AuthCache) -> None:
        """Create the interceptor.

        Args:
            authenticate: ``(server_id=, secret=) -> AgentIdentity | None`` (checks PostgreSQL).
            cache: Recent positive verifications.
        """
        self._authenticate = authenticate
        self._cache = cache

    async def _verify(self, server_id: str, secret: str) -> tuple[AgentIdentity | None, grpc.StatusCode]:
        if not server_id or not secret:
            return None, grpc.StatusCode.UNAUTHENTICATED
        digest = hashlib.sha256(secret.encode()).hexdigest()
        cached = self._cache.get(server_id, digest)
        if cached is not None:
            return cached, grpc.StatusCode.OK
        try:
            agent = await self._authenticate(server_id=server_id, secret=secret)
        except Exception:
            log.warning("agent authentication unavailable", exc_info=True)
            return None, grpc.StatusCode.UNAVAILABLE
        if agent is None:
            return None, grpc.StatusCode.UNAUTHENTICATED
        self._cache.put(server_id, digest, agent)
        return agent, grpc.StatusCode.OK

    async def intercept_service(
        self, continuation: Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler | None:
        """Verify the metadata once, then run the handler with ``current_agent`` set."""
        handler = await continuation(handler_call_details)
        if handler is None or handler_call_details.method.startswith(UNGUARDED_PREFIXES):
            return handler
        server_id = _metadata(handler_call_details, SERVER_ID_KEY).strip()
        secret = _secret(_metadata(handler_call_details, AUTHORIZATION_KEY))
        agent, code = await self._verify(server_id, secret)

        @asynccontextmanager
        async def guard(context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[None]:
            if agent is None:
                message = REFUSED if code == grpc.StatusCode.UNAUTHENTICATED else "try again later"
                await context.abort(code, message)
                return
            token = current_agent.set(agent)
            try:
                yield
            finally:
                with contextlib.suppress(ValueError):
                    current_agent.reset(token)

        return wrap_handler(handler, guard)
