"""Signing and verifying the EdDSA JWTs identity issues."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from switchyard.grpckit.errors import Unauthenticated
from switchyard.identity.domain.common import Clock
from switchyard.signing import KeyPair

ISSUER = "switchyard-identity"
AUDIENCE = "switchyard-api"
ACCESS = "access"
REFRESH = "refresh"
M2M = "m2m"
DEFAULT_M2M_TTL = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A signed token with the claims callers need to store."""

    token: str
    jti: uuid.UUID
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class RefreshClaims:
    """The verified claims of a refresh token."""

    jti: uuid.UUID
    user_id: uuid.UUID
    family_id: uuid.UUID


class TokenIssuer:
    """Signs with the active key; verifies with any known key, picked by ``kid``."""

    def __init__(
        self,
        *,
        keys: list[KeyPair],
        clock: Clock,
        access_ttl: timedelta,
        refresh_ttl: timedelta,
        m2m_ttl: timedelta = DEFAULT_M2M_TTL,
    ) -> None:
        signers = [k for k in keys if k.private is not None]
        if not signers:
            raise ValueError("no signing key")
        self._signer = signers[0]
        self._keys = {k.kid: k for k in keys}
        self._clock = clock
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self.m2m_ttl = m2m_ttl

    @property
    def keys(self) -> list[KeyPair]:
        """Every key that may have signed a live token."""
        return list(self._keys.values())

    def _sign(self, claims: dict[str, Any]) -> str:
        private = self._signer.private
        assert private is not None  # guaranteed by __init__
        return jwt.encode(claims, private, algorithm="EdDSA", headers={"kid": self._signer.kid})

    def _claims(self, *, subject: str, typ: str, ttl: timedelta) -> tuple[dict[str, Any], IssuedToken]:
        now = self._clock()
        jti = uuid.uuid4()
        exp = now + ttl
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": subject,
            "jti": str(jti),
            "iat": int(now.timestamp()),
            "exp": int(exp.timestamp()),
            "typ": typ,
        }
        return claims, IssuedToken(token="", jti=jti, expires_at=exp.replace(microsecond=0))

    def issue_access(self, *, user_id: uuid.UUID) -> IssuedToken:
        """A signed access token for ``user_id``."""
        claims, issued = self._claims(subject=str(user_id), typ=ACCESS, ttl=self.access_ttl)
        return IssuedToken(token=self._sign(claims), jti=issued.jti, expires_at=issued.expires_at)

    def issue_refresh(self, *, user_id: uuid.UUID, family_id: uuid.UUID) -> IssuedToken:
        """A signed refresh token in rotation family ``family_id``."""
        claims, issued = self._claims(subject=str(user_id), typ=REFRESH, ttl=self.refresh_ttl)
        claims["fam"] = str(family_id)
        return IssuedToken(token=self._sign(claims), jti=issued.jti, expires_at=issued.expires_at)

    def issue_m2m(self, *, client_id: str, org_id: str, scopes: Sequence[str]) -> IssuedToken:
        """A signed M2M access token: ``sub`` is the client id, ``org_id`` and ``scopes`` what it may do."""
        claims, issued = self._claims(subject=client_id, typ=M2M, ttl=self.m2m_ttl)
        claims["org_id"] = org_id
        claims["scopes"] = list(scopes)
        return IssuedToken(token=self._sign(claims), jti=issued.jti, expires_at=issued.expires_at)

    def verify_refresh(self, token: str) -> RefreshClaims:
        """Verify a refresh token's signature, issuer, audience, type and expiry (on our clock)."""
        claims = self._decode(token, what="refresh token")
        if claims.get("typ") != REFRESH:
            raise Unauthenticated("invalid refresh token")
        try:
            return RefreshClaims(
                jti=uuid.UUID(claims["jti"]),
                user_id=uuid.UUID(claims["sub"]),
                family_id=uuid.UUID(claims["fam"]),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise Unauthenticated("invalid refresh token") from exc

    def decode_access(self, token: str) -> dict[str, Any]:
        """Verify an access token and return its claims (used by tests and tools)."""
        claims = self._decode(token, what="access token")
        if claims.get("typ") != ACCESS:
            raise Unauthenticated("invalid access token")
        return claims

    def _decode(self, token: str, *, what: str) -> dict[str, Any]:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            pair = self._keys.get(kid) if isinstance(kid, str) else None
            if pair is None:
                raise Unauthenticated(f"invalid {what}")
            # Expiry is checked against the injected clock below, so tests can move time.
            claims: dict[str, Any] = jwt.decode(
                token,
                pair.public,
                algorithms=["EdDSA"],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"verify_exp": False, "verify_iat": False, "require": ["exp", "sub", "jti"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"invalid {what}") from exc
        if claims["exp"] <= self._clock().timestamp():
            raise Unauthenticated(f"{what} expired")
        return claims
