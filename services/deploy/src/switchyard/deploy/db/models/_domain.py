"""Domains: hostnames assigned to apps, routed by the app's server's agent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Index, Text
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.deploy.db.base import Base


class Domain(Base):
    """One hostname of an app. Every stored row is live (a removed domain's row is deleted), so the
    hostname is unique across the whole table: two orgs can never route the same host."""

    __tablename__ = "domains"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'active', 'failed', 'removing')", name="status"),
        Index("uq_domains_hostname", "hostname", unique=True),
        Index("ix_domains_app", "app_id", "hostname"),
        # The canonical route set of a server.
        Index("ix_domains_server", "server_id"),
        Index("ix_domains_command", "command_id"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    org_id: Mapped[str] = mapped_column(Text)
    # No foreign key: deleting an app must first remove its routes (deploy does it, not a cascade).
    app_id: Mapped[str] = mapped_column(Text)
    hostname: Mapped[str] = mapped_column(Text)
    tls: Mapped[bool] = mapped_column(Boolean)
    # pending | active | failed | removing
    status: Mapped[str] = mapped_column(Text)
    last_error: Mapped[str] = mapped_column(Text)
    # The agents server the route lives on, and the upstream port it points at.
    server_id: Mapped[str] = mapped_column(Text)
    port: Mapped[int] = mapped_column(BigInteger)
    # The latest ROUTE_ADD/ROUTE_REMOVE command ("" before it is queued).
    command_id: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
