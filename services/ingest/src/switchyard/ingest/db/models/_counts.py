"""Counters of envelope items that are accepted but not stored, and the ledger of processed messages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Text
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.ingest.db.base import Base


class ItemCount(Base):
    """How many items of a type (transaction, session, client_report, ...) a project has sent."""

    __tablename__ = "item_counts"

    project_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    item_type: Mapped[str] = mapped_column(Text, primary_key=True)
    org_id: Mapped[str] = mapped_column(Text)
    count: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime]


class ProcessedMessage(Base):
    """One row per stored JetStream message (its ``Nats-Msg-Id``): a redelivery counts nothing twice."""

    __tablename__ = "processed_messages"

    msg_id: Mapped[str] = mapped_column(Text, primary_key=True)
    processed_at: Mapped[datetime]
