"""Org keys (``rsk_live_``): managed by org admins/owners or keys holding org_keys:write."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.grpckit.errors import NotFound, PermissionDenied
from switchyard.grpckit.principal import ORG_KEY, Principal
from switchyard.identity.domain import events as ev
from switchyard.identity.domain.apikeys import repository as key_repo
from switchyard.identity.domain.apikeys import rules
from switchyard.identity.domain.apikeys.models import CreatedOrgKey, OrgKeyView
from switchyard.identity.domain.common import find_id
from switchyard.identity.domain.context import Deps, caller_id
from switchyard.identity.domain.tenants import repository as tenant_repo
from switchyard.identity.domain.tenants.rules import MANAGERS

ORG_NOT_FOUND = "org not found"
WRITE_SCOPE = "org_keys:write"


class OrgKeyService:
    """ListOrgKeys, CreateOrgKey, RevokeOrgKey."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def _authorize(self, s: AsyncSession, principal: Principal, org_id: str) -> tuple[uuid.UUID, str]:
        # Returns (org id, actor label). The org must be the principal's own tenant.
        oid = find_id(org_id, not_found=ORG_NOT_FOUND)
        if not principal.tenant_id or principal.tenant_id.lower() != str(oid):
            raise NotFound(ORG_NOT_FOUND)
        if principal.kind == ORG_KEY:
            if not principal.has_scope(WRITE_SCOPE):
                raise PermissionDenied(f"the {WRITE_SCOPE} scope is required")
            return oid, f"key:{principal.token_id}"
        user_id = caller_id(principal)
        role = await tenant_repo.role_of(s, tenant_id=oid, user_id=user_id)
        if role is None:
            raise NotFound(ORG_NOT_FOUND)
        if role not in MANAGERS:
            raise PermissionDenied("only org owners and admins can manage keys")
        return oid, str(user_id)

    async def list_keys(self, *, principal: Principal, org_id: str) -> list[OrgKeyView]:
        """The org's active keys."""
        async with self._d.sessions() as s:
            oid, _ = await self._authorize(s, principal, org_id)
            rows = await key_repo.active_org_keys(s, org_id=oid, now=self._d.clock())
            return [OrgKeyView.of(row) for row in rows]

    async def create_key(
        self,
        *,
        principal: Principal,
        org_id: str,
        name: str,
        all_projects: bool,
        project_ids: list[str],
        scopes: list[str],
        expires_at: datetime | None,
    ) -> CreatedOrgKey:
        """Create an ``rsk_live_`` key; its raw value is returned only here."""
        now = self._d.clock()
        spec = rules.org_key_spec(
            name=name,
            all_projects=all_projects,
            project_ids=project_ids,
            scopes=scopes,
            expires_at=expires_at,
            now=now,
        )
        raw, key_hash, prefix = rules.new_org_key()
        async with self._d.sessions.begin() as s:
            oid, actor = await self._authorize(s, principal, org_id)
            row = await key_repo.add_org_key(
                s, org_id=oid, spec=spec, key_hash=key_hash, prefix=prefix, created_by=actor, now=now
            )
            await self._d.events.add(
                s, ev.ApiKeyChanged(ev.API_KEY_CREATED, str(row.id), ORG_KEY, str(oid), actor, now)
            )
            return CreatedOrgKey(key=OrgKeyView.of(row), full_key=raw)

    async def revoke_key(self, *, principal: Principal, org_id: str, key_id: str) -> None:
        """Revoke an org key; it stops authenticating at once."""
        kid = find_id(key_id, not_found="key not found")
        now = self._d.clock()
        async with self._d.sessions.begin() as s:
            oid, actor = await self._authorize(s, principal, org_id)
            if not await key_repo.revoke_org_key(s, org_id=oid, key_id=kid, now=now):
                raise NotFound("key not found")
            await self._d.events.add(
                s, ev.ApiKeyChanged(ev.API_KEY_REVOKED, str(kid), ORG_KEY, str(oid), actor, now)
            )
