"""The log store: OTLP log records and agent log entries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Identity, Index, SmallInteger, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.ingest.db.base import Base


class LogRecord(Base):
    """One log line. ``dedupe_key`` (the message id and the record's place in it) is unique per org, so a
    redelivered message stores nothing twice."""

    __tablename__ = "logs"
    __table_args__ = (
        UniqueConstraint("org_id", "dedupe_key"),
        Index("ix_logs_org_app_ts", "org_id", "app_id", "ts", "id"),
        Index("ix_logs_org_ts", "org_id", "ts", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    org_id: Mapped[str] = mapped_column(Text)
    app_id: Mapped[str] = mapped_column(Text)
    server_id: Mapped[str] = mapped_column(Text)
    # otlp | agent
    source: Mapped[str] = mapped_column(Text)
    ts: Mapped[datetime]
    # trace | debug | info | warn | error | fatal
    level: Mapped[str] = mapped_column(Text)
    severity_number: Mapped[int] = mapped_column(SmallInteger)
    body: Mapped[str] = mapped_column(Text)
    attributes: Mapped[dict[str, Any]]
    trace_id: Mapped[str] = mapped_column(Text)
    span_id: Mapped[str] = mapped_column(Text)
    service_name: Mapped[str] = mapped_column(Text)
    dedupe_key: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]
