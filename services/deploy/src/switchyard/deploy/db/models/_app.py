"""Apps: deployable processes of a project, placed on one server."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.deploy.db.base import Base


class App(Base):
    """One app; its slug is unique in its project. A project with apps cannot be deleted (no cascade)."""

    __tablename__ = "apps"
    __table_args__ = (
        UniqueConstraint("project_id", "slug"),
        # The org's listing, oldest first.
        Index("ix_apps_org_created", "org_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    org_id: Mapped[str] = mapped_column(Text)
    project_id: Mapped[str] = mapped_column(Text, ForeignKey("projects.id"))
    name: Mapped[str] = mapped_column(Text)
    slug: Mapped[str] = mapped_column(Text)
    # The agents service's server id; no cross-service foreign key.
    server_id: Mapped[str] = mapped_column(Text)
    port: Mapped[int] = mapped_column(Integer)
    health_check_path: Mapped[str] = mapped_column(Text)
    start_command: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
