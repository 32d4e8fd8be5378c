"""``GET /api/changes``: the tenant's change feed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from switchyard.deploy.v1 import deploy_service_pb2 as pb
from switchyard.gateway.auth.deps import TENANT
from switchyard.gateway.domain.deploy import schemas as s
from switchyard.gateway.domain.deploy.projects import SECURITY, TAGS
from switchyard.gateway.errors import GatewayError
from switchyard.gateway.state import Gateway
from switchyard.grpckit.principal import Principal

_DURATION = re.compile(r"^(\d{1,6})([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def since_stamp(since: str, now: datetime) -> Timestamp | None:
    """``since`` as a Timestamp: a duration back from now (``90s``, ``30m``, ``24h``, ``7d``) or an RFC 3339
    time; None when empty (the service's default of 24 hours)."""
    text = since.strip()
    if not text:
        return None
    found = _DURATION.match(text)
    try:
        if found:
            moment = now - timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                raise ValueError("no offset")
    except (ValueError, OverflowError) as exc:
        raise GatewayError(400, "since must be a duration like 24h or an RFC 3339 time") from exc
    stamp = Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC))
    return stamp


class ChangesController(Controller):
    """The change feed of the caller's org."""

    path = "/api/changes"
    tags = TAGS
    security = SECURITY
    dependencies = TENANT

    @get(
        "/",
        operation_id="listChanges",
        description="Returns a unified, newest-first slice of changes across projects, apps, environments, env vars (set, rotate, remove, reveal) and server state transitions (labels, cordon/drain, pool, registration). Accepts ?since=<dur or RFC 3339> (default 24h, max 30d), ?limit=<n> (default 100, max 500), ?types=<csv> (a type such as env.set or a category such as env), ?app=<id, slug or name> and ?cursor= (the previous page's nextCursor). Tenant-scoped; never emits env var values.",  # noqa: E501
    )
    async def list_changes(
        self,
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        since: FromQuery[str] = "",
        limit: FromQuery[int] = 0,
        types: FromQuery[str] = "",
        app: FromQuery[str] = "",
        cursor: FromQuery[str] = "",
    ) -> s.ChangeList:
        """A page of the feed."""
        request = pb.ListChangesRequest(
            since=since_stamp(since, datetime.now(UTC)),
            limit=limit,
            types=[t.strip() for t in types.split(",") if t.strip()],
            app=app,
            cursor=cursor,
        )
        response = await gateway.deploy.list_changes(principal, request)
        return s.ChangeList(
            changes=[s.change(c) for c in response.changes], next_cursor=response.next_cursor or None
        )
