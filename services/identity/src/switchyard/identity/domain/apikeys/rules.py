"""Key formats and org-key request rules, as pure functions."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime

from switchyard.grpckit.errors import InvalidArgument
from switchyard.identity.domain.apikeys.models import OrgKeySpec
from switchyard.identity.domain.common import validate_name

ADMIN_PREFIX = "lsk_"
ORG_PREFIX = "rsk_live_"
AUTHORITIES = ("admin", "user")
PROJECT_DEFAULT_SCOPES = ("worker:register", "worker:poll", "worker:heartbeat", "worker:session")
ORG_WIDE_DEFAULT_SCOPES = ("*",)
KNOWN_SCOPES = frozenset(
    {*PROJECT_DEFAULT_SCOPES, "org_keys:write", "sessions:read", "sessions:write", "workflows:read", "*"}
)
PROJECT_ID_MAX = 200


def new_admin_key() -> tuple[str, str, str]:
    """A raw ``lsk_`` key with its stored hash (SHA-256, base64url) and preview (last 8 characters)."""
    raw = ADMIN_PREFIX + base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode("ascii")
    return raw, admin_key_hash(raw), raw[-8:]


def admin_key_hash(raw: str) -> str:
    """The stored form of an ``lsk_`` key."""
    return base64.urlsafe_b64encode(hashlib.sha256(raw.encode()).digest()).rstrip(b"=").decode("ascii")


def new_org_key() -> tuple[str, str, str]:
    """A raw ``rsk_live_`` key (64 hex), its stored hash (SHA-256 hex) and prefix (first 12 chars)."""
    raw = ORG_PREFIX + secrets.token_hex(32)
    return raw, org_key_hash(raw), raw[:12]


def org_key_hash(raw: str) -> str:
    """The stored form of an ``rsk_live_`` key."""
    return hashlib.sha256(raw.encode()).hexdigest()


def authority(value: str) -> str:
    """An admin key authority: admin or user."""
    if not value:
        raise InvalidArgument("authority is required")
    if value not in AUTHORITIES:
        raise InvalidArgument("authority must be admin or user")
    return value


def _project_ids(values: Sequence[str]) -> tuple[str, ...]:
    ids: list[str] = []
    for value in values:
        pid = value.strip()
        if not pid or len(pid) > PROJECT_ID_MAX:
            raise InvalidArgument("projects contains an invalid project id")
        if pid not in ids:
            ids.append(pid)
    return tuple(ids)


def _scopes(values: Sequence[str], *, all_projects: bool) -> tuple[str, ...]:
    if not values:
        return ORG_WIDE_DEFAULT_SCOPES if all_projects else PROJECT_DEFAULT_SCOPES
    scopes: list[str] = []
    for scope in values:
        if scope not in KNOWN_SCOPES:
            raise InvalidArgument(f"scopes contains an unknown scope: {scope}")
        if scope == "*" and not all_projects:
            raise InvalidArgument("scopes may contain * only on org-wide keys")
        if scope not in scopes:
            scopes.append(scope)
    return tuple(scopes)


def org_key_spec(
    *,
    name: str,
    all_projects: bool,
    project_ids: Sequence[str],
    scopes: Sequence[str],
    expires_at: datetime | None,
    now: datetime,
) -> OrgKeySpec:
    """Validate a create-org-key request: projects are "all" or a list, never both nor neither."""
    clean_name = validate_name(name, field="name")
    if all_projects and project_ids:
        raise InvalidArgument('projects must be "all" or a list of project ids, not both')
    if not all_projects and not project_ids:
        raise InvalidArgument("projects is required")
    if expires_at is not None and expires_at <= now:
        raise InvalidArgument("expiresAt must be in the future")
    return OrgKeySpec(
        name=clean_name,
        all_projects=all_projects,
        project_ids=() if all_projects else _project_ids(project_ids),
        scopes=_scopes(scopes, all_projects=all_projects),
        expires_at=expires_at,
    )
