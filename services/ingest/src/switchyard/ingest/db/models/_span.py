"""Spans received over OTLP."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Identity, Index, SmallInteger, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.ingest.db.base import Base


class Span(Base):
    """One span; ``(org_id, trace_id, span_id)`` is unique, so a redelivered export stores nothing twice."""

    __tablename__ = "spans"
    __table_args__ = (
        UniqueConstraint("org_id", "trace_id", "span_id"),
        Index("ix_spans_org_service_start", "org_id", "service_name", "start_ns"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    org_id: Mapped[str] = mapped_column(Text)
    project_id: Mapped[int] = mapped_column(BigInteger)
    app_id: Mapped[str] = mapped_column(Text)
    trace_id: Mapped[str] = mapped_column(Text)
    span_id: Mapped[str] = mapped_column(Text)
    parent_span_id: Mapped[str] = mapped_column(Text)
    service_name: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[int] = mapped_column(SmallInteger)
    start_ns: Mapped[int] = mapped_column(BigInteger)
    end_ns: Mapped[int] = mapped_column(BigInteger)
    duration_ns: Mapped[int] = mapped_column(BigInteger)
    status_code: Mapped[int] = mapped_column(SmallInteger)
    status_message: Mapped[str] = mapped_column(Text)
    attributes: Mapped[dict[str, Any]]
    # [{name, timeUnixNano, attributes}]
    events: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    resource: Mapped[dict[str, Any]]
    received_at: Mapped[datetime]
