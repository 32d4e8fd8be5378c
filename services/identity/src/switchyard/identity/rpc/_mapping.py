"""Mapping between domain views and protobuf messages; no rules live here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from switchyard.identity.domain.apikeys.models import ApiKeyView, OrgKeyView
from switchyard.identity.domain.m2m.models import M2mClientView
from switchyard.identity.domain.messages.models import MessageView
from switchyard.identity.domain.tenants.models import MemberView
from switchyard.identity.domain.users.models import MembershipView, TokenPair, UserView
from switchyard.identity.v1 import identity_pb2 as pb

ROLE_TO_PB = {"owner": pb.ROLE_OWNER, "admin": pb.ROLE_ADMIN, "user": pb.ROLE_USER}
PB_TO_ROLE = {int(v): k for k, v in ROLE_TO_PB.items()}
AUTHORITY_TO_PB = {"admin": pb.API_KEY_AUTHORITY_ADMIN, "user": pb.API_KEY_AUTHORITY_USER}
PB_TO_AUTHORITY = {int(v): k for k, v in AUTHORITY_TO_PB.items()}


def role_name(value: int) -> str:
    """The domain role for a request enum: "" when unspecified, "invalid" when unknown."""
    if value == pb.ROLE_UNSPECIFIED:
        return ""
    return PB_TO_ROLE.get(value, "invalid")


def authority_name(value: int) -> str:
    """The domain authority for a request enum: "" when unspecified, "invalid" when unknown."""
    if value == pb.API_KEY_AUTHORITY_UNSPECIFIED:
        return ""
    return PB_TO_AUTHORITY.get(value, "invalid")


def ts(value: datetime | None) -> Timestamp | None:
    """A Timestamp, or None so the field stays unset."""
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value.astimezone(UTC))
    return stamp


def from_ts(message: object, field: str) -> datetime | None:
    """A timezone-aware datetime from an optional Timestamp field."""
    if not message.HasField(field):  # type: ignore[attr-defined]
        return None
    stamp: Timestamp = getattr(message, field)
    return stamp.ToDatetime(tzinfo=UTC)


def user(view: UserView) -> pb.User:
    """pb.User from the domain view."""
    return pb.User(
        id=view.id,
        email=view.email,
        display_name=view.display_name,
        email_verified=view.email_verified,
        is_active=view.is_active,
        auth_methods=[pb.AuthMethod(provider=p) for p in view.auth_methods],
        created_at=ts(view.created_at),
        updated_at=ts(view.updated_at),
        last_login_at=ts(view.last_login_at),
    )


def memberships(views: Iterable[MembershipView]) -> list[pb.Membership]:
    """pb.Membership list from domain views."""
    return [
        pb.Membership(
            tenant_id=m.tenant_id,
            tenant_name=m.tenant_name,
            tenant_slug=m.tenant_slug,
            role=ROLE_TO_PB[m.role],
            is_root=m.is_root,
        )
        for m in views
    ]


def tokens(pair: TokenPair) -> pb.TokenPair:
    """pb.TokenPair from the domain pair."""
    return pb.TokenPair(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        access_token_expires_at=ts(pair.access_token_expires_at),
        refresh_token_expires_at=ts(pair.refresh_token_expires_at),
    )


def member(view: MemberView) -> pb.Member:
    """pb.Member from the domain view."""
    return pb.Member(
        user_id=view.user_id,
        email=view.email,
        display_name=view.display_name,
        role=ROLE_TO_PB[view.role],
        joined_at=ts(view.joined_at),
    )


def message(view: MessageView) -> pb.Message:
    """pb.Message from the domain view."""
    return pb.Message(
        id=view.id,
        user_id=view.user_id,
        type=view.type,
        title=view.title,
        body=view.body,
        is_read=view.is_read,
        created_at=ts(view.created_at),
    )


def api_key(view: ApiKeyView) -> pb.ApiKey:
    """pb.ApiKey from the domain view."""
    return pb.ApiKey(
        id=view.id,
        name=view.name,
        key_preview=view.key_preview,
        authority=AUTHORITY_TO_PB[view.authority],
        created_by=view.created_by,
        created_at=ts(view.created_at),
        last_used_at=ts(view.last_used_at),
        is_active=view.is_active,
    )


def org_key(view: OrgKeyView) -> pb.OrgKey:
    """pb.OrgKey from the domain view."""
    return pb.OrgKey(
        id=view.id,
        org_id=view.org_id,
        name=view.name,
        key_prefix=view.key_prefix,
        scopes=list(view.scopes),
        all_projects=view.all_projects,
        project_ids=list(view.project_ids),
        created_at=ts(view.created_at),
        expires_at=ts(view.expires_at),
        created_by=view.created_by,
        last_used_at=ts(view.last_used_at),
    )


def m2m_client(view: M2mClientView) -> pb.M2mClient:
    """pb.M2mClient from the domain view."""
    return pb.M2mClient(
        client_id=view.client_id,
        org_id=view.org_id,
        name=view.name,
        scopes=list(view.scopes),
        created_at=ts(view.created_at),
        created_by=view.created_by,
        last_used_at=ts(view.last_used_at),
    )
