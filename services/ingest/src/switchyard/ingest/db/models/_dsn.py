"""DSNs: an org's ingest keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Identity, Text
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.ingest.db.base import Base


class Dsn(Base):
    """One ingest key. ``public_key`` is stored as is: a Sentry public key is public by design (it is in
    every browser bundle) and only lets its holder send data, so a list can show the full DSN."""

    __tablename__ = "dsns"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    org_id: Mapped[str] = mapped_column(Text, index=True)
    name: Mapped[str] = mapped_column(Text)
    app_id: Mapped[str] = mapped_column(Text)
    public_key: Mapped[str] = mapped_column(Text, unique=True)
    # Sentry SDKs require an integer project id in the DSN path.
    project_id: Mapped[int] = mapped_column(BigInteger, Identity(start=1), unique=True)
    created_at: Mapped[datetime]
