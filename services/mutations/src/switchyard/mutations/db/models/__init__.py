"""Mutations ORM models, one per file, re-exported here."""

from switchyard.mutations.db.models._mutation import Mutation
from switchyard.mutations.db.models._outbox import outbox

__all__ = ["Mutation", "outbox"]
