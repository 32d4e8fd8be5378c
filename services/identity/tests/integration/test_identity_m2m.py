"""M2M clients and the client_credentials grant over real gRPC: management rules, tokens, revocation."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime

import grpc
import jwt
import pytest
from sqlalchemy import text
from switchyard.identity.v1 import identity_service_pb2 as svc

pytestmark = pytest.mark.integration

CLIENT_ID = re.compile(r"^m2m_[0-9a-f]{32}$")


def create(org_id: str, scopes=("workers:read", "sessions:write"), name: str = "ci bot"):
    return svc.CreateM2mClientRequest(org_id=org_id, name=name, scopes=list(scopes))


def grant(client_id: str, secret: str, grant_type: str = "client_credentials"):
    return svc.IssueM2mTokenRequest(grant_type=grant_type, client_id=client_id, client_secret=secret)


def error_fields(error: grpc.aio.AioRpcError) -> dict:
    metadata = dict(error.trailing_metadata() or ())
    return json.loads(metadata.get("x-error-fields", "{}"))


async def verify(identity, token: str) -> dict:
    """Verify a token exactly as the gateway does: with identity's published JWKS."""
    jwks = await identity.call("GetJwks", svc.GetJwksRequest(), identity.service())
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in jwks.keys if k.kid == kid)
    public = jwt.PyJWK({"kty": key.kty, "crv": key.crv, "x": key.x, "kid": key.kid, "alg": key.alg})
    return jwt.decode(token, public, algorithms=["EdDSA"], audience=jwks.audience, issuer=jwks.issuer)


async def test_client_lifecycle_issues_verifiable_tokens(identity, db) -> None:
    owner = await identity.register()
    me = identity.user(owner)
    created = await identity.call("CreateM2mClient", create(owner.tenant_id), me)
    client, secret = created.client, created.client_secret
    assert CLIENT_ID.match(client.client_id)
    assert secret.startswith("m2ms_")
    assert (client.org_id, client.name, list(client.scopes)) == (
        owner.tenant_id,
        "ci bot",
        ["workers:read", "sessions:write"],
    )
    assert (client.created_by, client.HasField("last_used_at")) == (owner.user_id, False)
    async with db.connect() as conn:
        stored = await conn.scalar(
            text("SELECT secret_hash FROM identity.m2m_clients WHERE id = :i"), {"i": client.client_id[4:]}
        )
    assert stored == hashlib.sha256(secret.encode()).hexdigest()

    before = int(datetime.now(UTC).timestamp())
    token = await identity.call("IssueM2mToken", grant(client.client_id, secret), identity.service())
    assert (token.client_id, token.org_id, list(token.scopes)) == (
        client.client_id,
        owner.tenant_id,
        ["workers:read", "sessions:write"],
    )
    assert token.expires_in_seconds == 3600
    claims = await verify(identity, token.access_token)
    assert claims["typ"] == "m2m"
    assert (claims["sub"], claims["org_id"], claims["scopes"]) == (
        client.client_id,
        owner.tenant_id,
        ["workers:read", "sessions:write"],
    )
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["iat"] >= before
    assert claims["exp"] == token.expires_at.seconds

    listed = await identity.call("ListM2mClients", svc.ListM2mClientsRequest(org_id=owner.tenant_id), me)
    assert [c.client_id for c in listed.clients] == [client.client_id]
    assert listed.clients[0].HasField("last_used_at")


async def test_revoked_client_gets_no_more_tokens(identity) -> None:
    owner = await identity.register()
    me = identity.user(owner)
    created = await identity.call("CreateM2mClient", create(owner.tenant_id, scopes=["*"]), me)
    client_id = created.client.client_id
    await identity.call("IssueM2mToken", grant(client_id, created.client_secret), identity.service())

    revoked_at = datetime.now(UTC).timestamp()
    revoke = svc.RevokeM2mClientRequest(org_id=owner.tenant_id, client_id=client_id)
    answer = await identity.call("RevokeM2mClient", revoke, me)
    # Tokens issued before the revocation verify until then; the gateway refuses them meanwhile.
    assert 3590 <= answer.tokens_valid_until.seconds - revoked_at <= 3610

    error = await identity.fails("IssueM2mToken", grant(client_id, created.client_secret), identity.service())
    assert (error.code(), error.details()) == (grpc.StatusCode.UNAUTHENTICATED, "invalid_client")
    again = await identity.fails("RevokeM2mClient", revoke, me)
    assert again.code() == grpc.StatusCode.NOT_FOUND
    listed = await identity.call("ListM2mClients", svc.ListM2mClientsRequest(org_id=owner.tenant_id), me)
    assert list(listed.clients) == []


async def test_grant_errors_use_oauth_codes_and_name_the_field(identity) -> None:
    owner = await identity.register()
    created = await identity.call("CreateM2mClient", create(owner.tenant_id), identity.user(owner))
    client_id, secret = created.client.client_id, created.client_secret
    cases = [
        (grant(client_id, secret, grant_type=""), grpc.StatusCode.INVALID_ARGUMENT, "invalid_request"),
        (
            grant(client_id, secret, grant_type="password"),
            grpc.StatusCode.INVALID_ARGUMENT,
            "unsupported_grant_type",
        ),
        (grant("", secret), grpc.StatusCode.INVALID_ARGUMENT, "invalid_request"),
        (grant(client_id, ""), grpc.StatusCode.INVALID_ARGUMENT, "invalid_request"),
        (grant(client_id, secret + "x"), grpc.StatusCode.UNAUTHENTICATED, "invalid_client"),
        (grant("m2m_" + "0" * 32, secret), grpc.StatusCode.UNAUTHENTICATED, "invalid_client"),
        (grant("not-a-client", secret), grpc.StatusCode.UNAUTHENTICATED, "invalid_client"),
    ]
    descriptions = []
    for request, code, message in cases:
        error = await identity.fails("IssueM2mToken", request, identity.service())
        assert (error.code(), error.details()) == (code, message)
        descriptions.append(error_fields(error)["error_description"])
    assert descriptions[0] == "grant_type is required"
    assert "client_credentials" in descriptions[1]
    assert descriptions[2:4] == ["client_id is required", "client_secret is required"]
    assert set(descriptions[4:]) == {"client authentication failed"}


async def test_only_services_exchange_credentials(identity) -> None:
    owner = await identity.register()
    me = identity.user(owner)
    created = await identity.call("CreateM2mClient", create(owner.tenant_id), me)
    error = await identity.fails("IssueM2mToken", grant(created.client.client_id, created.client_secret), me)
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_deactivated_org_clients_cannot_authenticate(identity, db) -> None:
    owner = await identity.register()
    created = await identity.call("CreateM2mClient", create(owner.tenant_id), identity.user(owner))
    async with db.begin() as conn:
        await conn.execute(
            text("UPDATE identity.tenants SET is_active = false WHERE id = :t"), {"t": owner.tenant_id}
        )
    error = await identity.fails(
        "IssueM2mToken", grant(created.client.client_id, created.client_secret), identity.service()
    )
    assert error.details() == "invalid_client"


async def test_only_owners_and_admins_of_the_org_manage_clients(identity, db) -> None:
    owner = await identity.register()
    member = await identity.register()
    stranger = await identity.register()
    async with db.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO identity.memberships (tenant_id, user_id, role, joined_at) "
                "VALUES (:t, :u, :r, now())"
            ),
            {"t": owner.tenant_id, "u": member.user_id, "r": "user"},
        )
    as_member = identity.user(member, tenant_id=owner.tenant_id)
    denied = await identity.fails("CreateM2mClient", create(owner.tenant_id), as_member)
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    denied = await identity.fails(
        "ListM2mClients", svc.ListM2mClientsRequest(org_id=owner.tenant_id), as_member
    )
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED

    as_stranger = identity.user(stranger, tenant_id=owner.tenant_id)
    hidden = await identity.fails("CreateM2mClient", create(owner.tenant_id), as_stranger)
    assert hidden.code() == grpc.StatusCode.NOT_FOUND

    created = await identity.call("CreateM2mClient", create(owner.tenant_id), identity.user(owner))
    # Another org's owner, naming this org or their own, cannot see or revoke the client.
    for principal, org in (
        (identity.user(stranger), owner.tenant_id),
        (identity.user(stranger), stranger.tenant_id),
    ):
        revoke = svc.RevokeM2mClientRequest(org_id=org, client_id=created.client.client_id)
        assert (
            await identity.fails("RevokeM2mClient", revoke, principal)
        ).code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize(
    ("name", "scopes", "message"),
    [
        ("bot", [], "scopes is required"),
        ("bot", ["workers:read", "admin"], "scopes contains an unknown scope: admin"),
        ("bot", ["worker:register"], "scopes contains an unknown scope: worker:register"),
        ("  ", ["*"], "name is required"),
    ],
)
async def test_create_validates_name_and_scopes(identity, name, scopes, message) -> None:
    owner = await identity.register()
    error = await identity.fails(
        "CreateM2mClient", create(owner.tenant_id, scopes=scopes, name=name), identity.user(owner)
    )
    assert (error.code(), error.details()) == (grpc.StatusCode.INVALID_ARGUMENT, message)
