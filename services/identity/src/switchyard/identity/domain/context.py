"""The collaborators every domain service gets from the composition root."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from switchyard.grpckit.errors import PermissionDenied, Unauthenticated
from switchyard.grpckit.principal import SERVICE, Principal
from switchyard.identity.domain.common import Clock
from switchyard.identity.domain.ports import EventSink, Mailer, RateLimiter
from switchyard.identity.domain.tokens.issuer import TokenIssuer


@dataclass(frozen=True, slots=True)
class Deps:
    """Database sessions, the clock and the ports; one instance per running server."""

    sessions: async_sessionmaker[AsyncSession]
    # Autocommit sessions for single-query reads on hot paths (no BEGIN/ROLLBACK round trips).
    reads: async_sessionmaker[AsyncSession]
    clock: Clock
    tokens: TokenIssuer
    events: EventSink
    mailer: Mailer
    limiter: RateLimiter
    app_url: str


def caller_id(principal: Principal) -> uuid.UUID:
    """The calling user's id; anonymous or malformed principals are unauthenticated."""
    user_id = principal.require_user()
    try:
        return uuid.UUID(user_id)
    except ValueError as exc:
        raise Unauthenticated("authentication required") from exc


def require_service(principal: Principal) -> None:
    """Only the gateway (or another service) may call the credential-resolving RPCs."""
    if principal.kind != SERVICE:
        raise PermissionDenied("only services may call this method")
