"""Client id and secret formats, scope rules and the client_credentials grant, as pure functions.

Grant failures use the OAuth2 error codes (RFC 6749 §5.2) as the ``error`` message and name the
offending field in ``error_description``, so both OAuth clients and humans can read them.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from switchyard.grpckit.errors import InvalidArgument, Unauthenticated

CLIENT_PREFIX = "m2m_"
SECRET_PREFIX = "m2ms_"
GRANT_TYPE = "client_credentials"
KNOWN_SCOPES = frozenset(
    {"workers:read", "workers:write", "sessions:read", "sessions:write", "agents:read", "agents:write", "*"}
)
INVALID_CLIENT = "invalid_client"
_CLIENT_ID_RE = re.compile(r"^m2m_([0-9a-f]{32})$")
# Bounds a presented secret before hashing; real secrets are 69 characters.
SECRET_MAX = 256


@dataclass(frozen=True, slots=True)
class Grant:
    """A well-formed client_credentials grant (the credentials are not checked yet)."""

    client_uuid: uuid.UUID
    client_secret: str


def client_id_of(row_id: uuid.UUID) -> str:
    """The public client id of a client row: ``m2m_`` + 32 lower-case hex."""
    return CLIENT_PREFIX + row_id.hex


def parse_client_id(value: str) -> uuid.UUID | None:
    """The row id behind a public client id, or None when it is not one."""
    found = _CLIENT_ID_RE.match(value or "")
    return uuid.UUID(hex=found.group(1)) if found else None


def new_secret() -> tuple[str, str]:
    """A raw ``m2ms_`` secret (256 random bits as hex) and its stored SHA-256 hex."""
    raw = SECRET_PREFIX + secrets.token_hex(32)
    return raw, secret_hash(raw)


def secret_hash(raw: str) -> str:
    """The stored form of a secret; SHA-256 suffices for 256-bit random secrets (no guessing)."""
    return hashlib.sha256(raw.encode()).hexdigest()


def secret_matches(raw: str, stored_hash: str) -> bool:
    """Constant-time comparison of a presented secret with the stored hash."""
    return hmac.compare_digest(secret_hash(raw), stored_hash)


def scopes(values: Sequence[str]) -> tuple[str, ...]:
    """Validate requested scopes: a non-empty subset of ``KNOWN_SCOPES``, duplicates dropped."""
    if not values:
        raise InvalidArgument("scopes is required")
    clean: list[str] = []
    for scope in values:
        if scope not in KNOWN_SCOPES:
            raise InvalidArgument(f"scopes contains an unknown scope: {scope}")
        if scope not in clean:
            clean.append(scope)
    return tuple(clean)


def _invalid_request(description: str) -> InvalidArgument:
    return InvalidArgument("invalid_request", fields={"error_description": description})


def invalid_client() -> Unauthenticated:
    """The one answer to unknown, revoked or wrong credentials, so none can be told apart."""
    return Unauthenticated(INVALID_CLIENT, fields={"error_description": "client authentication failed"})


def grant(*, grant_type: str, client_id: str, client_secret: str) -> Grant:
    """Check a token request's shape: grant type first, then the client credentials."""
    if not grant_type:
        raise _invalid_request("grant_type is required")
    if grant_type != GRANT_TYPE:
        raise InvalidArgument(
            "unsupported_grant_type", fields={"error_description": f"grant_type must be {GRANT_TYPE}"}
        )
    if not client_id:
        raise _invalid_request("client_id is required")
    if not client_secret:
        raise _invalid_request("client_secret is required")
    client_uuid = parse_client_id(client_id)
    if client_uuid is None or len(client_secret) > SECRET_MAX:
        raise invalid_client()
    return Grant(client_uuid=client_uuid, client_secret=client_secret)
