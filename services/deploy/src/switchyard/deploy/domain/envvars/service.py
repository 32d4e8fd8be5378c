"""Env var use cases: list (masked), bulk put, update, delete, reveal (audited), clone."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.deploy.domain.access import Actor, reader_org, revealer, writer
from switchyard.deploy.domain.apps import repository as apps
from switchyard.deploy.domain.apps.models import environment_name_of
from switchyard.deploy.domain.apps.service import found_app
from switchyard.deploy.domain.changes import models as ch
from switchyard.deploy.domain.changes.recorder import record
from switchyard.deploy.domain.context import Deps
from switchyard.deploy.domain.envvars import models as m
from switchyard.deploy.domain.envvars import repository as repo
from switchyard.deploy.domain.envvars.writes import Place, apply
from switchyard.deploy.domain.events import EnvVarRevealed
from switchyard.grpckit.errors import Conflict, InvalidArgument, NotFound
from switchyard.grpckit.principal import Principal
from switchyard.obs import get_logger

log = get_logger(__name__)
NOT_FOUND = "env var not found"
UNREADABLE = "the env var's stored value cannot be decrypted"


async def find_place(
    session: AsyncSession,
    org_id: str,
    app_id: str,
    environment: str,
    *,
    lock: bool,
    field: str = "environment",
) -> Place:
    """The org's app and its named environment ("" = production); ``lock`` takes the app's row lock, which
    serialises every env var write of the app."""
    name = environment_name_of(environment, field)
    app = await found_app(session, org_id, app_id, lock=lock)
    env = await apps.environment(session, org_id=org_id, app_id=app.id, name=name)
    if env is None:
        raise NotFound("environment not found")
    return Place(app=app, environment=env)


class EnvVarService:
    """Env vars of an org's apps."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def list(self, *, principal: Principal, app_id: str, environment: str) -> list[m.EnvVarView]:
        """An environment's variables by key, masked."""
        org = reader_org(principal)
        async with self._d.reads() as session:
            place = await find_place(session, org, app_id, environment, lock=False)
            return await repo.listing(session, environment_id=place.environment.id)

    async def put(
        self,
        *,
        principal: Principal,
        app_id: str,
        environment: str,
        inputs: Sequence[m.EnvVarInput],
        replace: bool,
    ) -> m.PutResult:
        """Set many variables in one transaction; with ``replace`` every key not listed is removed."""
        actor = writer(principal)
        wanted = m.inputs_of(inputs, replace=replace)
        async with self._d.sessions() as session, session.begin():
            place = await find_place(session, actor.org_id, app_id, environment, lock=True)
            removed = await apply(session, self._d, actor, place, wanted, replace=replace)
            listing = await repo.listing(session, environment_id=place.environment.id)
        return m.PutResult(env_vars=tuple(listing), removed_keys=tuple(removed))

    async def update(
        self, *, principal: Principal, app_id: str, environment: str, key: str, value: str
    ) -> m.EnvVarView:
        """Replace the value of a variable that exists."""
        actor = writer(principal)
        clean_key, clean_value = m.key_of(key), m.value_of(value)
        async with self._d.sessions() as session, session.begin():
            place = await find_place(session, actor.org_id, app_id, environment, lock=True)
            if await repo.one(session, environment_id=place.environment.id, key=clean_key) is None:
                raise NotFound(NOT_FOUND)
            await apply(session, self._d, actor, place, {clean_key: clean_value}, replace=False)
            row = await repo.one(session, environment_id=place.environment.id, key=clean_key)
        return repo.to_view(row)

    async def delete(self, *, principal: Principal, app_id: str, environment: str, key: str) -> None:
        """Remove one variable."""
        actor = writer(principal)
        clean_key = m.key_of(key)
        async with self._d.sessions() as session, session.begin():
            place = await find_place(session, actor.org_id, app_id, environment, lock=True)
            row = await repo.one(session, environment_id=place.environment.id, key=clean_key)
            if row is None:
                raise NotFound(NOT_FOUND)
            await repo.delete_keys(session, environment_id=place.environment.id, keys=[clean_key])
            await record(session, self._d, actor, place.draft(ch.ENV_REMOVE, row.id, clean_key))

    async def reveal(
        self, *, principal: Principal, app_id: str, environment: str, key: str, reason: str
    ) -> str:
        """The plaintext of one variable, for an org admin or owner with a reason; audited."""
        actor = revealer(principal)
        clean_key, why = m.key_of(key), m.reason_of(reason)
        async with self._d.sessions() as session, session.begin():
            place = await find_place(session, actor.org_id, app_id, environment, lock=False)
            row = await repo.one(session, environment_id=place.environment.id, key=clean_key)
            if row is None:
                raise NotFound(NOT_FOUND)
            value = place.open(self._d, clean_key, row.value_enc)
            if value is None:
                log.warning("env var does not decrypt", app_id=place.app.id, key=clean_key)
                raise Conflict(UNREADABLE)
            await self._audit(session, actor, place, clean_key, why)
        return value

    async def _audit(self, session: AsyncSession, actor: Actor, place: Place, key: str, reason: str) -> None:
        now = self._d.clock()
        reveal_id = await repo.add_reveal(
            session,
            {
                "org_id": actor.org_id,
                "app_id": place.app.id,
                "environment": place.environment.name,
                "key": key,
                "actor": actor.name,
                "reason": reason,
                "created_at": now,
            },
        )
        await record(session, self._d, actor, place.draft(ch.ENV_REVEAL, str(reveal_id), key, reason=reason))
        event = EnvVarRevealed(
            reveal_id=reveal_id,
            org_id=actor.org_id,
            app_id=place.app.id,
            environment=place.environment.name,
            key=key,
            actor=actor.name,
            reason=reason,
            occurred_at=now,
        )
        await self._d.events.add(session, event)

    async def clone(
        self, *, principal: Principal, app_id: str, source: str, target: str, overwrite: bool
    ) -> m.CloneResult:
        """Copy every variable of one environment of the app to another."""
        actor = writer(principal)
        if not source.strip():
            raise InvalidArgument("from is required")
        if not target.strip():
            raise InvalidArgument("to is required")
        if environment_name_of(source, "from") == environment_name_of(target, "to"):
            raise InvalidArgument("to must name another environment than from")
        async with self._d.sessions() as session, session.begin():
            origin = await find_place(session, actor.org_id, app_id, source, lock=True, field="from")
            dest = await find_place(session, actor.org_id, app_id, target, lock=False, field="to")
            present = {row.key for row in await repo.sealed(session, environment_id=dest.environment.id)}
            wanted: dict[str, str] = {}
            skipped: list[str] = []
            for row in await repo.sealed(session, environment_id=origin.environment.id):
                if row.key in present and not overwrite:
                    skipped.append(row.key)
                    continue
                value = origin.open(self._d, row.key, row.value_enc)
                if value is None:
                    log.warning("env var does not decrypt", app_id=origin.app.id, key=row.key)
                    raise Conflict(UNREADABLE)
                wanted[row.key] = value
            note = {"clonedFrom": origin.environment.name}
            await apply(session, self._d, actor, dest, wanted, replace=False, note=note)
        return m.CloneResult(copied_keys=tuple(wanted), skipped_keys=tuple(skipped))
