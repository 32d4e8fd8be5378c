"""Alembic env for the deploy schema: the shared runner does everything."""

import switchyard.deploy.db.models  # noqa: F401 - registers every table on Base.metadata
from switchyard.db.migrations import run_env
from switchyard.deploy.db.base import Base

run_env(target_metadata=Base.metadata, schema="deploy")
