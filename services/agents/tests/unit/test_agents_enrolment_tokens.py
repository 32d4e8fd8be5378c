"""Install tokens and enrolment rules, without I/O."""

from __future__ import annotations

import base64
import json

import pytest
from switchyard.agents.domain.enrolment import rules, tokens
from switchyard.grpckit.errors import InvalidArgument, PermissionDenied, Unauthenticated
from switchyard.grpckit.principal import Principal

pytestmark = pytest.mark.unit

KEY = b"k" * 32


def test_a_minted_token_verifies_and_carries_its_claims() -> None:
    token, claims = tokens.mint(key=KEY, org="org-1", op="user-1", name="web", iat=1000, ttl_seconds=600)
    assert token.startswith("sit_")
    assert tokens.verify(token, key=KEY, now=1599) == claims
    assert (claims.org, claims.op, claims.name, claims.exp, claims.ttl_seconds) == (
        "org-1",
        "user-1",
        "web",
        1600,
        600,
    )
    payload = json.loads(base64.urlsafe_b64decode(token[4:].split(".")[0] + "=="))
    assert set(payload) == {"v", "org", "op", "name", "iat", "exp", "nonce"}
    other, _ = tokens.mint(key=KEY, org="org-1", op="user-1", name="web", iat=1000, ttl_seconds=600)
    assert other != token  # a fresh nonce each time


def test_expired_tokens_keep_a_valid_signature_but_do_not_verify() -> None:
    token, claims = tokens.mint(key=KEY, org="o", op="u", name="", iat=1000, ttl_seconds=60)
    with pytest.raises(Unauthenticated, match="install token expired"):
        tokens.verify(token, key=KEY, now=1060)
    assert tokens.verify_signature(token, key=KEY) == claims


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t.replace("sit_", "sat_"),
        lambda t: t[:-2],
        lambda t: t + ".x",
        lambda t: "sit_" + base64.urlsafe_b64encode(b'{"v":1}').decode().rstrip("=") + "." + t.split(".")[1],
        lambda t: "sit_%%%.%%%",
        lambda t: "sit_é.é",
    ],
)
def test_tampered_tokens_are_invalid(mangle) -> None:
    token, _ = tokens.mint(key=KEY, org="o", op="u", name="", iat=1000, ttl_seconds=60)
    with pytest.raises(Unauthenticated, match="invalid install token"):
        tokens.verify_signature(mangle(token), key=KEY)


def test_another_key_does_not_verify() -> None:
    token, _ = tokens.mint(key=KEY, org="o", op="u", name="", iat=1000, ttl_seconds=60)
    with pytest.raises(Unauthenticated, match="invalid install token"):
        tokens.verify_signature(token, key=b"x" * 32)


def test_only_org_admins_and_owners_act() -> None:
    owner = Principal(kind="user", user_id="u1", tenant_id="o1", role="owner")
    key = Principal(kind="admin_key", token_id="k1", tenant_id="root", role="admin")
    assert rules.require_admin(owner, action="x") == rules.Operator(org_id="o1", operator_id="u1")
    assert rules.require_admin(key, action="x").operator_id == "key:k1"
    for principal in (
        Principal(kind="user", user_id="u1", tenant_id="o1", role="user"),
        Principal(kind="org_key", tenant_id="o1", scopes=("*",)),
        Principal(kind="anonymous"),
        Principal(kind="user", user_id="u1", role="owner"),
    ):
        with pytest.raises(PermissionDenied):
            rules.require_admin(principal, action="x")


def test_install_ttl_bounds() -> None:
    assert rules.install_ttl(0, default=3600) == 3600
    assert rules.install_ttl(60, default=3600) == 60
    assert rules.install_ttl(604800, default=3600) == 604800
    for bad in (59, 604801, -1):
        with pytest.raises(InvalidArgument, match="ttlSeconds must be between 60 and 604800"):
            rules.install_ttl(bad, default=3600)
    assert rules.clamp_ttl(5) == 60
    assert rules.clamp_ttl(10**9) == 604800
