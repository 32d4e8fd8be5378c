"""Tenancy through the gateway: X-Tenant-ID, invitations, member role rules, private inboxes."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


async def _invite(api, owner, email: str, role: str = "user", tenant_id: str | None = None):
    return await api.client.post(
        "/api/tenant/members/invite", headers=owner.headers(tenant_id), json={"email": email, "role": role}
    )


async def _join(api, owner, member) -> None:
    """``owner`` invites the existing user ``member``, who accepts with the mailed token."""
    assert (await _invite(api, owner, member.email)).json() == {"message": "Invitation sent"}
    token = await api.mail_token(to=member.email, subject_contains="invited")
    accepted = await api.client.post(
        "/api/auth/accept-invitation", headers=api.bearer(member.access), json={"token": token}
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["message"] == "Invitation accepted"
    joined = [m for m in accepted.json()["memberships"] if m["tenantId"] == owner.tenant_id]
    assert [m["role"] for m in joined] == ["user"]


async def _roles(api, session, tenant_id: str) -> dict[str, str]:
    response = await api.client.get("/api/tenant/members", headers=session.headers(tenant_id))
    assert response.status_code == 200, response.text
    return {m["userId"]: m["role"] for m in response.json()["members"]}


async def test_tenant_routes_need_a_tenant_the_caller_belongs_to(api) -> None:
    alice = await api.register("tenant-a")
    carol = await api.register("tenant-c")
    no_header = await api.client.get("/api/tenant/members", headers=api.bearer(alice.access))
    assert (no_header.status_code, no_header.json()) == (400, {"error": "X-Tenant-ID header is required"})

    foreign = await api.client.get("/api/tenant/members", headers=alice.headers(carol.tenant_id))
    assert (foreign.status_code, foreign.json()) == (404, {"error": "tenant not found"})
    garbage = await api.client.get("/api/tenant/members", headers=alice.headers("not-a-tenant"))
    assert (garbage.status_code, garbage.json()) == (404, {"error": "tenant not found"})

    own = await api.client.get("/api/tenant/members", headers=alice.headers())
    members = own.json()["members"]
    assert [(m["userId"], m["email"], m["role"]) for m in members] == [(alice.user_id, alice.email, "owner")]
    assert members[0]["joinedAt"].endswith("Z")


async def test_member_role_rules_and_ownership_transfer(api, api_b) -> None:
    owner = await api.register("owner")
    member = await api.register("member")
    await _join(api, owner, member)
    tenant = owner.tenant_id
    assert await _roles(api, member, tenant) == {owner.user_id: "owner", member.user_id: "user"}

    # A plain user may neither invite nor remove.
    assert (await _invite(api, member, api.unique_email("x"), tenant_id=tenant)).status_code == 403
    removal = await api.client.delete(f"/api/tenant/members/{owner.user_id}", headers=member.headers(tenant))
    assert removal.status_code == 403

    promoted = await api.client.patch(
        f"/api/tenant/members/{member.user_id}/role", headers=owner.headers(), json={"role": "admin"}
    )
    assert (promoted.status_code, promoted.json()) == (200, {"message": "Role updated"})
    # The promotion is visible on the member's very next request: admins may invite users, not admins.
    assert (await _invite(api, member, api.unique_email("y"), tenant_id=tenant)).status_code == 200
    assert (await _invite(api, member, api.unique_email("z"), "admin", tenant_id=tenant)).status_code == 403

    self_removal = await api.client.delete(f"/api/tenant/members/{owner.user_id}", headers=owner.headers())
    assert 400 <= self_removal.status_code < 500

    moved = await api.client.post(
        f"/api/tenant/members/{member.user_id}/transfer-ownership", headers=owner.headers()
    )
    assert (moved.status_code, moved.json()) == (200, {"message": "Ownership transferred"})
    assert await _roles(api, owner, tenant) == {owner.user_id: "admin", member.user_id: "owner"}
    demoted = await api.client.patch(
        f"/api/tenant/members/{member.user_id}/role", headers=owner.headers(), json={"role": "user"}
    )
    assert demoted.status_code == 403

    # Warm replica B's cache for the old owner, remove them on replica A: B must refuse at once.
    assert (await api_b.client.get("/api/tenant/members", headers=owner.headers(tenant))).status_code == 200
    removed = await api.client.delete(f"/api/tenant/members/{owner.user_id}", headers=member.headers(tenant))
    assert (removed.status_code, removed.json()) == (200, {"message": "Member removed"})
    gone = await api_b.client.get("/api/tenant/members", headers=owner.headers(tenant))
    assert (gone.status_code, gone.json()) == (404, {"error": "tenant not found"})


async def test_role_body_is_validated_before_identity(api) -> None:
    owner = await api.register("validator")
    bad = await api.client.patch(
        f"/api/tenant/members/{owner.user_id}/role", headers=owner.headers(), json={"role": "emperor"}
    )
    assert (bad.status_code, bad.json()) == (400, {"error": "role has an invalid value"})


async def test_signup_with_an_invitation_token_joins_the_tenant(api) -> None:
    owner = await api.register("inviter")
    email = api.unique_email("newcomer")
    assert (await _invite(api, owner, email)).status_code == 200
    token = await api.mail_token(to=email, subject_contains="invited")
    response = await api.client.post(
        "/api/auth/register",
        json={"email": email, "password": api.PASSWORD, "displayName": "New Comer", "invitationToken": token},
    )
    assert response.status_code == 201, response.text
    tenants = {m["tenantId"]: m["role"] for m in response.json()["memberships"]}
    assert tenants[owner.tenant_id] == "user"
    assert len(tenants) == 2  # the personal tenant is always created too


async def test_messages_are_private_to_their_owner(api) -> None:
    owner = await api.register("sender")
    member = await api.register("reader")
    assert (await _invite(api, owner, member.email)).status_code == 200

    listed = await api.client.get("/api/messages", headers=api.bearer(member.access))
    assert listed.status_code == 200
    messages = listed.json()["messages"]
    assert messages, "an invitation leaves a message in the invitee's inbox"
    message = messages[0]
    assert message["userId"] == member.user_id
    assert message["isRead"] is False
    unread = await api.client.get("/api/messages/unread-count", headers=api.bearer(member.access))
    assert unread.json() == {"count": len(messages)}

    stolen = await api.client.patch(f"/api/messages/{message['id']}/read", headers=api.bearer(owner.access))
    assert stolen.status_code == 404
    assert set(stolen.json()) == {"error"}

    read = await api.client.patch(f"/api/messages/{message['id']}/read", headers=api.bearer(member.access))
    assert (read.status_code, read.json()) == (200, {"message": "Marked as read"})
    after = await api.client.get("/api/messages/unread-count", headers=api.bearer(member.access))
    assert after.json() == {"count": len(messages) - 1}
