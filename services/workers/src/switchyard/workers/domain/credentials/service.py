"""The credential store: upsert (a replacement is a rotation), list, delete, and snapshots for agents."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from cryptography.exceptions import InvalidTag
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.grpckit.errors import Conflict, NotFound
from switchyard.grpckit.principal import Principal
from switchyard.obs import get_logger
from switchyard.workers.db.models import Credential
from switchyard.workers.domain.context import Deps
from switchyard.workers.domain.credentials import repository as repo
from switchyard.workers.domain.credentials import rules
from switchyard.workers.domain.credentials.models import CredentialInfo, Snapshot, new_credential_id
from switchyard.workers.domain.credentials.sealing import open_sealed, seal
from switchyard.workers.domain.events import CredentialsRotated, CredentialsSnapshotted

log = get_logger(__name__)
# How long a daemon may use a snapshot before fetching a new one.
SNAPSHOT_LIFETIME = timedelta(minutes=15)


def rotation_msg_id() -> str:
    """The dedupe id shared by the outbox row and the direct publish of one rotation."""
    return f"workers-credentials-rotated-{uuid.uuid4().hex}"


class CredentialService:
    """StoreCredential, ListCredentials, DeleteCredential and SnapshotCredentials."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def store(
        self,
        *,
        principal: Principal,
        org_id: str,
        name: str,
        value: str,
        kind: str,
        project_id: str = "",
        env_name: str = "",
    ) -> tuple[CredentialInfo, bool]:
        """Create or replace a credential; ``(metadata, rotated)`` where rotated means it replaced one."""
        rules.require_manager(principal)
        org = rules.same_org(principal, org_id)
        key = {
            "org_id": org,
            "project_id": rules.project_of(project_id),
            "env_name": rules.env_of(env_name),
            "name": rules.name_of(name),
        }
        row = Credential(id=new_credential_id(), kind=rules.kind_of(kind), rotated_at=None, **key)
        secret = rules.secret_of(value)
        row.created_at = row.updated_at = self._d.clock()
        row.value_enc = seal(secret, kek=self._d.kek, org_id=org, credential_id=row.id)
        msg_id = rotation_msg_id()
        async with self._d.sessions() as s, s.begin():
            rotated = None
            if not await repo.insert_new(s, row):
                row = await self._replace(s, row, secret)
                who, whom = rules.actor(principal)
                rotated = CredentialsRotated.of(
                    org_id=org, kind=row.kind, rotated_at=row.updated_at, actor_kind=who, actor_id=whom
                )
                self._d.rotations.stage(s, rotated, msg_id=msg_id)
        if rotated is not None:
            await self._d.rotations.announce(rotated, msg_id=msg_id)
        log.info("credential stored", org_id=org, credential_id=row.id, name=row.name, rotated=bool(rotated))
        return CredentialInfo.of(row), rotated is not None

    async def _replace(self, s: AsyncSession, new: Credential, secret: str) -> Credential:
        # The existing row keeps its id and creation time; the value is resealed under that id.
        found = await repo.by_key(
            s, org_id=new.org_id, project_id=new.project_id, env_name=new.env_name, name=new.name
        )
        if found is None:
            raise Conflict("the credential changed concurrently; retry")
        found.value_enc = seal(secret, kek=self._d.kek, org_id=found.org_id, credential_id=found.id)
        found.kind, found.updated_at, found.rotated_at = new.kind, new.updated_at, new.updated_at
        return found

    async def list_credentials(
        self, *, principal: Principal, org_id: str, project_id: str | None, env_name: str
    ) -> list[CredentialInfo]:
        """The org's credential metadata (optionally one project's and/or one environment's)."""
        org = rules.require_manager(principal)
        if org_id:
            rules.same_org(principal, org_id)
        project = None if project_id is None else rules.project_of(project_id)
        env = rules.env_of(env_name) if env_name else ""
        async with self._d.reads() as s:
            rows = await repo.listed(s, org_id=org, project_id=project, env_name=env)
        return [CredentialInfo.of(row) for row in rows]

    async def delete(self, *, principal: Principal, credential_id: str) -> None:
        """Remove a credential of the caller's org (another org's does not exist)."""
        org = rules.require_manager(principal)
        async with self._d.sessions() as s, s.begin():
            row = await repo.get(s, credential_id) if credential_id else None
            if row is None or row.org_id != org:
                raise NotFound("Credential not found")
            await repo.remove(s, row.id)
        log.info("credential deleted", org_id=org, credential_id=row.id, name=row.name)

    async def snapshot(
        self, *, principal: Principal, org_id: str, project_id: str, env_name: str, session_id: str
    ) -> Snapshot:
        """Org-wide values overridden by the project's, daemon-internal names stripped; audited by name."""
        rules.require_reader(principal)
        org = rules.same_org(principal, org_id)
        project = rules.project_of(project_id)
        rules.check_project(principal, project)
        env = rules.env_of(env_name)
        session = rules.optional_session(session_id)
        now = self._d.clock()
        async with self._d.sessions() as s, s.begin():
            rows = await repo.for_snapshot(s, org_id=org, project_id=project, env_name=env)
            served = self._open(rows)
            who, whom = rules.actor(principal)
            audit = CredentialsSnapshotted(
                org_id=org,
                project_id=project,
                env_name=env,
                session_id=session,
                names=tuple(sorted(served)),
                actor_kind=who,
                actor_id=whom,
                occurred_at=now,
            )
            await self._d.events.add(s, audit)
        log.info(
            "credentials snapshotted", org_id=org, project_id=project, env_name=env, names=list(audit.names)
        )
        return Snapshot(env=served, refresh_until=now + SNAPSHOT_LIFETIME)

    def _open(self, rows: Sequence[Credential]) -> dict[str, str]:
        served: dict[str, str] = {}
        for row in rows:
            # Rows stored before a name joined the blocklist are still never served.
            if rules.is_blocked(row.name):
                continue
            try:
                served[row.name] = open_sealed(
                    row.value_enc, kek=self._d.kek, org_id=row.org_id, credential_id=row.id
                )
            except InvalidTag:
                # Sealed under another KEK (or tampered with): an operator error, not something to hide.
                log.error("credential cannot be decrypted", org_id=row.org_id, credential_id=row.id)
                raise
        return served
