"""API keys through the gateway: lsk_ admin keys and rsk_live_ org keys, revoked on every replica at once."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


async def _create_admin_key(api, root, authority: str = "admin") -> dict:
    response = await api.client.post(
        "/api/admin/api-keys",
        headers=api.bearer(root.access),
        json={"name": f"CI {authority}", "authority": authority},
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_admin_key_works_without_tenant_and_dies_on_delete_everywhere(api, api_b) -> None:
    root = await api.login_root()
    created = await _create_admin_key(api, root)
    raw, key = created["rawKey"], created["apiKey"]
    assert raw.startswith("lsk_")
    assert key["authority"] == "admin"
    assert key["keyPreview"] == raw[-8:]
    assert "rawKey" not in key

    listed = await api.client.get("/api/admin/api-keys", headers=api.bearer(root.access))
    assert key["id"] in {k["id"] for k in listed.json()["apiKeys"]}

    # An admin key resolves the root tenant itself: no X-Tenant-ID needed, on either replica.
    for client in (api.client, api_b.client):
        members = await client.get("/api/tenant/members", headers=api.bearer(raw))
        assert members.status_code == 200, members.text
        assert root.user_id in {m["userId"] for m in members.json()["members"]}
    assert (await api.client.get("/api/admin/api-keys", headers=api.bearer(raw))).status_code == 200

    deleted = await api.client.delete(f"/api/admin/api-keys/{key['id']}", headers=api.bearer(root.access))
    assert (deleted.status_code, deleted.json()) == (200, {"status": "deleted"})
    for client in (api.client, api_b.client):
        refused = await client.get("/api/tenant/members", headers=api.bearer(raw))
        assert (refused.status_code, refused.json()) == (401, {"error": "invalid or expired token"})


async def test_user_key_acts_as_its_creator_and_needs_a_tenant(api) -> None:
    root = await api.login_root()
    raw = (await _create_admin_key(api, root, "user"))["rawKey"]
    missing = await api.client.get("/api/tenant/members", headers=api.bearer(raw))
    assert (missing.status_code, missing.json()) == (400, {"error": "X-Tenant-ID header is required"})
    scoped = await api.client.get("/api/tenant/members", headers=api.bearer(raw, root.tenant_id))
    assert scoped.status_code == 200


async def test_admin_routes_need_a_root_admin(api) -> None:
    outsider = await api.register("outsider")
    anonymous = await api.client.get("/api/admin/api-keys")
    assert (anonymous.status_code, anonymous.json()) == (401, {"error": "authentication required"})
    refused = await api.client.get("/api/admin/api-keys", headers=api.bearer(outsider.access))
    assert refused.status_code == 403
    assert set(refused.json()) == {"error"}


async def test_org_keys_create_list_use_and_revoke(api, api_b) -> None:
    owner = await api.register("org-owner")
    stranger = await api.register("org-stranger")
    base = f"/api/org/{owner.tenant_id}/keys"

    made = await api.client.post(
        base, headers=api.bearer(owner.access), json={"name": "daemon", "projects": "all"}
    )
    assert made.status_code == 201, made.text
    key = made.json()["key"]
    assert key["fullKey"].startswith("rsk_live_")
    assert key["keyPrefix"] == key["fullKey"][:12]
    assert (key["orgId"], key["name"], key["projectIds"], key["expiresAt"]) == (
        owner.tenant_id,
        "daemon",
        "all",
        None,
    )
    scoped = await api.client.post(
        base,
        headers=api.bearer(owner.access),
        json={"name": "ci", "projects": ["proj-1"], "expiresAt": "2099-01-01T00:00:00Z"},
    )
    assert scoped.status_code == 201, scoped.text
    assert scoped.json()["key"]["projectIds"] == ["proj-1"]
    assert scoped.json()["key"]["expiresAt"].startswith("2099-01-01T00:00:00")

    listed = await api.client.get(base, headers=api.bearer(owner.access))
    keys = {k["id"]: k for k in listed.json()["keys"]}
    assert {key["id"], scoped.json()["key"]["id"]} <= set(keys)
    assert all("fullKey" not in k for k in keys.values())

    raw = key["fullKey"]
    assert (await api_b.client.get(base, headers=api.bearer(raw))).status_code == 200
    other_org = await api.client.get(f"/api/org/{stranger.tenant_id}/keys", headers=api.bearer(raw))
    assert (other_org.status_code, other_org.json()) == (404, {"error": "tenant not found"})
    not_member = await api.client.get(base, headers=api.bearer(stranger.access))
    assert (not_member.status_code, not_member.json()) == (404, {"error": "tenant not found"})
    assert (await api.client.get("/api/auth/me", headers=api.bearer(raw))).status_code == 403

    revoked = await api.client.delete(f"{base}/{key['id']}", headers=api.bearer(owner.access))
    assert (revoked.status_code, revoked.json()) == (200, {"status": "revoked"})
    dead = await api_b.client.get(base, headers=api.bearer(raw))
    assert (dead.status_code, dead.json()) == (401, {"error": "invalid or expired token"})


async def test_org_key_body_is_validated(api) -> None:
    owner = await api.register("org-validator")
    base = f"/api/org/{owner.tenant_id}/keys"
    bad = await api.client.post(base, headers=api.bearer(owner.access), json={"name": "x", "projects": 5})
    assert bad.status_code == 400
    assert bad.json() == {"error": "projects must be a string or an array"}
    missing = await api.client.post(base, headers=api.bearer(owner.access), json={"projects": "all"})
    assert (missing.status_code, missing.json()) == (400, {"error": "name is required"})
