"""Alembic env for the mutations schema: the shared runner does everything."""

from switchyard.db.migrations import run_env
from switchyard.mutations.db.base import Base
from switchyard.mutations.db.models import Mutation, outbox  # noqa: F401 - registers every table on Base.metadata

run_env(target_metadata=Base.metadata, schema="mutations")
