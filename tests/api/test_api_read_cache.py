"""The gateway's edge cache of hot reads: it really serves, and every replica drops it at the next request.

Two gateway replicas share Redis. Reads go to replica B, changes to replica A: B must never serve an
answer from before A's change once A has answered.
"""

from __future__ import annotations

import uuid

import asyncpg
import pytest
from redis.asyncio import Redis
from sqlalchemy.engine import make_url

pytestmark = pytest.mark.integration


async def _me(api, session) -> dict:
    response = await api.client.get("/api/auth/me", headers=api.bearer(session.access))
    assert response.status_code == 200, response.text
    return response.json()


async def _rename_behind_the_gateways(database_url: str, user_id: str, name: str) -> None:
    """Change a profile without any gateway seeing it (as a future out-of-band writer would)."""
    plain = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    con = await asyncpg.connect(plain)
    try:
        sql = "UPDATE identity.users SET display_name = $1 WHERE id = $2"
        await con.execute(sql, name, uuid.UUID(user_id))
    finally:
        await con.close()


async def test_me_is_served_from_the_cache_until_a_change_lands_anywhere(
    api, api_b, api_database_url: str
) -> None:
    alice = await api.register("cache-me")
    assert (await _me(api_b, alice))["user"]["displayName"] == "Cache-Me Tester"
    await _rename_behind_the_gateways(api_database_url, alice.user_id, "Renamed Offstage")
    # Nothing passed through a gateway, so B still answers from its cache ...
    assert (await _me(api_b, alice))["user"]["displayName"] == "Cache-Me Tester"
    # ... until any identity change succeeds on any replica.
    other = await api.register("cache-bump")
    assert other.user_id
    assert (await _me(api_b, alice))["user"]["displayName"] == "Renamed Offstage"


async def test_a_join_on_one_replica_shows_in_me_and_members_on_the_other(api, api_b) -> None:
    owner = await api.register("cache-owner")
    member = await api.register("cache-member")
    assert [m["tenantId"] for m in (await _me(api_b, member))["memberships"]] == [member.tenant_id]
    listed = await api_b.client.get("/api/tenant/members", headers=owner.headers())
    assert [m["userId"] for m in listed.json()["members"]] == [owner.user_id]

    invite = await api.client.post(
        "/api/tenant/members/invite", headers=owner.headers(), json={"email": member.email, "role": "user"}
    )
    assert invite.status_code == 200, invite.text
    token = await api.mail_token(to=member.email, subject_contains="invited")
    accepted = await api.client.post(
        "/api/auth/accept-invitation", headers=api.bearer(member.access), json={"token": token}
    )
    assert accepted.status_code == 200, accepted.text

    tenants = {m["tenantId"] for m in (await _me(api_b, member))["memberships"]}
    assert tenants == {member.tenant_id, owner.tenant_id}
    listed = await api_b.client.get("/api/tenant/members", headers=owner.headers())
    assert {m["userId"]: m["role"] for m in listed.json()["members"]} == {
        owner.user_id: "owner",
        member.user_id: "user",
    }

    promoted = await api.client.patch(
        f"/api/tenant/members/{member.user_id}/role", headers=owner.headers(), json={"role": "admin"}
    )
    assert promoted.status_code == 200, promoted.text
    listed = await api_b.client.get("/api/tenant/members", headers=owner.headers())
    assert {m["userId"]: m["role"] for m in listed.json()["members"]}[member.user_id] == "admin"

    removed = await api.client.delete(f"/api/tenant/members/{member.user_id}", headers=owner.headers())
    assert removed.status_code == 200, removed.text
    listed = await api_b.client.get("/api/tenant/members", headers=owner.headers())
    assert [m["userId"] for m in listed.json()["members"]] == [owner.user_id]
    assert [m["tenantId"] for m in (await _me(api_b, member))["memberships"]] == [member.tenant_id]
    # The removed member's cached role is gone too: the tenant is now another tenant's to them.
    gone = await api_b.client.get("/api/tenant/members", headers=member.headers(owner.tenant_id))
    assert gone.status_code == 404


async def test_only_successful_identity_mutations_bump_the_epoch(api, redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    try:
        alice = await api.register("cache-epoch")

        async def epoch() -> int:
            return int(await redis.get("gw:epoch") or 0)

        before = await epoch()
        await _me(api, alice)
        assert await epoch() == before  # reads never bump
        refused = await api.client.post(
            "/api/auth/change-password",
            headers=api.bearer(alice.access),
            json={"currentPassword": "wrong-password-1", "newPassword": "another-Passw0rd"},
        )
        assert refused.status_code == 400
        assert await epoch() == before  # a refused change changed nothing
        changed = await api.client.post(
            "/api/auth/change-password",
            headers=api.bearer(alice.access),
            json={"currentPassword": api.PASSWORD, "newPassword": "another-Passw0rd"},
        )
        assert changed.status_code == 200, changed.text
        assert await epoch() > before
    finally:
        await redis.aclose()
