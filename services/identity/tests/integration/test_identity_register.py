"""Register over real gRPC: personal tenant, validation, duplicates, mail, JWKS-verifiable tokens."""

from __future__ import annotations

import grpc
import jwt
import pytest
from switchyard.identity.v1 import identity_pb2 as pb
from switchyard.identity.v1 import identity_service_pb2 as svc

pytestmark = pytest.mark.integration

PASSWORD = "correct-horse-battery"


async def test_register_creates_user_personal_tenant_and_tokens(identity, smtp_sink) -> None:
    email = identity.email("Jane")
    response = await identity.call(
        "Register",
        svc.RegisterRequest(email=f"  {email.upper()} ", password=PASSWORD, display_name="Jane Doe"),
    )
    assert response.user.email == email.lower()
    assert response.user.display_name == "Jane Doe"
    assert response.user.email_verified is False
    assert response.user.is_active is True
    assert [m.provider for m in response.user.auth_methods] == ["password"]
    assert len(response.memberships) == 1
    personal = response.memberships[0]
    assert personal.tenant_name == "Jane's Team"
    assert personal.tenant_slug.startswith("janes-team")
    assert personal.role == pb.ROLE_OWNER
    assert personal.is_root is False

    mail = await smtp_sink.wait_for(to=email.lower(), subject_contains="Verify your email")
    token = identity.token_from(mail)
    assert f"http://app.test/verify-email?token={token}" in mail.get_content()


async def test_tokens_verify_against_jwks(identity) -> None:
    account = await identity.register()
    jwks = await identity.call("GetJwks", svc.GetJwksRequest(), identity.service())
    assert jwks.issuer == "switchyard-identity"
    assert jwks.audience == "switchyard-api"
    header = jwt.get_unverified_header(account.access_token)
    assert header["alg"] == "EdDSA"
    key = next(k for k in jwks.keys if k.kid == header["kid"])
    assert (key.kty, key.crv, key.alg) == ("OKP", "Ed25519", "EdDSA")
    public = jwt.PyJWK({"kty": key.kty, "crv": key.crv, "x": key.x, "kid": key.kid}, algorithm="EdDSA")
    claims = jwt.decode(
        account.access_token, public, algorithms=["EdDSA"], audience=jwks.audience, issuer=jwks.issuer
    )
    assert claims["sub"] == account.user_id
    assert claims["typ"] == "access"
    assert {"jti", "iat", "exp"} <= claims.keys()
    refresh = jwt.decode(
        account.refresh_token, public, algorithms=["EdDSA"], audience=jwks.audience, issuer=jwks.issuer
    )
    assert refresh["typ"] == "refresh"
    assert refresh["fam"]


async def test_jwks_requires_a_service_principal(identity) -> None:
    account = await identity.register()
    error = await identity.fails("GetJwks", svc.GetJwksRequest(), identity.user(account))
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    error = await identity.fails("GetJwks", svc.GetJwksRequest())
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_duplicate_email_is_already_exists(identity) -> None:
    account = await identity.register()
    error = await identity.fails(
        "Register",
        svc.RegisterRequest(email=account.email.upper(), password=PASSWORD, display_name="Again"),
    )
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS
    assert error.details() == "email already registered"


async def test_slug_collisions_get_a_numeric_suffix(identity) -> None:
    name = f"Zed{identity.email()[5:13]} Person"
    first = await identity.register(name=name)
    second = await identity.register(name=name)
    base = first.response.memberships[0].tenant_slug
    assert second.response.memberships[0].tenant_slug == f"{base}-2"


@pytest.mark.parametrize(
    ("email", "password", "name", "message"),
    [
        ("", PASSWORD, "A", "email is required"),
        ("not-an-email", PASSWORD, "A", "email is not a valid email address"),
        ("a" * 250 + "@x.io", PASSWORD, "A", "email must be at most 254 characters"),
        (None, "short", "A", "password must be at least 8 characters"),
        (None, "p" * 129, "A", "password must be at most 128 characters"),
        (None, PASSWORD, "   ", "displayName is required"),
        (None, PASSWORD, "n" * 101, "displayName must be at most 100 characters"),
    ],
)
async def test_register_validation_names_the_field(identity, email, password, name, message) -> None:
    request = svc.RegisterRequest(
        email=identity.email() if email is None else email, password=password, display_name=name
    )
    error = await identity.fails("Register", request)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details() == message
