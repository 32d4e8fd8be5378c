"""The one write path of env vars: seal what changed, drop what a replace leaves out, record each key."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.deploy.domain import common
from switchyard.deploy.domain.access import Actor
from switchyard.deploy.domain.apps.models import AppView, EnvironmentView
from switchyard.deploy.domain.changes import models as ch
from switchyard.deploy.domain.changes.recorder import record
from switchyard.deploy.domain.context import Deps
from switchyard.deploy.domain.envvars import repository as repo
from switchyard.deploy.domain.envvars.models import PER_ENVIRONMENT_MAX
from switchyard.deploy.domain.envvars.sealing import open_sealed, seal
from switchyard.grpckit.errors import InvalidArgument


@dataclass(frozen=True, slots=True)
class Place:
    """Where a variable lives: the seal's associated data is built from these ids."""

    app: AppView
    environment: EnvironmentView

    def seal(self, deps: Deps, key: str, value: str) -> bytes:
        """``value`` sealed for this place and key."""
        return seal(
            value,
            kek=deps.env_kek,
            org_id=self.app.org_id,
            app_id=self.app.id,
            environment_id=self.environment.id,
            key=key,
        )

    def open(self, deps: Deps, key: str, blob: bytes) -> str | None:
        """The plaintext of a sealed value stored here, or None when it does not open."""
        return open_sealed(
            blob,
            kek=deps.env_kek,
            org_id=self.app.org_id,
            app_id=self.app.id,
            environment_id=self.environment.id,
            key=key,
        )

    def draft(self, kind: str, entity_id: str, key: str, **summary: object) -> ch.ChangeDraft:
        """A feed entry naming the key (never the value)."""
        return ch.ChangeDraft(
            type=kind,
            entity_type="env_var",
            entity_id=entity_id,
            app_id=self.app.id,
            summary={"key": key, "environment": self.environment.name, **summary},
        )


async def apply(
    session: AsyncSession,
    deps: Deps,
    actor: Actor,
    place: Place,
    wanted: Mapping[str, str],
    *,
    replace: bool,
    note: Mapping[str, object] | None = None,
) -> list[str]:
    """Set ``wanted`` in the place's environment (the caller holds the app's row lock); with ``replace``
    remove every other key. Unchanged values are left alone. Returns the removed keys."""
    existing = {row.key: row for row in await repo.sealed(session, environment_id=place.environment.id)}
    removed = sorted(set(existing) - set(wanted)) if replace else []
    total = len(set(existing) | set(wanted)) - len(removed)
    if total > PER_ENVIRONMENT_MAX:
        raise InvalidArgument(
            f"vars would leave {total} variables; at most {PER_ENVIRONMENT_MAX} per environment"
        )
    extra = dict(note or {})
    plan = _plan(deps, actor, place, existing, wanted, extra)
    await repo.delete_keys(session, environment_id=place.environment.id, keys=removed)
    plan.drafts.extend(place.draft(ch.ENV_REMOVE, existing[key].id, key, **extra) for key in removed)
    await repo.insert_many(session, plan.inserts)
    await repo.reseal_many(session, plan.reseals)
    await record(session, deps, actor, *plan.drafts)
    return removed


@dataclass(frozen=True, slots=True)
class _Plan:
    """What a write does: rows to insert, values to reseal, feed entries."""

    inserts: list[dict[str, Any]] = field(default_factory=list)
    reseals: list[dict[str, Any]] = field(default_factory=list)
    drafts: list[ch.ChangeDraft] = field(default_factory=list)


def _plan(
    deps: Deps,
    actor: Actor,
    place: Place,
    existing: Mapping[str, Any],
    wanted: Mapping[str, str],
    extra: Mapping[str, object],
) -> _Plan:
    # New keys are inserted, changed values resealed in place (the row keeps its id); equal values stay.
    plan, now = _Plan(), deps.clock()
    for key, value in wanted.items():
        row = existing.get(key)
        if row is None:
            row_id = common.new_id()
            plan.inserts.append(_new_row(actor, place, row_id, key, place.seal(deps, key, value), now))
            plan.drafts.append(place.draft(ch.ENV_SET, row_id, key, **extra))
        elif place.open(deps, key, row.value_enc) != value:
            blob = place.seal(deps, key, value)
            plan.reseals.append(
                {"row_id": row.id, "value_enc": blob, "updated_by": actor.name, "updated_at": now}
            )
            plan.drafts.append(place.draft(ch.ENV_ROTATE, row.id, key, **extra))
    return plan


def _new_row(actor: Actor, place: Place, row_id: str, key: str, blob: bytes, now: object) -> dict[str, Any]:
    return {
        "id": row_id,
        "org_id": place.app.org_id,
        "app_id": place.app.id,
        "environment_id": place.environment.id,
        "key": key,
        "value_enc": blob,
        "created_by": actor.name,
        "updated_by": actor.name,
        "created_at": now,
        "updated_at": now,
    }
