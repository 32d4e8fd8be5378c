"""Admin API keys (``lsk_``) and resolving any presented key for the gateway."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.grpckit.errors import NotFound, PermissionDenied, Unauthenticated
from switchyard.grpckit.principal import ADMIN_KEY, Principal
from switchyard.identity.domain import events as ev
from switchyard.identity.domain.apikeys import repository as key_repo
from switchyard.identity.domain.apikeys import rules
from switchyard.identity.domain.apikeys.models import ApiKeyView, AuthenticatedKey, CreatedApiKey
from switchyard.identity.domain.common import find_id, validate_name
from switchyard.identity.domain.context import Deps, caller_id, require_service
from switchyard.identity.domain.tenants import repository as tenant_repo
from switchyard.identity.domain.tenants.rules import MANAGERS

INVALID_KEY = "invalid API key"
ADMIN_REQUIRED = "admin access requires an admin or owner role in the root tenant"


class ApiKeyService:
    """ListApiKeys, CreateApiKey, DeleteApiKey and AuthenticateApiKey."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def _root_admin(self, s: AsyncSession, principal: Principal) -> tuple[uuid.UUID, uuid.UUID]:
        # Returns (actor user id, root tenant id). User principals are re-checked against the DB.
        if not principal.is_root:
            raise PermissionDenied(ADMIN_REQUIRED)
        root = await tenant_repo.root_tenant(s)
        if root is None:
            raise PermissionDenied(ADMIN_REQUIRED)
        if principal.kind == ADMIN_KEY:
            # An admin lsk_ key was just resolved by AuthenticateApiKey; it acts as its creator.
            if principal.role not in MANAGERS:
                raise PermissionDenied(ADMIN_REQUIRED)
            return caller_id(principal), root.id
        user_id = caller_id(principal)
        if await tenant_repo.role_of(s, tenant_id=root.id, user_id=user_id) not in MANAGERS:
            raise PermissionDenied(ADMIN_REQUIRED)
        return user_id, root.id

    async def list_keys(self, *, principal: Principal) -> list[ApiKeyView]:
        """Every active admin key."""
        async with self._d.sessions() as s:
            await self._root_admin(s, principal)
            return [ApiKeyView.of(row) for row in await key_repo.active_admin_keys(s)]

    async def create_key(self, *, principal: Principal, name: str, authority: str) -> CreatedApiKey:
        """Create an ``lsk_`` key; its raw value is returned only here."""
        clean_name = validate_name(name, field="name")
        clean_authority = rules.authority(authority)
        raw, key_hash, preview = rules.new_admin_key()
        now = self._d.clock()
        async with self._d.sessions.begin() as s:
            actor, root_id = await self._root_admin(s, principal)
            row = await key_repo.add_admin_key(
                s,
                name=clean_name,
                key_hash=key_hash,
                preview=preview,
                authority=clean_authority,
                created_by=actor,
                now=now,
            )
            await self._d.events.add(
                s, ev.ApiKeyChanged(ev.API_KEY_CREATED, str(row.id), ADMIN_KEY, str(root_id), str(actor), now)
            )
            return CreatedApiKey(api_key=ApiKeyView.of(row), raw_key=raw)

    async def delete_key(self, *, principal: Principal, key_id: str) -> None:
        """Soft-delete an ``lsk_`` key; it stops authenticating at once."""
        kid = find_id(key_id, not_found="API key not found")
        now = self._d.clock()
        async with self._d.sessions.begin() as s:
            actor, root_id = await self._root_admin(s, principal)
            if not await key_repo.deactivate_admin_key(s, key_id=kid):
                raise NotFound("API key not found")
            await self._d.events.add(
                s, ev.ApiKeyChanged(ev.API_KEY_REVOKED, str(kid), ADMIN_KEY, str(root_id), str(actor), now)
            )

    async def authenticate(self, *, principal: Principal, raw_key: str) -> AuthenticatedKey:
        """Resolve a raw ``lsk_`` or ``rsk_live_`` key; anything else is UNAUTHENTICATED."""
        require_service(principal)
        if raw_key.startswith(rules.ADMIN_PREFIX):
            return await self._authenticate_admin(raw_key)
        if raw_key.startswith(rules.ORG_PREFIX):
            return await self._authenticate_org(raw_key)
        raise Unauthenticated(INVALID_KEY)

    async def _authenticate_admin(self, raw_key: str) -> AuthenticatedKey:
        now = self._d.clock()
        async with self._d.sessions.begin() as s:
            row = await key_repo.admin_key_by_hash(s, key_hash=rules.admin_key_hash(raw_key))
            if row is None:
                raise Unauthenticated(INVALID_KEY)
            tenant_id = ""
            if row.authority == "admin":
                root = await tenant_repo.root_tenant(s)
                tenant_id = str(root.id) if root else ""
            if key_repo.needs_touch(row.last_used_at, now):
                await key_repo.touch_admin_key(s, key_id=row.id, now=now)
            return AuthenticatedKey(
                key_id=str(row.id),
                kind=ADMIN_KEY,
                user_id=str(row.created_by),
                tenant_id=tenant_id,
                authority=row.authority,
            )

    async def _authenticate_org(self, raw_key: str) -> AuthenticatedKey:
        now = self._d.clock()
        async with self._d.sessions.begin() as s:
            row = await key_repo.org_key_by_hash(s, key_hash=rules.org_key_hash(raw_key), now=now)
            if row is None:
                raise Unauthenticated(INVALID_KEY)
            if key_repo.needs_touch(row.last_used_at, now):
                await key_repo.touch_org_key(s, key_id=row.id, now=now)
            return AuthenticatedKey(
                key_id=str(row.id),
                kind="org_key",
                tenant_id=str(row.org_id),
                scopes=tuple(row.scopes),
                all_projects=row.all_projects,
                project_ids=tuple(row.project_ids),
            )
