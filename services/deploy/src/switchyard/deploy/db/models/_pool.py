"""Server pools of an org."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.deploy.db.base import Base


class Pool(Base):
    """One pool; its name is unique in the org."""

    __tablename__ = "pools"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    org_id: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    selector: Mapped[dict[str, str]] = mapped_column(JSONB)
    created_at: Mapped[datetime]
