"""What a session's agent reported: activities, progress milestones and completion parts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Text
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.workers.db.base import Base


class Activity(Base):
    """One row per activity, progress milestone or completion part, in arrival order (``id``)."""

    __tablename__ = "activities"
    __table_args__ = (Index("ix_activities_session_id_id", "session_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(Text)
    org_id: Mapped[str] = mapped_column(Text)
    worker_id: Mapped[str] = mapped_column(Text, default="")
    # "activity", "progress" or "completion".
    kind: Mapped[str] = mapped_column(Text)
    # The activity type (thought, action, ...), the milestone, or "summary".
    type: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[str] = mapped_column(Text, default="")
    tool_name: Mapped[str] = mapped_column(Text, default="")
    # Tool input for actions; plan items for the first completion part.
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # 1-based part number of a completion split into parts; 0 otherwise.
    part: Mapped[int] = mapped_column(default=0)
    total_parts: Mapped[int] = mapped_column(default=0)
    occurred_at: Mapped[datetime]
    created_at: Mapped[datetime]
