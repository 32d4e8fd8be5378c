"""Agent credentials, stored only as SHA-256 hashes: secrets, refresh-token chains, bootstrap keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Text
from sqlalchemy.orm import Mapped, mapped_column
from switchyard.agents.db.base import Base


class AgentSecret(Base):
    """An AGENT_SECRET; at most one unrevoked per server."""

    __tablename__ = "agent_secrets"
    __table_args__ = (Index("ix_agent_secrets_server_id", "server_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    server_id: Mapped[str] = mapped_column(Text)
    secret_hash: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class RefreshToken(Base):
    """One link of a rotating refresh-token chain; presenting a used link revokes the chain."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (
        Index("ix_refresh_tokens_chain_id", "chain_id"),
        Index("ix_refresh_tokens_server_id", "server_id"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    server_id: Mapped[str] = mapped_column(Text)
    chain_id: Mapped[str] = mapped_column(Text)
    token_hash: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class BootstrapKey(Base):
    """The server's current one-shot recovery key (replaced on every use)."""

    __tablename__ = "bootstrap_keys"

    server_id: Mapped[str] = mapped_column(Text, primary_key=True)
    key_hash: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
