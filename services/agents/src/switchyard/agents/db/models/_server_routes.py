"""The canonical routes of each server, as deploy last published them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.agents.db.base import Base


class ServerRoutes(Base):
    """One row per server: deploy's latest ``deploy.routes.changed`` snapshot (a newer version wins)."""

    __tablename__ = "server_routes"

    # No foreign key: the snapshot may arrive before or outlive the server row.
    server_id: Mapped[str] = mapped_column(Text, primary_key=True)
    org_id: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(BigInteger)
    # [{domain, app_id, domain_id, upstream_host, upstream_port, tls}], by domain.
    routes: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    updated_at: Mapped[datetime]
