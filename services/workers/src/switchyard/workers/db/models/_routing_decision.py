"""Routing decisions: every provider choice the selector made, for the metrics view."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.workers.db.base import Base


class RoutingDecision(Base):
    """One decision; ``id`` orders them and is the metrics cursor."""

    __tablename__ = "routing_decisions"
    __table_args__ = (Index("ix_routing_decisions_org_id_id", "org_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(Text)
    session_id: Mapped[str] = mapped_column(Text)
    work_type: Mapped[str] = mapped_column(Text)
    candidates: Mapped[list[str]] = mapped_column(JSONB)
    # None when the selector was disabled.
    selected_provider: Mapped[str | None] = mapped_column(Text)
    # "disabled", "explicit" or "thompson".
    source: Mapped[str] = mapped_column(Text)
    expected_reward: Mapped[float]
    confidence: Mapped[float]
    # The pick had the highest posterior mean at the time; thompson decisions without it explored.
    exploited: Mapped[bool]
    created_at: Mapped[datetime]
