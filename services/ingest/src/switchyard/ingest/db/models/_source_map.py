"""Source maps uploaded per release and file."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, LargeBinary, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.ingest.db.base import Base


class SourceMap(Base):
    """One source map; ``(org_id, release, file_name)`` is unique (an upload replaces the previous one)."""

    __tablename__ = "source_maps"
    __table_args__ = (UniqueConstraint("org_id", "release", "file_name"),)

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    org_id: Mapped[str] = mapped_column(Text)
    release: Mapped[str] = mapped_column(Text)
    file_name: Mapped[str] = mapped_column(Text)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(Text)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
