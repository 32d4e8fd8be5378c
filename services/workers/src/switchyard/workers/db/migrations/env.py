"""Alembic env for the workers schema: the shared runner does everything."""

from switchyard.db.migrations import run_env
from switchyard.workers.db.base import Base
from switchyard.workers.db.models import outbox  # noqa: F401 - registers every table on Base.metadata

run_env(target_metadata=Base.metadata, schema="workers")
