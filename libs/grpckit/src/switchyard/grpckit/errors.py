"""Domain exceptions shared by every service.

This module deliberately imports nothing from grpc: a service's ``domain/`` raises these, and only
``switchyard.grpckit.interceptors`` turns them into gRPC status codes (one table, ``GRPC_CODES``).
The gateway turns codes back into HTTP statuses with the body ``{"error": message, **fields}``.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """Base of every expected failure; its message is safe to show to the caller.

    Args:
        message: Human sentence naming what is wrong (e.g. the bad field).
        fields: Extra top-level fields for the error body that a seed names
            (e.g. ``{"reason": "already_delivered"}``). JSON-serialisable values only.
        http_status: Overrides the gateway's code→status table for statuses gRPC has no
            code for (423 Locked, 402 Payment Required).
        retry_after: Seconds a client should wait; becomes a ``Retry-After`` header.
    """

    code: ClassVar[str] = "INTERNAL"

    def __init__(
        self,
        message: str,
        *,
        fields: dict[str, Any] | None = None,
        http_status: int | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})
        self.http_status = http_status
        self.retry_after = retry_after


class InvalidArgument(DomainError):
    """The request is malformed or a field is invalid (HTTP 400)."""

    code = "INVALID_ARGUMENT"


class Unauthenticated(DomainError):
    """No valid credentials (HTTP 401)."""

    code = "UNAUTHENTICATED"


class PermissionDenied(DomainError):
    """Authenticated but not allowed (HTTP 403)."""

    code = "PERMISSION_DENIED"


class NotFound(DomainError):
    """The thing does not exist, or belongs to another tenant (HTTP 404)."""

    code = "NOT_FOUND"


class AlreadyExists(DomainError):
    """A unique thing already exists (HTTP 409)."""

    code = "ALREADY_EXISTS"


class Conflict(DomainError):
    """The state does not allow this now (HTTP 409)."""

    code = "FAILED_PRECONDITION"


class TooManyRequests(DomainError):
    """A rate or quota limit was hit (HTTP 429)."""

    code = "RESOURCE_EXHAUSTED"


class Unavailable(DomainError):
    """A dependency is down; retrying later may work (HTTP 503)."""

    code = "UNAVAILABLE"


__all__ = [
    "AlreadyExists",
    "Conflict",
    "DomainError",
    "InvalidArgument",
    "NotFound",
    "PermissionDenied",
    "TooManyRequests",
    "Unauthenticated",
    "Unavailable",
]
