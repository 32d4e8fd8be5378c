"""Service-metric use cases: accept a push (durable in JetStream before the answer), store, query."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.grpckit.errors import InvalidArgument, NotFound
from switchyard.grpckit.principal import Principal
from switchyard.ingest.db.models import MetricPoint
from switchyard.ingest.domain.access import reader_org
from switchyard.ingest.domain.common import new_id
from switchyard.ingest.domain.context import Deps
from switchyard.ingest.domain.metrics import push
from switchyard.ingest.domain.metrics.keys import MetricsKeyService

# Publishes (payload, msg id) to the metrics subject and returns once JetStream acknowledged it.
Publish = Callable[[bytes, str], Awaitable[None]]

# range -> (span, bucket width in seconds)
RANGES = {
    "1h": (timedelta(hours=1), 60),
    "6h": (timedelta(hours=6), 300),
    "24h": (timedelta(hours=24), 900),
    "7d": (timedelta(days=7), 3600),
}


@dataclass(frozen=True, slots=True)
class Series:
    """One metric of one instance: (bucket start, average, samples) oldest first."""

    name: str
    instance: str
    points: list[tuple[datetime, float, int]] = field(default_factory=list)


class MetricsService:
    """Push and query service metrics."""

    def __init__(self, deps: Deps, *, keys: MetricsKeyService, publish: Publish) -> None:
        self._deps, self._keys, self._publish = deps, keys, publish

    async def push(self, *, raw_key: str, service_id: str, body: bytes) -> int:
        """Authenticate ``raw_key`` (no cache: a revoked key fails at once), validate, publish; the count."""
        key = await self._keys.resolve(raw_key=raw_key)
        service = push.service_id(service_id)
        points = push.parse_push(body, now=self._deps.clock())
        await self._publish(push.encode(org_id=key.org_id, service=service, points=points), new_id())
        return len(points)

    async def query(
        self, *, principal: Principal, service_id: str, range_: str, name: str
    ) -> tuple[list[Series], int]:
        """The service's series over ``range_`` in buckets; NOT_FOUND when the org never pushed for it."""
        org = reader_org(principal)
        service = push.service_id(service_id)
        if range_ not in RANGES:
            raise InvalidArgument(
                "range must be 1h, 6h, 24h or 7d", fields={"range": "must be 1h, 6h, 24h or 7d"}
            )
        if name and not push.NAME.match(name):
            raise InvalidArgument("name is not a metric name", fields={"name": "invalid"})
        span, bucket = RANGES[range_]
        binds: dict[str, Any] = {"org": org, "service": service}
        async with self._deps.reads() as session:
            known = await session.scalar(
                text(
                    "SELECT EXISTS (SELECT 1 FROM ingest.metric_points"
                    " WHERE org_id = :org AND service_id = :service)"
                ),
                binds,
            )
            if not known:
                raise NotFound("service has no metrics")
            rows = await session.execute(
                text(
                    "SELECT name, instance,"  # noqa: S608 - fixed fragments only, values bound
                    " to_timestamp(floor(extract(epoch FROM ts) / :bucket) * :bucket) AS b,"
                    " avg(value), count(*) FROM ingest.metric_points"
                    " WHERE org_id = :org AND service_id = :service AND ts >= :since"
                    + (" AND name = :name" if name else "")
                    + " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
                ),
                {
                    **binds,
                    "bucket": bucket,
                    "since": self._deps.clock() - span,
                    **({"name": name} if name else {}),
                },
            )
        series: dict[tuple[str, str], Series] = {}
        for metric, instance, start, avg, samples in rows:
            series.setdefault((metric, instance), Series(name=metric, instance=instance)).points.append(
                (start, float(avg), int(samples))
            )
        return list(series.values()), bucket


# Built once, executed with the rows as parameters (insertmanyvalues): one cached compilation.
_INSERT_POINTS = insert(MetricPoint)


async def store_points(session: AsyncSession, pushes: list[tuple[str, str, list[push.Point]]]) -> int:
    """Insert the points of decoded pushes in the caller's transaction; returns how many."""
    rows = [
        {
            "org_id": org,
            "service_id": service,
            "name": p.name,
            "instance": p.instance,
            "value": p.value,
            "labels": p.labels,
            "ts": p.ts,
        }
        for org, service, points in pushes
        for p in points
    ]
    if rows:
        await session.execute(_INSERT_POINTS, rows)
    return len(rows)
