"""Identity's domain exceptions: the shared grpckit ones plus the few identity adds."""

from __future__ import annotations

from switchyard.grpckit.errors import (
    AlreadyExists,
    Conflict,
    DomainError,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    TooManyRequests,
    Unauthenticated,
    Unavailable,
)


class AccountLocked(PermissionDenied):
    """Too many failed logins; raised with ``http_status=423`` and ``retry_after`` seconds."""


__all__ = [
    "AccountLocked",
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
