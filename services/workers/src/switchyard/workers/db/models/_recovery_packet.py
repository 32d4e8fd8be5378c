"""Recovery packets: crash context saved for a session, consumed once by a resume."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Text
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.workers.db.base import Base


class RecoveryPacket(Base):
    """One packet; the newest unconsumed one of a session is what a resume takes."""

    __tablename__ = "recovery_packets"
    __table_args__ = (Index("ix_recovery_packets_session_id_created_at", "session_id", "created_at"),)

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    org_id: Mapped[str] = mapped_column(Text)
    session_id: Mapped[str] = mapped_column(Text)
    agent_id: Mapped[str] = mapped_column(Text)
    tier: Mapped[str] = mapped_column(Text)
    recovery_chain_id: Mapped[str] = mapped_column(Text)
    token_estimate: Mapped[int] = mapped_column(BigInteger)
    packet_data: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    consumed_at: Mapped[datetime | None]
