"""Product-analytics events (PostHog capture), service-metric points and their push keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Double, Identity, Index, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.ingest.db.base import Base


class AnalyticsEvent(Base):
    """One captured event; ``(org_id, uuid)`` is unique, which makes a redelivered batch harmless."""

    __tablename__ = "analytics_events"
    __table_args__ = (
        UniqueConstraint("org_id", "uuid"),
        Index("ix_analytics_events_org_ts", "org_id", "ts"),
        Index("ix_analytics_events_org_event_ts", "org_id", "event", "ts"),
        Index("ix_analytics_events_org_distinct_ts", "org_id", "distinct_id", "ts"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    org_id: Mapped[str] = mapped_column(Text)
    app_id: Mapped[str] = mapped_column(Text)
    dsn_id: Mapped[str] = mapped_column(Text)
    uuid: Mapped[str] = mapped_column(Text)
    event: Mapped[str] = mapped_column(Text)
    distinct_id: Mapped[str] = mapped_column(Text)
    properties: Mapped[dict[str, Any]]
    ts: Mapped[datetime]
    received_at: Mapped[datetime]


class MetricsKey(Base):
    """A push api key of service metrics: only the SHA-256 of the raw key is kept."""

    __tablename__ = "metrics_keys"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    org_id: Mapped[str] = mapped_column(Text, index=True)
    name: Mapped[str] = mapped_column(Text)
    prefix: Mapped[str] = mapped_column(Text)
    key_hash: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class MetricPoint(Base):
    """One pushed sample of a service's metric on one instance."""

    __tablename__ = "metric_points"
    __table_args__ = (Index("ix_metric_points_org_service_ts", "org_id", "service_id", "ts"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    org_id: Mapped[str] = mapped_column(Text)
    service_id: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    instance: Mapped[str] = mapped_column(Text)
    value: Mapped[float] = mapped_column(Double)
    labels: Mapped[dict[str, Any]]
    ts: Mapped[datetime]
