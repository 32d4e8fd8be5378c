"""Signing and verifying worker runtime JWTs (EdDSA, ``kid`` header)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from switchyard.grpckit.errors import Unauthenticated
from switchyard.signing import KeyPair
from switchyard.workers.domain.common import ALL_PROJECTS, Clock

ISSUER = "switchyard-workers"
AUDIENCE = "switchyard-worker"
# What a runtime JWT lets a worker do; registration stays with the org key.
RUNTIME_SCOPES = ("worker:heartbeat", "worker:poll", "worker:session")


@dataclass(frozen=True, slots=True)
class RuntimeToken:
    """A signed runtime JWT and when it expires."""

    token: str
    jti: str
    expires_at: datetime


class RuntimeTokenIssuer:
    """Signs with the newest key that has a private half; verifies with any known key by ``kid``."""

    def __init__(self, *, keys: list[KeyPair], clock: Clock, ttl: timedelta) -> None:
        signers = [k for k in keys if k.private is not None]
        if not signers:
            raise ValueError("no signing key")
        self._signer = signers[0]
        self._keys = {k.kid: k for k in keys}
        self._clock = clock
        self.ttl = ttl

    @property
    def keys(self) -> list[KeyPair]:
        """Every key that may have signed a live token."""
        return list(self._keys.values())

    def issue(
        self, *, worker_id: str, org_id: str, project_ids: tuple[str, ...], registration_key_id: str
    ) -> RuntimeToken:
        """A runtime JWT for ``worker_id``; ``proj`` is ``"*"`` for org-wide workers."""
        now = self._clock()
        exp = (now + self.ttl).replace(microsecond=0)
        jti = uuid.uuid4().hex
        proj: str | list[str] = (
            ALL_PROJECTS if not project_ids or ALL_PROJECTS in project_ids else list(project_ids)
        )
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "jti": jti,
            "sub": worker_id,
            "org": org_id,
            "proj": proj,
            "reg": registration_key_id,
            "scope": list(RUNTIME_SCOPES),
            "iat": int(now.timestamp()),
            "exp": int(exp.timestamp()),
        }
        private = self._signer.private
        assert private is not None  # guaranteed by __init__
        token = jwt.encode(claims, private, algorithm="EdDSA", headers={"kid": self._signer.kid})
        return RuntimeToken(token=token, jti=jti, expires_at=exp)

    def decode(self, token: str) -> dict[str, Any]:
        """Verify a runtime JWT (signature, issuer, audience, expiry on our clock) and return its claims."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            pair = self._keys.get(kid) if isinstance(kid, str) else None
            if pair is None:
                raise Unauthenticated("Invalid runtime token")
            claims: dict[str, Any] = jwt.decode(
                token,
                pair.public,
                algorithms=["EdDSA"],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"verify_exp": False, "verify_iat": False, "require": ["exp", "sub", "jti"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthenticated("Invalid runtime token") from exc
        if claims["exp"] <= self._clock().timestamp():
            raise Unauthenticated("Runtime token expired")
        return claims
