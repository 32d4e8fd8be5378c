"""Enrolment use cases: register, rotate refresh tokens, recover with the bootstrap key, revoke."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.agents.domain.enrolment import events as ev
from switchyard.agents.domain.enrolment import models as m
from switchyard.agents.domain.enrolment import repository as repo
from switchyard.agents.domain.enrolment import rules, tokens
from switchyard.agents.domain.enrolment.context import EnrolmentDeps
from switchyard.agents.domain.enrolment.install import TOKEN_USED, InstallTokens
from switchyard.grpckit.errors import NotFound, TooManyRequests, Unauthenticated
from switchyard.grpckit.principal import Principal
from switchyard.obs import get_logger

log = get_logger(__name__)

INVALID_REFRESH = "invalid refresh token"
REPLAYED = "refresh token replayed; chain revoked"
INVALID_BOOTSTRAP = "invalid bootstrap key"
RECOVER_LIMITED = "too many recovery attempts for this machine (5 per hour); try again later"
SERVER_NOT_FOUND = "server not found"


class EnrolmentService:
    """Turns install tokens into servers with credentials, and keeps those credentials rotating."""

    def __init__(self, deps: EnrolmentDeps) -> None:
        self._d = deps
        self.install = InstallTokens(deps)

    async def _issue(self, session: AsyncSession, *, server_id: str, now: datetime) -> m.Credentials:
        # Plain values leave this function once; only their hashes reach the database.
        secret, refresh, bootstrap = m.new_agent_secret(), m.new_refresh_token(), m.new_bootstrap_key()
        hashes = repo.CredentialHashes(
            secret=m.digest(secret),
            refresh=m.digest(refresh),
            bootstrap=m.digest(bootstrap),
            refresh_expires_at=now + timedelta(seconds=self._d.refresh_token_ttl_seconds),
        )
        await repo.store_credentials(session, server_id=server_id, hashes=hashes, now=now)
        return m.Credentials(
            server_id=server_id,
            agent_secret=secret,
            refresh_token=refresh,
            bootstrap_key=bootstrap,
            grpc_address=self._d.agent_address,
        )

    async def register(
        self, *, token: str, hostname: str, machine_id: str, previous_server_id: str
    ) -> m.Registration:
        """Trade a one-shot install token for a server (new, or relinked) and its credentials.

        Raises:
            InvalidArgument: A bad hostname or machineId (the token is not spent).
            Unauthenticated: A forged, expired or already used token.
        """
        rules.required_secret(token, field="token")
        host = rules.required_text(hostname, field="hostname")
        machine = rules.optional_text(machine_id, field="machineId")
        previous = rules.optional_text(previous_server_id, field="previous_server_id")
        now = self._d.clock()
        claims = tokens.verify(token, key=self._d.install_token_key, now=int(now.timestamp()))
        ttl = max(1, claims.exp - int(now.timestamp()))
        if not await self._d.limits.claim(claims.nonce, ttl_seconds=ttl):
            raise Unauthenticated(TOKEN_USED)
        try:
            return await self._register(claims, host=host, machine=machine, previous=previous, now=now)
        except BaseException:
            # Nothing was stored: the operator's token stays usable for a retry.
            await self._d.limits.unclaim(claims.nonce)
            raise

    async def _register(
        self, claims: tokens.InstallClaims, *, host: str, machine: str, previous: str, now: datetime
    ) -> m.Registration:
        async with self._d.sessions() as session, session.begin():
            # Another org's (or an unknown) previous id is ignored rather than refused: no existence leak.
            old = await repo.lock_server(session, server_id=previous, org_id=claims.org) if previous else None
            if old is not None:
                await repo.revoke_all(session, server_id=old.id, now=now)
                server = await repo.update_server(
                    session,
                    server_id=old.id,
                    now=now,
                    hostname=host,
                    machine_id=machine,
                    name=claims.name or old.name,
                    status=m.ACTIVE,
                    enrolled_at=now,
                    enrolled_by=claims.op,
                )
            else:
                fresh = repo.NewServer(
                    id=str(uuid.uuid4()),
                    org_id=claims.org,
                    name=claims.name or host,
                    hostname=host,
                    machine_id=machine,
                    enrolled_by=claims.op,
                )
                server = await repo.insert_server(session, fresh, status=m.ACTIVE, now=now)
            credentials = await self._issue(session, server_id=server.id, now=now)
            event = ev.ServerRegistered(server=server, relinked=old is not None, occurred_at=now)
            await self._d.events.add(session, event)
        log.info("server registered", server_id=server.id, org_id=server.org_id, relinked=old is not None)
        return m.Registration(credentials=credentials, relinked=old is not None)

    async def refresh_agent_token(self, *, refresh_token: str) -> m.RotatedRefreshToken:
        """Rotate a refresh token: the presented link is spent and the next one issued.

        Raises:
            Unauthenticated: Unknown, revoked or expired; or already used, which revokes the whole chain.
        """
        rules.required_secret(refresh_token, field="refreshToken")
        token_hash = m.digest(refresh_token)
        now = self._d.clock()
        replayed = False
        async with self._d.sessions() as session, session.begin():
            link = await repo.use_link(session, token_hash=token_hash, now=now)
            if link is not None:
                successor = m.new_refresh_token()
                expires_at = now + timedelta(seconds=self._d.refresh_token_ttl_seconds)
                await repo.insert_link(
                    session,
                    server_id=link.server_id,
                    chain_id=link.chain_id,
                    token_hash=m.digest(successor),
                    now=now,
                    expires_at=expires_at,
                )
                return m.RotatedRefreshToken(
                    server_id=link.server_id, refresh_token=successor, expires_at=expires_at
                )
            stored = await repo.find_link(session, token_hash=token_hash)
            if stored is not None and stored.used_at is not None:
                # A spent link presented again means two holders: neither can be trusted any more.
                revoked = await repo.revoke_chain(session, chain_id=stored.chain_id, now=now)
                log.warning("refresh token replayed", server_id=stored.server_id, revoked_links=revoked)
                replayed = True
        # Raised after the block so the chain revocation commits.
        raise Unauthenticated(REPLAYED if replayed else INVALID_REFRESH)

    async def recover(self, *, bootstrap_key: str, machine_id: str) -> m.Credentials:
        """Fresh credentials against the server's current bootstrap key (which is replaced).

        Raises:
            TooManyRequests: More than 5 attempts for this machine id in the hour.
            Unauthenticated: Not the server's current key, or another machine's.
        """
        key = rules.required_secret(bootstrap_key, field="bootstrapKey")
        machine = rules.required_text(machine_id, field="machineId")
        hit = await self._d.limits.hit("recover", machine, window_seconds=rules.RECOVER_WINDOW)
        if hit.count > rules.RECOVER_LIMIT:
            raise TooManyRequests(RECOVER_LIMITED, retry_after=hit.retry_after)
        now = self._d.clock()
        async with self._d.sessions() as session, session.begin():
            server = await repo.lock_by_bootstrap_key(session, key_hash=m.digest(key))
            if server is not None and server.machine_id in ("", machine):
                await repo.revoke_all(session, server_id=server.id, now=now)
                await repo.update_server(session, server_id=server.id, now=now, machine_id=machine)
                credentials = await self._issue(session, server_id=server.id, now=now)
                log.info("server recovered", server_id=server.id, org_id=server.org_id)
                return credentials
        raise Unauthenticated(INVALID_BOOTSTRAP)

    async def revoke(self, *, principal: Principal, server_id: str) -> m.Revocation:
        """Revoke every credential of an org's server and ask its live stream to close.

        Raises:
            PermissionDenied: Not an org admin or owner.
            NotFound: Unknown, or another org's server.
        """
        operator = rules.require_admin(principal, action="revoking server credentials")
        if not server_id.strip():
            raise NotFound(SERVER_NOT_FOUND)
        now = self._d.clock()
        async with self._d.sessions() as session, session.begin():
            server = await repo.lock_server(session, server_id=server_id, org_id=operator.org_id)
            if server is None:
                raise NotFound(SERVER_NOT_FOUND)
            revoked = await repo.revoke_all(session, server_id=server.id, now=now)
            await repo.mark_revoked(session, server_id=server.id, now=now)
            await self._d.events.add(
                session, ev.ServerRevoked(server_id=server.id, org_id=server.org_id, occurred_at=now)
            )
        disconnected = await self._d.disconnector.disconnect(server_id=server.id, org_id=server.org_id)
        log.info("server credentials revoked", server_id=server.id, revoked_tokens=revoked)
        return m.Revocation(revoked_tokens=revoked, disconnected=disconnected)
