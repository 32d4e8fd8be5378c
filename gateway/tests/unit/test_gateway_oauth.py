"""The token endpoint's body parsing and the M2M claim rules, without I/O."""

from __future__ import annotations

import base64

import pytest
from switchyard.gateway.auth.m2m_tokens import m2m_claims
from switchyard.gateway.auth.tokens import InvalidToken
from switchyard.gateway.domain.oauth.deps import revoked_client_mark
from switchyard.gateway.domain.oauth.schemas import token_request
from switchyard.gateway.errors import GatewayError

pytestmark = pytest.mark.unit

FORM = "application/x-www-form-urlencoded"


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_form_json_and_basic_bodies_give_the_same_grant() -> None:
    expected = {"grant_type": "client_credentials", "client_id": "m2m_a", "client_secret": "s+/="}
    form = token_request(
        content_type=f"{FORM}; charset=utf-8",
        body=b"grant_type=client_credentials&client_id=m2m_a&client_secret=s%2B%2F%3D&scope=x",
        authorization="",
    )
    as_json = token_request(
        content_type="application/json",
        body=b'{"grant_type":"client_credentials","client_id":"m2m_a","client_secret":"s+/="}',
        authorization="",
    )
    basic = token_request(
        content_type=FORM, body=b"grant_type=client_credentials", authorization=_basic("m2m_a", "s%2B%2F%3D")
    )
    assert form == as_json == basic == expected


@pytest.mark.parametrize(
    ("content_type", "body", "authorization", "description"),
    [
        (FORM, b"client_id=a&client_id=b", "", "client_id must not be repeated"),
        ("application/json", b"[1]", "", "request body must be a JSON object"),
        ("application/json", b'{"client_secret": 1}', "", "client_secret must be a string"),
        (
            "text/plain",
            b"grant_type=client_credentials",
            "",
            f"Content-Type must be {FORM} or application/json",
        ),
        (
            FORM,
            b"client_id=a",
            _basic("a", "b"),
            "client credentials must be sent either in the body or as Basic auth",
        ),
        (FORM, b"", "Basic !!!", "Authorization header is not valid Basic credentials"),
    ],
)
def test_malformed_token_requests_are_invalid_request(content_type, body, authorization, description) -> None:
    with pytest.raises(GatewayError) as info:
        token_request(content_type=content_type, body=body, authorization=authorization)
    assert (info.value.status, info.value.message) == (400, "invalid_request")
    assert info.value.fields == {"error_description": description}


def test_only_m2m_typed_tokens_become_m2m_claims() -> None:
    base = {"sub": "m2m_x", "jti": "j", "exp": 10, "org_id": "org", "scopes": ["*"], "typ": "m2m"}
    claims = m2m_claims(base)
    assert (claims.client_id, claims.org_id, claims.scopes, claims.token_id) == ("m2m_x", "org", ("*",), "j")
    for broken in ({"typ": "access"}, {"org_id": ""}, {"scopes": "*"}):
        with pytest.raises(InvalidToken):
            m2m_claims({**base, **broken})
    assert revoked_client_mark("m2m_x") == "m2m:m2m_x"
