"""M2M client rules without I/O: id and secret formats, scopes, the grant's shape, token claims."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from switchyard.grpckit.errors import InvalidArgument, Unauthenticated
from switchyard.identity.domain.m2m import rules
from switchyard.identity.domain.tokens.issuer import TokenIssuer
from switchyard.signing import generate

pytestmark = pytest.mark.unit


def test_client_ids_round_trip_and_reject_lookalikes() -> None:
    row_id = uuid.uuid4()
    client_id = rules.client_id_of(row_id)
    assert client_id == "m2m_" + row_id.hex
    assert rules.parse_client_id(client_id) == row_id
    for bad in ("", row_id.hex, "m2m_" + str(row_id), "m2m_" + row_id.hex.upper(), "M2M_" + row_id.hex):
        assert rules.parse_client_id(bad) is None


def test_secrets_are_random_and_only_their_hash_matches() -> None:
    raw, stored = rules.new_secret()
    other, _ = rules.new_secret()
    assert raw.startswith("m2ms_")
    assert len(raw) == 5 + 64
    assert raw != other
    assert raw not in stored
    assert rules.secret_matches(raw, stored)
    assert not rules.secret_matches(other, stored)


def test_scopes_are_deduplicated_in_order() -> None:
    assert rules.scopes(["sessions:read", "*", "sessions:read"]) == ("sessions:read", "*")
    with pytest.raises(InvalidArgument, match="unknown scope: org_keys:write"):
        rules.scopes(["org_keys:write"])


def test_grant_checks_type_before_credentials() -> None:
    with pytest.raises(InvalidArgument) as unsupported:
        rules.grant(grant_type="authorization_code", client_id="", client_secret="")
    assert unsupported.value.message == "unsupported_grant_type"
    with pytest.raises(Unauthenticated) as bad_client:
        rules.grant(grant_type="client_credentials", client_id="m2m_" + "a" * 32, client_secret="x" * 300)
    assert bad_client.value.message == "invalid_client"
    ok = rules.grant(grant_type="client_credentials", client_id="m2m_" + "a" * 32, client_secret="s")
    assert (ok.client_uuid, ok.client_secret) == (uuid.UUID(hex="a" * 32), "s")


def test_m2m_tokens_carry_org_scopes_and_their_own_lifetime() -> None:
    pair = generate()
    now = datetime.now(UTC)
    issuer = TokenIssuer(
        keys=[pair],
        clock=lambda: now,
        access_ttl=timedelta(minutes=5),
        refresh_ttl=timedelta(days=1),
        m2m_ttl=timedelta(seconds=90),
    )
    issued = issuer.issue_m2m(client_id="m2m_" + "b" * 32, org_id="org-1", scopes=["agents:read"])
    claims = jwt.decode(issued.token, pair.public, algorithms=["EdDSA"], audience="switchyard-api")
    assert (claims["sub"], claims["org_id"], claims["scopes"], claims["typ"]) == (
        "m2m_" + "b" * 32,
        "org-1",
        ["agents:read"],
        "m2m",
    )
    assert claims["exp"] - claims["iat"] == 90
    assert jwt.get_unverified_header(issued.token)["kid"] == pair.kid
