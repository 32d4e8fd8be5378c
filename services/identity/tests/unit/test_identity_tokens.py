"""Token signing without I/O: JWT claims, expiry on an injected clock (key sealing: libs/signing)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from switchyard.grpckit.errors import Unauthenticated
from switchyard.identity.domain.tokens.issuer import TokenIssuer
from switchyard.signing import generate

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def test_refresh_tokens_expire_on_the_injected_clock() -> None:
    clock = Clock()
    issuer = TokenIssuer(
        keys=[generate()], clock=clock, access_ttl=timedelta(minutes=60), refresh_ttl=timedelta(days=30)
    )
    user, family = uuid.uuid4(), uuid.uuid4()
    refresh = issuer.issue_refresh(user_id=user, family_id=family)
    claims = issuer.verify_refresh(refresh.token)
    assert (claims.user_id, claims.family_id, claims.jti) == (user, family, refresh.jti)
    access = issuer.issue_access(user_id=user)
    with pytest.raises(Unauthenticated):
        issuer.verify_refresh(access.token)
    assert issuer.decode_access(access.token)["typ"] == "access"
    clock.now += timedelta(days=30, seconds=1)
    with pytest.raises(Unauthenticated, match="refresh token expired"):
        issuer.verify_refresh(refresh.token)


def test_tokens_from_unknown_keys_are_refused() -> None:
    clock = Clock()
    ours = TokenIssuer(keys=[generate()], clock=clock, access_ttl=timedelta(1), refresh_ttl=timedelta(1))
    theirs = TokenIssuer(keys=[generate()], clock=clock, access_ttl=timedelta(1), refresh_ttl=timedelta(1))
    token = theirs.issue_refresh(user_id=uuid.uuid4(), family_id=uuid.uuid4()).token
    with pytest.raises(Unauthenticated):
        ours.verify_refresh(token)
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA"
