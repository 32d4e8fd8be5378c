"""Bodies of the M2M client routes (Rensei shapes, times in epoch ms) and of the OAuth2 token endpoint."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import parse_qs, unquote

import msgspec
from google.protobuf.timestamp_pb2 import Timestamp
from switchyard.gateway.errors import GatewayError
from switchyard.gateway.schema import CamelStruct, NonEmptyStr
from switchyard.identity.v1 import identity_pb2 as pb
from switchyard.identity.v1 import identity_service_pb2 as svc

GRANT_FIELDS = ("grant_type", "client_id", "client_secret")
FORM = "application/x-www-form-urlencoded"


class M2mClientCreate(CamelStruct):
    """``POST /api/admin/m2m-clients``."""

    name: NonEmptyStr
    scopes: list[str]


class M2mClient(CamelStruct):
    """A client's metadata; the secret is never part of it."""

    client_id: str
    name: str
    org_id: str
    scopes: list[str]
    created_at: int
    last_used_at: int | None = None


class M2mClientWithSecret(CamelStruct):
    """A new client with, only this once, its secret."""

    client_id: str
    client_secret: str
    name: str
    org_id: str
    scopes: list[str]
    created_at: int


class M2mClientCreated(CamelStruct):
    """``201`` of ``POST /api/admin/m2m-clients``."""

    client: M2mClientWithSecret


class M2mClientList(CamelStruct):
    """``GET /api/admin/m2m-clients``."""

    clients: list[M2mClient]


class TokenResponse(msgspec.Struct, kw_only=True):
    """``POST /api/oauth/token``: RFC 6749 §5.1 names, snake_case on the wire."""

    access_token: str
    token_type: str
    expires_in: int


class WhoAmI(CamelStruct):
    """``GET /api/oauth/whoami``: the M2M caller as the gateway sees it."""

    client_id: str
    org_id: str
    scopes: list[str]


def epoch_ms(stamp: Timestamp) -> int:
    """A Timestamp as epoch milliseconds."""
    return int(stamp.seconds) * 1000 + int(stamp.nanos) // 1_000_000


def client_from_pb(client: pb.M2mClient) -> M2mClient:
    """Map an ``identity.v1.M2mClient``."""
    return M2mClient(
        client_id=client.client_id,
        name=client.name,
        org_id=client.org_id,
        scopes=list(client.scopes),
        created_at=epoch_ms(client.created_at),
        last_used_at=epoch_ms(client.last_used_at) if client.HasField("last_used_at") else None,
    )


def created_from_pb(response: svc.CreateM2mClientResponse) -> M2mClientCreated:
    """Map a ``CreateM2mClientResponse``."""
    client = response.client
    return M2mClientCreated(
        client=M2mClientWithSecret(
            client_id=client.client_id,
            client_secret=response.client_secret,
            name=client.name,
            org_id=client.org_id,
            scopes=list(client.scopes),
            created_at=epoch_ms(client.created_at),
        )
    )


def invalid_request(description: str) -> GatewayError:
    """RFC 6749 ``invalid_request``, naming what is wrong in ``error_description``."""
    return GatewayError(400, "invalid_request", fields={"error_description": description})


def _from_form(body: bytes) -> dict[str, str]:
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError as exc:
        raise invalid_request("request body must be UTF-8") from exc
    grant: dict[str, str] = {}
    for name in GRANT_FIELDS:
        values = parsed.get(name, [])
        if len(values) > 1:
            raise invalid_request(f"{name} must not be repeated")
        if values:
            grant[name] = values[0]
    return grant


def _from_json(body: bytes) -> dict[str, str]:
    try:
        parsed: Any = json.loads(body)
    except ValueError as exc:
        raise invalid_request("invalid JSON body") from exc
    if not isinstance(parsed, dict):
        raise invalid_request("request body must be a JSON object")
    grant: dict[str, str] = {}
    for name in GRANT_FIELDS:
        value = parsed.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise invalid_request(f"{name} must be a string")
        grant[name] = value
    return grant


def _from_basic(authorization: str) -> dict[str, str]:
    # RFC 6749 §2.3.1: client_secret_basic, both parts form-urlencoded before base64.
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return {}
    try:
        client_id, sep, secret = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise invalid_request("Authorization header is not valid Basic credentials") from exc
    if not sep:
        raise invalid_request("Authorization header is not valid Basic credentials")
    return {
        "client_id": unquote(client_id.replace("+", " ")),
        "client_secret": unquote(secret.replace("+", " ")),
    }


def token_request(*, content_type: str, body: bytes, authorization: str) -> dict[str, str]:
    """The grant fields of a token request (form-urlencoded or JSON body, or Basic client credentials).

    Missing fields are left out; identity says which one is required.
    """
    media_type = content_type.split(";")[0].strip().lower()
    if media_type == FORM:
        grant = _from_form(body)
    elif media_type == "application/json" or media_type.endswith("+json"):
        grant = _from_json(body)
    elif not body:
        grant = {}
    else:
        raise invalid_request(f"Content-Type must be {FORM} or application/json")
    basic = _from_basic(authorization)
    if basic:
        if "client_id" in grant or "client_secret" in grant:
            # RFC 6749 §2.3: a client must not use more than one authentication method per request.
            raise invalid_request("client credentials must be sent either in the body or as Basic auth")
        grant.update(basic)
    return grant
