"""Stateless install tokens: ``sit_<base64url(payload)>.<base64url(HMAC-SHA256)>`` (no I/O).

The payload is compact JSON ``{v, org, op, name, iat, exp, nonce}``. Nothing is stored when a token is
minted; registration remembers the nonce only until ``exp`` so a token registers one server at most.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

from switchyard.grpckit.errors import Unauthenticated

PREFIX = "sit_"
VERSION = 1
INVALID = "invalid install token"
EXPIRED = "install token expired"
# The MAC covers the prefix too, so a payload signed for another token kind never verifies as this one.
_DOMAIN = b"switchyard-agents/install-token/v1:"


@dataclass(frozen=True, slots=True)
class InstallClaims:
    """What an install token says: who minted it for which org, its name and its lifetime."""

    org: str
    op: str
    name: str
    iat: int
    exp: int
    nonce: str

    @property
    def ttl_seconds(self) -> int:
        """The lifetime it was minted with."""
        return self.exp - self.iat


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, body: str) -> bytes:
    return hmac.new(key, _DOMAIN + body.encode(), hashlib.sha256).digest()


def mint(
    *, key: bytes, org: str, op: str, name: str, iat: int, ttl_seconds: int
) -> tuple[str, InstallClaims]:
    """Sign a fresh token.

    Args:
        key: The HMAC key (``install_token_key``).
        org: The org the server will belong to.
        op: The operator (user id) who minted it.
        name: The server name to register with ("" = its hostname).
        iat: Issue time, epoch seconds.
        ttl_seconds: Lifetime in seconds.

    Returns:
        The token and its claims.
    """
    claims = InstallClaims(
        org=org, op=op, name=name, iat=iat, exp=iat + ttl_seconds, nonce=secrets.token_hex(16)
    )
    payload = {
        "v": VERSION,
        "org": org,
        "op": op,
        "name": name,
        "iat": claims.iat,
        "exp": claims.exp,
        "nonce": claims.nonce,
    }
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    return f"{PREFIX}{body}.{_b64(_mac(key, body))}", claims


def _claims(payload: Any) -> InstallClaims:
    if not isinstance(payload, dict) or payload.get("v") != VERSION:
        raise Unauthenticated(INVALID)
    strings = [payload.get(name) for name in ("org", "op", "name", "nonce")]
    numbers = [payload.get(name) for name in ("iat", "exp")]
    if not all(isinstance(value, str) for value in strings) or not all(
        isinstance(value, int) and not isinstance(value, bool) for value in numbers
    ):
        raise Unauthenticated(INVALID)
    org, op, name, nonce = (str(value) for value in strings)
    if not org or not nonce:
        raise Unauthenticated(INVALID)
    return InstallClaims(
        org=org, op=op, name=name, iat=int(payload["iat"]), exp=int(payload["exp"]), nonce=nonce
    )


def verify_signature(token: str, *, key: bytes) -> InstallClaims:
    """The claims of a token whose MAC is valid, expired or not.

    Raises:
        Unauthenticated: The token is malformed or its MAC does not match (compared in constant time).
    """
    if not token.startswith(PREFIX) or token.count(".") != 1:
        raise Unauthenticated(INVALID)
    body, _, mac = token[len(PREFIX) :].partition(".")
    try:
        presented = _unb64(mac)
        if not hmac.compare_digest(presented, _mac(key, body)):
            raise Unauthenticated(INVALID)
        payload = json.loads(_unb64(body))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise Unauthenticated(INVALID) from exc
    return _claims(payload)


def verify(token: str, *, key: bytes, now: int) -> InstallClaims:
    """The claims of a valid, unexpired token.

    Raises:
        Unauthenticated: Malformed, forged, or expired (``install token expired``).
    """
    claims = verify_signature(token, key=key)
    if claims.exp <= now:
        raise Unauthenticated(EXPIRED)
    return claims
