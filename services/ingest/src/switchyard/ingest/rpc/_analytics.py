"""Analytics and service-metrics RPCs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from switchyard.grpckit.principal import get_principal
from switchyard.ingest.domain.metrics.keys import KeyView
from switchyard.ingest.rpc._context import Base, Context
from switchyard.ingest.rpc._mapping import ts
from switchyard.ingest.v1 import analytics_pb2 as pb


def _when(message: Any, field: str) -> datetime | None:
    if not message.HasField(field):
        return None
    value: Timestamp = getattr(message, field)
    return value.ToDatetime(tzinfo=UTC)


def _key(view: KeyView) -> pb.MetricsKey:
    key = pb.MetricsKey(
        id=view.id, org_id=view.org_id, name=view.name, prefix=view.prefix, created_at=ts(view.created_at)
    )
    if view.revoked_at is not None:
        key.revoked_at.CopyFrom(ts(view.revoked_at))
    return key


class AnalyticsRpc(Base):
    """Event lists, top names, funnels, retention; metrics keys, pushes and range queries."""

    async def ListAnalyticsEvents(
        self, request: pb.ListAnalyticsEventsRequest, context: Context
    ) -> pb.ListAnalyticsEventsResponse:
        """The org's events, newest first."""
        rows = await self._s.analytics.list_events(
            principal=get_principal(),
            event=request.event,
            app_id=request.app_id,
            start=_when(request, "from"),
            end=_when(request, "to"),
            limit=request.limit,
        )
        return pb.ListAnalyticsEventsResponse(
            events=[
                pb.AnalyticsEvent(
                    uuid=r.uuid,
                    app_id=r.app_id,
                    event=r.event,
                    distinct_id=r.distinct_id,
                    properties_json=json_text(r.properties),
                    timestamp=ts(r.ts),
                )
                for r in rows
            ]
        )

    async def TopAnalyticsEvents(
        self, request: pb.TopAnalyticsEventsRequest, context: Context
    ) -> pb.TopAnalyticsEventsResponse:
        """The 20 most frequent names."""
        rows = await self._s.analytics.top(
            principal=get_principal(),
            app_id=request.app_id,
            start=_when(request, "from"),
            end=_when(request, "to"),
        )
        return pb.TopAnalyticsEventsResponse(
            events=[pb.AnalyticsEventCount(event=e, count=c, distinct_ids=d) for e, c, d in rows]
        )

    async def AnalyticsFunnel(
        self, request: pb.AnalyticsFunnelRequest, context: Context
    ) -> pb.AnalyticsFunnelResponse:
        """Distinct ids per funnel step."""
        rows = await self._s.analytics.funnel(
            principal=get_principal(),
            steps=list(request.steps),
            app_id=request.app_id,
            start=_when(request, "from"),
            end=_when(request, "to"),
            window_hours=request.window_hours,
        )
        return pb.AnalyticsFunnelResponse(steps=[pb.AnalyticsFunnelStep(event=e, count=c) for e, c in rows])

    async def AnalyticsRetention(
        self, request: pb.AnalyticsRetentionRequest, context: Context
    ) -> pb.AnalyticsRetentionResponse:
        """Cohort retention."""
        cohorts = await self._s.analytics.retention(
            principal=get_principal(),
            period=request.period,
            periods=request.periods,
            start_event=request.start_event,
            return_event=request.return_event,
            app_id=request.app_id,
            start=_when(request, "from"),
        )
        return pb.AnalyticsRetentionResponse(
            cohorts=[
                pb.AnalyticsRetentionCohort(start=ts(c.start), size=c.size, retained=c.retained)
                for c in cohorts
            ]
        )

    async def AnalyticsRetentionSummary(
        self, request: pb.AnalyticsRetentionSummaryRequest, context: Context
    ) -> pb.AnalyticsRetentionSummaryResponse:
        """D1/D7/D30."""
        s = await self._s.analytics.summary(
            principal=get_principal(),
            start_event=request.start_event,
            return_event=request.return_event,
            app_id=request.app_id,
            start=_when(request, "from"),
            end=_when(request, "to"),
        )
        return pb.AnalyticsRetentionSummaryResponse(cohort_size=s.cohort_size, d1=s.d1, d7=s.d7, d30=s.d30)

    async def CreateMetricsKey(
        self, request: pb.CreateMetricsKeyRequest, context: Context
    ) -> pb.CreateMetricsKeyResponse:
        """Mint a push key."""
        view, raw = await self._s.metrics_keys.create(principal=get_principal(), name=request.name)
        return pb.CreateMetricsKeyResponse(key=_key(view), raw_key=raw)

    async def ListMetricsKeys(
        self, request: pb.ListMetricsKeysRequest, context: Context
    ) -> pb.ListMetricsKeysResponse:
        """The org's push keys."""
        views = await self._s.metrics_keys.list(principal=get_principal())
        return pb.ListMetricsKeysResponse(keys=[_key(v) for v in views])

    async def RevokeMetricsKey(
        self, request: pb.RevokeMetricsKeyRequest, context: Context
    ) -> pb.RevokeMetricsKeyResponse:
        """Revoke a push key."""
        view = await self._s.metrics_keys.revoke(principal=get_principal(), key_id=request.key_id)
        return pb.RevokeMetricsKeyResponse(key=_key(view))

    async def PushServiceMetrics(
        self, request: pb.PushServiceMetricsRequest, context: Context
    ) -> pb.PushServiceMetricsResponse:
        """Validate a push and answer once it is durable in JetStream."""
        accepted = await self._s.metrics.push(
            raw_key=request.raw_key, service_id=request.service_id, body=request.body
        )
        return pb.PushServiceMetricsResponse(accepted=accepted)

    async def QueryServiceMetrics(
        self, request: pb.QueryServiceMetricsRequest, context: Context
    ) -> pb.QueryServiceMetricsResponse:
        """Bucketed series per instance."""
        series, bucket = await self._s.metrics.query(
            principal=get_principal(), service_id=request.service_id, range_=request.range, name=request.name
        )
        return pb.QueryServiceMetricsResponse(
            bucket_seconds=bucket,
            series=[
                pb.MetricSeries(
                    name=s.name,
                    instance=s.instance,
                    points=[pb.MetricPoint(timestamp=ts(t), value=v, samples=n) for t, v, n in s.points],
                )
                for s in series
            ],
        )


def json_text(value: Any) -> str:
    """Compact JSON of a stored jsonb value."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
