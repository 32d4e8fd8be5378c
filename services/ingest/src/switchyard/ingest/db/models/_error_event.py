"""Error events in their canonical form."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Identity, Index, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.ingest.db.base import Base


class ErrorEvent(Base):
    """One event; the SDK's ``event_id`` is unique per project, which makes redelivery harmless."""

    __tablename__ = "error_events"
    __table_args__ = (
        UniqueConstraint("project_id", "event_id"),
        Index("ix_error_events_group_received", "group_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    org_id: Mapped[str] = mapped_column(Text)
    project_id: Mapped[int] = mapped_column(BigInteger)
    event_id: Mapped[str] = mapped_column(Text)
    group_id: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    platform: Mapped[str] = mapped_column(Text)
    release: Mapped[str] = mapped_column(Text)
    environment: Mapped[str] = mapped_column(Text)
    # [{type, value, module, frames: [{filename, function, module, lineno, colno, in_app, context_line}]}]
    exceptions: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    tags: Mapped[dict[str, Any]]
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime]
