"""Alembic env for the agents schema: the shared runner does everything."""

from switchyard.agents.db.base import Base
from switchyard.agents.db.models import (  # noqa: F401 - registers every table on Base.metadata
    AgentSecret,
    BootstrapKey,
    Command,
    RefreshToken,
    Server,
    outbox,
)
from switchyard.db.migrations import run_env

run_env(target_metadata=Base.metadata, schema="agents")
