"""Alembic env for the ingest schema: the shared runner does everything."""

import switchyard.ingest.db.models  # noqa: F401 - registers every table on Base.metadata
from switchyard.db.migrations import run_env
from switchyard.ingest.db.base import Base

run_env(target_metadata=Base.metadata, schema="ingest")
