"""Routing posteriors: one Beta distribution per org, provider and work type."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Text
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.workers.db.base import Base


class RoutingPosterior(Base):
    """Beta(alpha, beta) of a provider for a work type; updated in one statement per observation."""

    __tablename__ = "routing_posteriors"

    org_id: Mapped[str] = mapped_column(Text, primary_key=True)
    work_type: Mapped[str] = mapped_column(Text, primary_key=True)
    provider: Mapped[str] = mapped_column(Text, primary_key=True)
    # successes + 1 and failures + 1: the uniform prior Beta(1, 1) plus every reward observed.
    alpha: Mapped[float] = mapped_column(default=1.0)
    beta: Mapped[float] = mapped_column(default=1.0)
    observations: Mapped[int] = mapped_column(BigInteger, default=0)
    # Sum and count of the observations that reported a cost (avgCostUsd = sum / count).
    cost_total_usd: Mapped[float] = mapped_column(default=0.0)
    cost_observations: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime]
