"""Routing observations: the feedback each posterior update came from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Text
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.workers.db.base import Base


class RoutingObservation(Base):
    """One reward reported for a provider on a session, with the optional outcome facts."""

    __tablename__ = "routing_observations"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(Text)
    session_id: Mapped[str] = mapped_column(Text)
    provider: Mapped[str] = mapped_column(Text)
    work_type: Mapped[str] = mapped_column(Text)
    reward: Mapped[float]
    task_completed: Mapped[bool | None]
    pr_created: Mapped[bool | None]
    qa_result: Mapped[str | None] = mapped_column(Text)
    total_cost_usd: Mapped[float | None]
    wall_clock_ms: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
