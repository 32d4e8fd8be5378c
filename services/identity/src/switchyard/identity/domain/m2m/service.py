"""M2M clients: managed by org owners/admins; the token endpoint is reached only through the gateway."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.grpckit.errors import NotFound, PermissionDenied
from switchyard.grpckit.principal import Principal
from switchyard.identity.domain import events as ev
from switchyard.identity.domain.common import find_id, validate_name
from switchyard.identity.domain.context import Deps, caller_id, require_service
from switchyard.identity.domain.m2m import repository as repo
from switchyard.identity.domain.m2m import rules
from switchyard.identity.domain.m2m.models import CreatedM2mClient, M2mClientView, M2mToken
from switchyard.identity.domain.tenants import repository as tenant_repo
from switchyard.identity.domain.tenants.rules import MANAGERS

ORG_NOT_FOUND = "org not found"
CLIENT_NOT_FOUND = "M2M client not found"
KIND = "m2m_client"


class M2mClientService:
    """CreateM2mClient, ListM2mClients, RevokeM2mClient and IssueM2mToken."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def _authorize(self, s: AsyncSession, principal: Principal, org_id: str) -> tuple[uuid.UUID, str]:
        # Returns (org id, actor user id). The org must be the principal's own tenant, and the caller
        # an owner or admin of it right now (the role is re-read, not taken from the principal).
        oid = find_id(org_id, not_found=ORG_NOT_FOUND)
        if not principal.tenant_id or principal.tenant_id.lower() != str(oid):
            raise NotFound(ORG_NOT_FOUND)
        user_id = caller_id(principal)
        role = await tenant_repo.role_of(s, tenant_id=oid, user_id=user_id)
        if role is None:
            raise NotFound(ORG_NOT_FOUND)
        if role not in MANAGERS:
            raise PermissionDenied("only org owners and admins can manage M2M clients")
        return oid, str(user_id)

    async def create_client(
        self, *, principal: Principal, org_id: str, name: str, scopes: list[str]
    ) -> CreatedM2mClient:
        """Create a client; its secret is returned only here."""
        clean_name = validate_name(name, field="name")
        clean_scopes = rules.scopes(scopes)
        raw, secret_hash = rules.new_secret()
        now = self._d.clock()
        async with self._d.sessions.begin() as s:
            oid, actor = await self._authorize(s, principal, org_id)
            row = await repo.add_client(
                s,
                org_id=oid,
                name=clean_name,
                scopes=clean_scopes,
                secret_hash=secret_hash,
                created_by=actor,
                now=now,
            )
            view = M2mClientView.of(row)
            await self._d.events.add(
                s, ev.ApiKeyChanged(ev.API_KEY_CREATED, view.client_id, KIND, str(oid), actor, now)
            )
            return CreatedM2mClient(client=view, client_secret=raw)

    async def list_clients(self, *, principal: Principal, org_id: str) -> list[M2mClientView]:
        """The org's active clients, newest first."""
        async with self._d.sessions() as s:
            oid, _ = await self._authorize(s, principal, org_id)
            return [M2mClientView.of(row) for row in await repo.active_clients(s, org_id=oid)]

    async def revoke_client(self, *, principal: Principal, org_id: str, client_id: str) -> datetime:
        """Revoke a client; returns the moment until which its issued tokens could still verify.

        Tokens are stateless JWTs, so identity cannot recall them: the gateway rejects them with a
        revocation mark that lives until this moment.
        """
        client_uuid = rules.parse_client_id(client_id)
        if client_uuid is None:
            raise NotFound(CLIENT_NOT_FOUND)
        now = self._d.clock()
        async with self._d.sessions.begin() as s:
            oid, actor = await self._authorize(s, principal, org_id)
            if not await repo.revoke_client(s, org_id=oid, client_uuid=client_uuid, now=now):
                raise NotFound(CLIENT_NOT_FOUND)
            await self._d.events.add(
                s, ev.ApiKeyChanged(ev.API_KEY_REVOKED, client_id, KIND, str(oid), actor, now)
            )
        return now + self._d.tokens.m2m_ttl

    async def issue_token(
        self, *, principal: Principal, grant_type: str, client_id: str, client_secret: str
    ) -> M2mToken:
        """Check a client_credentials grant and sign a token (services only: the gateway's token route)."""
        require_service(principal)
        grant = rules.grant(grant_type=grant_type, client_id=client_id, client_secret=client_secret)
        now = self._d.clock()
        async with self._d.sessions.begin() as s:
            row = await repo.live_client(s, client_uuid=grant.client_uuid)
            if row is None or not rules.secret_matches(grant.client_secret, row.secret_hash):
                raise rules.invalid_client()
            if repo.needs_touch(row.last_used_at, now):
                await repo.touch_client(s, client_uuid=row.id, now=now)
            org_id, scopes = str(row.org_id), tuple(row.scopes)
        client = rules.client_id_of(grant.client_uuid)
        issued = self._d.tokens.issue_m2m(client_id=client, org_id=org_id, scopes=scopes)
        return M2mToken(
            access_token=issued.token,
            expires_at=issued.expires_at,
            expires_in_seconds=int(self._d.tokens.m2m_ttl.total_seconds()),
            client_id=client,
            org_id=org_id,
            scopes=scopes,
        )
