"""The version counter of each server's canonical route snapshot."""

from __future__ import annotations

from sqlalchemy import BigInteger, Text
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.deploy.db.base import Base


class RouteVersion(Base):
    """One row per server that ever had a route; ``version`` grows by one per published snapshot."""

    __tablename__ = "route_versions"

    server_id: Mapped[str] = mapped_column(Text, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
