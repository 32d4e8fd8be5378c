"""Error groups: a project's events that share a fingerprint."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.ingest.db.base import Base


class ErrorGroup(Base):
    """One group; ``(project_id, fingerprint)`` is unique."""

    __tablename__ = "error_groups"
    __table_args__ = (
        UniqueConstraint("project_id", "fingerprint"),
        Index("ix_error_groups_org_last_seen", "org_id", "last_seen"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    org_id: Mapped[str] = mapped_column(Text)
    project_id: Mapped[int] = mapped_column(BigInteger)
    fingerprint: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    culprit: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(Text)
    platform: Mapped[str] = mapped_column(Text)
    # unresolved | resolved | ignored
    status: Mapped[str] = mapped_column(Text)
    event_count: Mapped[int] = mapped_column(BigInteger)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
