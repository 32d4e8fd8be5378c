"""Runtime JWTs: verified locally with fixed issuer/audience, expiry told apart, claims mapped."""

from __future__ import annotations

import base64
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from switchyard.gateway.auth.runtime_tokens import (
    RUNTIME_TOKEN_AUDIENCE,
    RUNTIME_TOKEN_ISSUER,
    runtime_token_verifier,
)
from switchyard.gateway.auth.tokens import InvalidToken, TokenExpired
from switchyard.gateway.auth.workers import is_runtime_token
from switchyard.workers.v1 import workers_pb2, workers_service_pb2

pytestmark = pytest.mark.unit


class _WorkerKeys:
    """A local EdDSA key published the way the workers service publishes its JWKS."""

    def __init__(self) -> None:
        self.private = Ed25519PrivateKey.generate()
        raw = self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    async def fetch(self) -> workers_service_pb2.GetJwksResponse:
        jwk = workers_pb2.Jwk(kid="w1", kty="OKP", crv="Ed25519", x=self.x, alg="EdDSA", use="sig")
        return workers_service_pb2.GetJwksResponse(keys=[jwk], issuer="ignored", audience="ignored")

    def token(self, **overrides: Any) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": RUNTIME_TOKEN_ISSUER,
            "aud": RUNTIME_TOKEN_AUDIENCE,
            "jti": "jti-1",
            "sub": "wkr_0123456789abcdef",
            "org": "org-1",
            "proj": "*",
            "reg": "key-1",
            "scope": ["worker:poll", "worker:heartbeat"],
            "iat": now,
            "exp": now + 60,
        }
        claims.update(overrides)
        return jwt.encode(claims, self.private, algorithm="EdDSA", headers={"kid": "w1"})


async def test_runtime_token_claims_are_mapped() -> None:
    keys = _WorkerKeys()
    verifier = runtime_token_verifier(keys.fetch, min_refresh_seconds=30)
    claims = await verifier.verify(keys.token())
    assert (claims.worker_id, claims.org_id, claims.project_ids) == ("wkr_0123456789abcdef", "org-1", ("*",))
    assert (claims.registration_id, claims.scopes, claims.token_id) == (
        "key-1",
        ("worker:poll", "worker:heartbeat"),
        "jti-1",
    )
    scoped = await verifier.verify(keys.token(proj=["p1", "p2"], jti="jti-2"))
    assert scoped.project_ids == ("p1", "p2")


async def test_expiry_is_told_apart_from_forgery() -> None:
    keys = _WorkerKeys()
    verifier = runtime_token_verifier(keys.fetch, min_refresh_seconds=30)
    with pytest.raises(TokenExpired):
        await verifier.verify(keys.token(exp=int(time.time()) - 5))
    # A forged or foreign token is invalid, never "expired", even when its exp has passed.
    for bad in (
        _WorkerKeys().token(exp=int(time.time()) - 5),
        keys.token(aud="switchyard-api"),
        keys.token(iss="switchyard-identity"),
        keys.token(proj=7),
        jwt.encode({"x": 1}, keys.private, algorithm="EdDSA", headers={"kid": "w1"}),
    ):
        with pytest.raises(InvalidToken) as info:
            await verifier.verify(bad)
        assert not isinstance(info.value, TokenExpired)


def test_runtime_tokens_are_recognised_by_issuer_only() -> None:
    keys = _WorkerKeys()
    assert is_runtime_token(keys.token())
    assert not is_runtime_token(keys.token(iss="switchyard-identity"))
    for other in ("rsk_live_" + "0" * 64, "not.a.jwt", "a.b", ""):
        assert not is_runtime_token(other)
