"""OAuth2 client credentials through the gateway: M2M clients, the token endpoint, M2M bearer tokens."""

from __future__ import annotations

import base64
import re
import time
import uuid

import pytest

pytestmark = pytest.mark.integration

CLIENT_ID = re.compile(r"^m2m_[0-9a-f]{32}$")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def _create(api, owner, scopes=("workers:read", "sessions:write"), name: str = "CI bot"):
    return await api.client.post(
        "/api/admin/m2m-clients", headers=owner.headers(), json={"name": name, "scopes": list(scopes)}
    )


async def _token_form(client, client_id: str, secret: str, grant_type: str = "client_credentials"):
    body = f"grant_type={grant_type}&client_id={client_id}&client_secret={secret}"
    return await client.post("/api/oauth/token", content=body, headers=FORM)


async def _client(api, owner, **kwargs) -> dict:
    response = await _create(api, owner, **kwargs)
    assert response.status_code == 201, response.text
    return response.json()["client"]


async def test_client_credentials_round_trip(api, api_b) -> None:
    owner = await api.register("m2m-owner")
    before_ms = int(time.time() * 1000)
    client = await _client(api, owner)
    assert set(client) == {"clientId", "clientSecret", "name", "orgId", "scopes", "createdAt"}
    assert CLIENT_ID.match(client["clientId"])
    assert client["clientSecret"].startswith("m2ms_")
    assert (client["name"], client["orgId"], client["scopes"]) == (
        "CI bot",
        owner.tenant_id,
        ["workers:read", "sessions:write"],
    )
    assert before_ms - 5_000 <= client["createdAt"] <= int(time.time() * 1000) + 5_000

    listed = await api.client.get("/api/admin/m2m-clients", headers=owner.headers())
    assert listed.status_code == 200, listed.text
    [shown] = listed.json()["clients"]
    assert shown["clientId"] == client["clientId"]
    assert "clientSecret" not in shown

    issued = await _token_form(api.client, client["clientId"], client["clientSecret"])
    assert issued.status_code == 200, issued.text
    assert issued.headers["cache-control"] == "no-store"
    body = issued.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 3600)

    # The token authenticates as an M2M principal of the client's org, on every replica.
    for gateway in (api.client, api_b.client):
        me = await gateway.get("/api/oauth/whoami", headers=api.bearer(body["access_token"]))
        assert me.status_code == 200, me.text
        assert me.json() == {
            "clientId": client["clientId"],
            "orgId": owner.tenant_id,
            "scopes": ["workers:read", "sessions:write"],
        }


async def test_token_accepts_json_and_basic_credentials(api) -> None:
    owner = await api.register("m2m-json")
    client = await _client(api, owner, scopes=["*"])
    as_json = await api.client.post(
        "/api/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": client["clientId"],
            "client_secret": client["clientSecret"],
        },
    )
    assert as_json.status_code == 200, as_json.text
    basic = base64.b64encode(f"{client['clientId']}:{client['clientSecret']}".encode()).decode()
    as_basic = await api.client.post(
        "/api/oauth/token",
        content="grant_type=client_credentials",
        headers={**FORM, "Authorization": f"Basic {basic}"},
    )
    assert as_basic.status_code == 200, as_basic.text
    for body in (as_json.json(), as_basic.json()):
        me = await api.client.get("/api/oauth/whoami", headers=api.bearer(body["access_token"]))
        assert me.json()["scopes"] == ["*"]


async def test_token_errors_follow_rfc_6749(api) -> None:
    owner = await api.register("m2m-errors")
    client = await _client(api, owner)
    cid, secret = client["clientId"], client["clientSecret"]
    cases = [
        (await _token_form(api.client, cid, secret, grant_type="password"), 400, "unsupported_grant_type"),
        (await _token_form(api.client, cid, secret + "0"), 401, "invalid_client"),
        (await _token_form(api.client, "m2m_" + uuid.uuid4().hex, secret), 401, "invalid_client"),
        (
            await api.client.post("/api/oauth/token", json={"grant_type": "client_credentials"}),
            400,
            "invalid_request",
        ),
        (
            await api.client.post(
                "/api/oauth/token", content="{nope", headers={"Content-Type": "application/json"}
            ),
            400,
            "invalid_request",
        ),
        (
            await api.client.post("/api/oauth/token", content="x", headers={"Content-Type": "text/plain"}),
            400,
            "invalid_request",
        ),
        (
            await api.client.post(
                "/api/oauth/token", json={"grant_type": "client_credentials", "client_id": 7}
            ),
            400,
            "invalid_request",
        ),
    ]
    for response, status, error in cases:
        assert (response.status_code, response.json()["error"]) == (status, error), response.text
    descriptions = [response.json()["error_description"] for response, _, _ in cases]
    assert descriptions[3] == "client_id is required"
    assert descriptions[6] == "client_id must be a string"
    assert descriptions[1] == descriptions[2] == "client authentication failed"


async def test_m2m_tokens_only_work_where_m2m_is_accepted(api) -> None:
    owner = await api.register("m2m-scope")
    client = await _client(api, owner)
    token = (await _token_form(api.client, client["clientId"], client["clientSecret"])).json()["access_token"]
    # Not a user: user and tenant routes refuse it.
    assert (await api.client.get("/api/auth/me", headers=api.bearer(token))).status_code == 401
    members = await api.client.get("/api/tenant/members", headers=api.bearer(token, owner.tenant_id))
    assert members.status_code == 401
    # And the probe refuses everything that is not an M2M token.
    assert (await api.client.get("/api/oauth/whoami", headers=api.bearer(owner.access))).status_code == 401
    assert (await api.client.get("/api/oauth/whoami")).status_code == 401
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert (await api.client.get("/api/oauth/whoami", headers=api.bearer(forged))).status_code == 401


async def test_revoked_client_loses_its_tokens_everywhere(api, api_b) -> None:
    owner = await api.register("m2m-revoke")
    client = await _client(api, owner)
    token = (await _token_form(api.client, client["clientId"], client["clientSecret"])).json()["access_token"]
    for gateway in (api.client, api_b.client):
        assert (await gateway.get("/api/oauth/whoami", headers=api.bearer(token))).status_code == 200

    revoked = await api.client.delete(f"/api/admin/m2m-clients/{client['clientId']}", headers=owner.headers())
    assert (revoked.status_code, revoked.json()) == (200, {"status": "revoked"})
    for gateway in (api.client, api_b.client):
        refused = await gateway.get("/api/oauth/whoami", headers=api.bearer(token))
        assert (refused.status_code, refused.json()) == (401, {"error": "invalid or expired token"})
    again = await _token_form(api.client, client["clientId"], client["clientSecret"])
    assert (again.status_code, again.json()["error"]) == (401, "invalid_client")
    listed = await api.client.get("/api/admin/m2m-clients", headers=owner.headers())
    assert listed.json() == {"clients": []}
    gone = await api.client.delete(f"/api/admin/m2m-clients/{client['clientId']}", headers=owner.headers())
    assert gone.status_code == 404


async def test_only_org_owners_and_admins_manage_clients(api) -> None:
    owner = await api.register("m2m-org")
    member = await api.register("m2m-member")
    invited = await api.client.post(
        "/api/tenant/members/invite", headers=owner.headers(), json={"email": member.email, "role": "user"}
    )
    assert invited.status_code == 200, invited.text
    token = await api.mail_token(to=member.email, subject_contains="invited")
    accepted = await api.client.post(
        "/api/auth/accept-invitation", headers=api.bearer(member.access), json={"token": token}
    )
    assert accepted.status_code == 200, accepted.text

    as_member = member.headers(owner.tenant_id)
    body = {"name": "nope", "scopes": ["*"]}
    assert (await api.client.post("/api/admin/m2m-clients", headers=as_member, json=body)).status_code == 403
    assert (await api.client.get("/api/admin/m2m-clients", headers=as_member)).status_code == 403

    client = await _client(api, owner)
    stranger = await api.register("m2m-stranger")
    assert (
        await api.client.get("/api/admin/m2m-clients", headers=stranger.headers(owner.tenant_id))
    ).status_code == 404
    # A stranger revoking in their own org cannot touch another org's client.
    other = await api.client.delete(
        f"/api/admin/m2m-clients/{client['clientId']}", headers=stranger.headers()
    )
    assert other.status_code == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"scopes": ["*"]}, "name is required"),
        ({"name": "bot"}, "scopes is required"),
        ({"name": "bot", "scopes": []}, "scopes is required"),
        ({"name": "bot", "scopes": ["worker:register"]}, "scopes contains an unknown scope: worker:register"),
        ({"name": "bot", "scopes": "workers:read"}, "scopes must be an array"),
    ],
)
async def test_create_rejects_bad_bodies_naming_the_field(api, body, message) -> None:
    owner = await api.register("m2m-bad")
    response = await api.client.post("/api/admin/m2m-clients", headers=owner.headers(), json=body)
    assert (response.status_code, response.json()) == (400, {"error": message})


async def test_token_endpoint_is_rate_limited_per_ip(
    identity_addr, redis_url, principal_key, serve_gateway
) -> None:
    from switchyard.gateway.config import Settings

    settings = Settings(
        identity_addr=identity_addr,
        redis_url=redis_url,
        principal_key=principal_key,
        trust_proxy=True,
        auth_rate_limit_per_minute=3,
    )
    ip = f"198.51.100.{uuid.uuid4().int % 250}-{uuid.uuid4().hex[:6]}"
    async with serve_gateway(settings) as client:
        statuses, retry_after = [], []
        # Eight tries: even if the minute window rolls over once, one window sees more than three.
        for _ in range(8):
            response = await client.post(
                "/api/oauth/token", json={"grant_type": "client_credentials"}, headers={"X-Forwarded-For": ip}
            )
            statuses.append(response.status_code)
            retry_after.append(response.headers.get("retry-after"))
        assert statuses[:3] == [400, 400, 400]
        limited = statuses.index(429)
        assert retry_after[limited] is not None
        other = await client.post(
            "/api/oauth/token",
            json={"grant_type": "client_credentials"},
            headers={"X-Forwarded-For": ip + "x"},
        )
        assert other.status_code == 400
