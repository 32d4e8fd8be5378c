"""Tenant members over real gRPC: invitations, removal, role changes and ownership transfer."""

from __future__ import annotations

import uuid

import grpc
import pytest
from sqlalchemy import text
from switchyard.identity.v1 import identity_pb2 as pb
from switchyard.identity.v1 import identity_service_pb2 as svc

pytestmark = pytest.mark.integration

ROLE = {"owner": pb.ROLE_OWNER, "admin": pb.ROLE_ADMIN, "user": pb.ROLE_USER}


def invite(email: str, role: str) -> svc.InviteMemberRequest:
    return svc.InviteMemberRequest(email=email, role=ROLE[role])


async def join(identity, smtp_sink, owner, role: str):
    """A new user who signed up through an invitation to the owner's tenant."""
    email = identity.email(role)
    await identity.call("InviteMember", invite(email, role), identity.user(owner))
    mail = await smtp_sink.wait_for(to=email, subject_contains="You're invited to join")
    return await identity.register(email=email, invitation=identity.token_from(mail))


def in_team(identity, account, owner):
    """The account acting in the owner's tenant."""
    return identity.user(account, tenant_id=owner.tenant_id)


async def roles(identity, owner) -> dict[str, int]:
    listed = await identity.call("ListMembers", svc.ListMembersRequest(), identity.user(owner))
    return {m.user_id: m.role for m in listed.members}


async def test_signup_invitation_joins_both_tenants(identity, smtp_sink) -> None:
    owner = await identity.register(name="Olga Owner")
    email = identity.email("newbie")
    sent = await identity.call("InviteMember", invite(email, "user"), identity.user(owner))
    assert sent.invitation_id
    mail = await smtp_sink.wait_for(to=email, subject_contains="You're invited to join Olga's Team")
    token = identity.token_from(mail)
    assert f"http://app.test/signup?invitation={token}" in mail.get_content()
    joined = await identity.register(email=email, invitation=token)
    assert joined.response.user.email_verified is True
    assert {(m.tenant_id, m.role) for m in joined.response.memberships} == {
        (joined.tenant_id, pb.ROLE_OWNER),
        (owner.tenant_id, pb.ROLE_USER),
    }
    assert (await roles(identity, owner))[joined.user_id] == pb.ROLE_USER
    # The invitation is spent.
    reuse = await identity.fails(
        "Register",
        svc.RegisterRequest(
            email=identity.email(), password=identity.password, display_name="X", invitation_token=token
        ),
    )
    assert (reuse.code(), reuse.details()) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "invitationToken is invalid or expired",
    )


async def test_invitation_token_must_match_the_email(identity, smtp_sink) -> None:
    owner = await identity.register()
    email = identity.email("invited")
    await identity.call("InviteMember", invite(email, "user"), identity.user(owner))
    token = identity.token_from(await smtp_sink.wait_for(to=email, subject_contains="invited"))
    error = await identity.fails(
        "Register",
        svc.RegisterRequest(
            email=identity.email(), password=identity.password, display_name="X", invitation_token=token
        ),
    )
    assert error.details() == "invitationToken is invalid or expired"


async def test_existing_user_gets_join_link_and_inbox_message(identity, smtp_sink) -> None:
    owner = await identity.register(name="Pat Owner")
    member = await identity.register()
    await identity.call("InviteMember", invite(member.email, "admin"), identity.user(owner))
    mail = await smtp_sink.wait_for(to=member.email, subject_contains="You're invited to join Pat's Team")
    token = identity.token_from(mail)
    assert f"http://app.test/accept-invitation?token={token}" in mail.get_content()
    inbox = await identity.call("ListMessages", svc.ListMessagesRequest(), identity.user(member))
    assert [m.type for m in inbox.messages] == ["invitation"]
    assert inbox.messages[0].is_read is False

    stranger = await identity.register()
    wrong = await identity.fails(
        "AcceptInvitation", svc.AcceptInvitationRequest(token=token), identity.user(stranger)
    )
    assert wrong.code() == grpc.StatusCode.PERMISSION_DENIED
    accepted = await identity.call(
        "AcceptInvitation", svc.AcceptInvitationRequest(token=token), identity.user(member)
    )
    assert (owner.tenant_id, pb.ROLE_ADMIN) in {(m.tenant_id, m.role) for m in accepted.memberships}
    again = await identity.fails(
        "AcceptInvitation", svc.AcceptInvitationRequest(token=token), identity.user(member)
    )
    assert again.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_a_new_invitation_replaces_the_pending_one(identity, smtp_sink) -> None:
    owner = await identity.register()
    member = await identity.register()
    await identity.call("InviteMember", invite(member.email, "user"), identity.user(owner))
    first = identity.token_from(await smtp_sink.wait_for(to=member.email, subject_contains="invited"))
    await identity.call("InviteMember", invite(member.email, "admin"), identity.user(owner))
    # Mail is handed to SMTP before InviteMember answers, so the newest mail is the second one.
    second = await smtp_sink.wait_for(to=member.email, subject_contains="invited")
    assert identity.token_from(second) != first
    stale = await identity.fails(
        "AcceptInvitation", svc.AcceptInvitationRequest(token=first), identity.user(member)
    )
    assert stale.code() == grpc.StatusCode.INVALID_ARGUMENT
    await identity.call(
        "AcceptInvitation",
        svc.AcceptInvitationRequest(token=identity.token_from(second)),
        identity.user(member),
    )
    assert (await roles(identity, owner))[member.user_id] == pb.ROLE_ADMIN


async def test_expired_invitation_cannot_be_accepted(identity, smtp_sink, db) -> None:
    owner = await identity.register()
    member = await identity.register()
    await identity.call("InviteMember", invite(member.email, "user"), identity.user(owner))
    token = identity.token_from(await smtp_sink.wait_for(to=member.email, subject_contains="invited"))
    async with db.begin() as conn:
        await conn.execute(
            text("UPDATE identity.invitations SET expires_at = now() - interval '1 minute' WHERE email = :e"),
            {"e": member.email},
        )
    error = await identity.fails(
        "AcceptInvitation", svc.AcceptInvitationRequest(token=token), identity.user(member)
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_invite_rules(identity, smtp_sink) -> None:
    owner = await identity.register()
    admin = await join(identity, smtp_sink, owner, "admin")
    user = await join(identity, smtp_sink, owner, "user")
    as_admin = in_team(identity, admin, owner)
    as_user = in_team(identity, user, owner)

    denied = await identity.fails("InviteMember", invite(identity.email(), "admin"), as_admin)
    assert (denied.code(), denied.details()) == (
        grpc.StatusCode.PERMISSION_DENIED,
        "only owners can invite admins",
    )
    await identity.call("InviteMember", invite(identity.email(), "user"), as_admin)
    denied = await identity.fails("InviteMember", invite(identity.email(), "user"), as_user)
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    owner_role = await identity.fails("InviteMember", invite(identity.email(), "owner"), identity.user(owner))
    assert owner_role.code() == grpc.StatusCode.INVALID_ARGUMENT
    member = await identity.fails("InviteMember", invite(user.email, "user"), identity.user(owner))
    assert member.code() == grpc.StatusCode.ALREADY_EXISTS
    bad = await identity.fails("InviteMember", invite("nope", "user"), identity.user(owner))
    assert (bad.code(), bad.details()) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "email is not a valid email address",
    )


async def test_remove_rules(identity, smtp_sink) -> None:
    owner = await identity.register()
    admin = await join(identity, smtp_sink, owner, "admin")
    admin2 = await join(identity, smtp_sink, owner, "admin")
    user = await join(identity, smtp_sink, owner, "user")
    as_admin = in_team(identity, admin, owner)

    def remove(target: str) -> svc.RemoveMemberRequest:
        return svc.RemoveMemberRequest(user_id=target)

    for who, target in [
        (as_admin, owner.user_id),
        (as_admin, admin.user_id),
        (as_admin, admin2.user_id),
        (in_team(identity, user, owner), admin.user_id),
        (identity.user(owner), owner.user_id),
    ]:
        error = await identity.fails("RemoveMember", remove(target), who)
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED, target
    for target in (str(uuid.uuid4()), "malformed", (await identity.register()).user_id):
        error = await identity.fails("RemoveMember", remove(target), identity.user(owner))
        assert error.code() == grpc.StatusCode.NOT_FOUND
    await identity.call("RemoveMember", remove(user.user_id), as_admin)
    await identity.call("RemoveMember", remove(admin2.user_id), identity.user(owner))
    assert set(await roles(identity, owner)) == {owner.user_id, admin.user_id}


async def test_change_role_is_owner_only_and_never_owner(identity, smtp_sink) -> None:
    owner = await identity.register()
    admin = await join(identity, smtp_sink, owner, "admin")
    user = await join(identity, smtp_sink, owner, "user")

    def change(target: str, role: str) -> svc.ChangeMemberRoleRequest:
        return svc.ChangeMemberRoleRequest(user_id=target, role=ROLE[role])

    denied = await identity.fails(
        "ChangeMemberRole", change(user.user_id, "admin"), in_team(identity, admin, owner)
    )
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    to_owner = await identity.fails("ChangeMemberRole", change(user.user_id, "owner"), identity.user(owner))
    assert to_owner.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "use transfer-ownership" in to_owner.details()
    missing = await identity.fails(
        "ChangeMemberRole", change(str(uuid.uuid4()), "admin"), identity.user(owner)
    )
    assert missing.code() == grpc.StatusCode.NOT_FOUND
    await identity.call("ChangeMemberRole", change(user.user_id, "admin"), identity.user(owner))
    await identity.call("ChangeMemberRole", change(admin.user_id, "user"), identity.user(owner))
    assert await roles(identity, owner) == {
        owner.user_id: pb.ROLE_OWNER,
        user.user_id: pb.ROLE_ADMIN,
        admin.user_id: pb.ROLE_USER,
    }


async def test_transfer_ownership(identity, smtp_sink) -> None:
    owner = await identity.register()
    user = await join(identity, smtp_sink, owner, "user")

    def transfer(target: str) -> svc.TransferOwnershipRequest:
        return svc.TransferOwnershipRequest(user_id=target)

    self_transfer = await identity.fails("TransferOwnership", transfer(owner.user_id), identity.user(owner))
    assert self_transfer.code() == grpc.StatusCode.INVALID_ARGUMENT
    outsider = await identity.register()
    missing = await identity.fails("TransferOwnership", transfer(outsider.user_id), identity.user(owner))
    assert missing.code() == grpc.StatusCode.NOT_FOUND
    await identity.call("TransferOwnership", transfer(user.user_id), identity.user(owner))
    assert await roles(identity, owner) == {owner.user_id: pb.ROLE_ADMIN, user.user_id: pb.ROLE_OWNER}
    # The old owner's principal may still say "owner"; the role is re-read from the database.
    stale = await identity.fails(
        "TransferOwnership", transfer(user.user_id), identity.user(owner, role="owner")
    )
    assert stale.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_non_members_get_not_found(identity) -> None:
    owner = await identity.register()
    outsider = await identity.register()
    error = await identity.fails("ListMembers", svc.ListMembersRequest(), in_team(identity, outsider, owner))
    assert (error.code(), error.details()) == (grpc.StatusCode.NOT_FOUND, "tenant not found")
    error = await identity.fails(
        "RemoveMember", svc.RemoveMemberRequest(user_id=owner.user_id), in_team(identity, outsider, owner)
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND
    malformed = await identity.fails(
        "ListMembers", svc.ListMembersRequest(), identity.user(owner, tenant_id="x")
    )
    assert malformed.code() == grpc.StatusCode.NOT_FOUND
