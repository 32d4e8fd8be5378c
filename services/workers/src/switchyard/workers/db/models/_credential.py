"""Credentials a daemon hands its agents as environment variables, sealed at rest."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, LargeBinary, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.workers.db.base import Base


class Credential(Base):
    """One secret per (org, project, environment, name); ``project_id`` is empty for org-wide values."""

    __tablename__ = "credentials"
    __table_args__ = (
        UniqueConstraint("org_id", "project_id", "env_name", "name"),
        Index("ix_credentials_org_id_kind", "org_id", "kind"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    org_id: Mapped[str] = mapped_column(Text)
    project_id: Mapped[str] = mapped_column(Text, default="")
    env_name: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    # nonce || AES-256-GCM(value) under the service KEK, with the org and id bound as associated data.
    value_enc: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    rotated_at: Mapped[datetime | None]
