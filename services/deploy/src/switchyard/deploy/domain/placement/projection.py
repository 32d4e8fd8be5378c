"""The servers projection: ``agents.server.registered`` adds or revives a server, ``agents.server.revoked``
marks it revoked (and deleted when the agents service deleted it). Idempotent and order-safe: an event no
newer than the last one applied to the server changes nothing."""

from __future__ import annotations

from switchyard.deploy.domain.changes import models as ch
from switchyard.deploy.domain.changes.recorder import record_many
from switchyard.deploy.domain.context import Deps
from switchyard.deploy.domain.placement import repository as repo
from switchyard.deploy.domain.placement.models import ServerSeen

ACTOR = "agents"


class ServerProjection:
    """Applies the agents service's server events to the ``servers`` table."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def apply(self, seen: ServerSeen) -> bool:
        """Apply one event; True when it changed the projection."""
        if not seen.server_id or not seen.org_id:
            return False
        async with self._d.sessions() as session, session.begin():
            view = await repo.upsert_seen(session, seen)
            if view is None:
                return False
            kind = ch.SERVER_REGISTERED if seen.registered else ch.SERVER_REVOKED
            summary = {"deleted": seen.deleted} if not seen.registered else {}
            draft = ch.ChangeDraft(type=kind, entity_type="server", entity_id=view.server_id, summary=summary)
            await record_many(session, self._d, org_id=view.org_id, actor=ACTOR, drafts=[draft])
        return True
