"""Pure parts of auth: bearer parsing, epoch-tagged cache, local JWT verification, settings parsing."""

from __future__ import annotations

import base64
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from switchyard.gateway.auth import tokens
from switchyard.gateway.auth.callers import bearer_token
from switchyard.gateway.auth.epoch import EpochCache
from switchyard.gateway.auth.tokens import InvalidToken, TokenVerifier
from switchyard.gateway.config import Settings
from switchyard.gateway.errors import GatewayError
from switchyard.identity.v1 import identity_pb2, identity_service_pb2

pytestmark = pytest.mark.unit


def test_bearer_token_parsing() -> None:
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("bearer  lsk_x ") == "lsk_x"
    for bad in (None, "", "Basic abc", "Bearer", "Bearer   "):
        with pytest.raises(GatewayError) as info:
            bearer_token(bad)
        assert (info.value.status, info.value.message) == (401, "authentication required")


def test_epoch_cache_drops_entries_of_an_older_epoch_or_age() -> None:
    cache: EpochCache[str] = EpochCache(max_age_seconds=60, max_entries=2)
    cache.put("k", b"1", "v")
    assert cache.get("k", b"1") == "v"
    assert cache.get("k", b"2") is None
    assert cache.get("k", b"1") is None  # dropped, not resurrected by the old epoch
    cache.put("a", b"1", "A")
    cache.put("b", b"1", "B")
    cache.put("c", b"1", "C")
    assert (cache.get("a", b"1"), cache.get("c", b"1")) == (None, "C")
    expired: EpochCache[str] = EpochCache(max_age_seconds=0)
    expired.put("k", b"1", "v")
    time.sleep(0.001)
    assert expired.get("k", b"1") is None


class _Keys:
    """A local EdDSA key published as identity publishes its JWKS."""

    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.private = Ed25519PrivateKey.generate()
        raw = self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        self.fetches = 0

    async def fetch(self) -> identity_service_pb2.GetJwksResponse:
        self.fetches += 1
        jwk = identity_pb2.Jwk(kid=self.kid, kty="OKP", crv="Ed25519", x=self.x, alg="EdDSA", use="sig")
        return identity_service_pb2.GetJwksResponse(keys=[jwk], issuer="iss", audience="aud")

    def token(self, **overrides: Any) -> str:
        claims = {
            "iss": "iss",
            "aud": "aud",
            "sub": "u1",
            "jti": "j1",
            "exp": int(time.time()) + 60,
            "typ": "access",
        }
        claims.update(overrides)
        kid = claims.pop("kid", self.kid)
        return jwt.encode(claims, self.private, algorithm="EdDSA", headers={"kid": kid})


async def test_verifier_accepts_access_tokens_only() -> None:
    keys = _Keys("k1")
    verifier = TokenVerifier(keys.fetch, min_refresh_seconds=30)
    assert await verifier.refresh()
    claims = await verifier.verify(keys.token())
    assert (claims.user_id, claims.token_id) == ("u1", "j1")
    for bad in (
        keys.token(typ="refresh"),
        keys.token(exp=int(time.time()) - 5),
        keys.token(aud="other"),
        keys.token(iss="other"),
        _Keys("k1").token(),  # right kid, wrong key
        "not-a-jwt",
    ):
        with pytest.raises(InvalidToken):
            await verifier.verify(bad)


async def test_unknown_kid_refetches_at_most_once_per_interval() -> None:
    keys = _Keys("k1")
    verifier = TokenVerifier(keys.fetch, min_refresh_seconds=3600)
    await verifier.refresh()
    for _ in range(3):
        with pytest.raises(InvalidToken):
            await verifier.verify(keys.token(kid="rotated"))
    assert keys.fetches == 1


async def test_a_failed_startup_fetch_does_not_lock_out_valid_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    """The gateway may start before identity: the first fetch fails, the next token must still pass."""
    keys = _Keys("k1")
    identity_up = False

    async def fetch() -> identity_service_pb2.GetJwksResponse:
        if not identity_up:
            raise ConnectionError("identity not serving yet")
        return await keys.fetch()

    monkeypatch.setattr(tokens, "FAILED_FETCH_RETRY_SECONDS", 0.0)
    verifier = TokenVerifier(fetch, min_refresh_seconds=3600)
    assert not await verifier.refresh()
    identity_up = True
    claims = await verifier.verify(keys.token())
    assert claims.user_id == "u1"
    assert keys.fetches == 1


def test_settings_parse_env_style_values() -> None:
    settings = Settings(principal_key="ab" * 32, cors_origins="http://a.example, http://b.example")
    assert settings.principal_key == bytes.fromhex("ab" * 32)
    assert settings.cors_origins == ("http://a.example", "http://b.example")
    assert (settings.identity_addr, settings.api_version, settings.auth_rate_limit_per_minute) == (
        "127.0.0.1:50051",
        "1.00",
        20,
    )
    with pytest.raises(ValueError, match="32 bytes"):
        Settings(principal_key=b"short")


async def test_a_remembered_token_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = _Keys("k1")
    verifier = TokenVerifier(keys.fetch, min_refresh_seconds=30)
    await verifier.refresh()
    token = keys.token(exp=int(time.time()) + 60)
    assert (await verifier.verify(token)).token_id == "j1"
    later = time.time() + 120
    monkeypatch.setattr(tokens.time, "time", lambda: later)
    with pytest.raises(InvalidToken):
        await verifier.verify(token)


async def test_a_retired_signing_key_stops_remembered_tokens() -> None:
    old, new = _Keys("k1"), _Keys("k2")
    current = old
    verifier = TokenVerifier(lambda: current.fetch(), min_refresh_seconds=0)
    await verifier.refresh()
    token = old.token()
    await verifier.verify(token)
    current = new
    await verifier.refresh()
    with pytest.raises(InvalidToken):
        await verifier.verify(token)
