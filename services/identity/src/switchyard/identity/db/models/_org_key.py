"""Organisation API keys (``rsk_live_``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.identity.db.base import Base


class OrgKey(Base):
    """An ``rsk_live_`` key of one org; only the SHA-256 (hex) of the raw key is stored."""

    __tablename__ = "org_keys"
    __table_args__ = (Index("ix_org_keys_org_id", "org_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)
    key_hash: Mapped[str] = mapped_column(Text, unique=True)
    key_prefix: Mapped[str] = mapped_column(Text)
    scopes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    all_projects: Mapped[bool]
    project_ids: Mapped[list[str]] = mapped_column(ARRAY(Text))
    # A user id, or "key:<id>" when another org key created it.
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
