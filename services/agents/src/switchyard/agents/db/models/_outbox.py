"""The transactional outbox relayed to JetStream."""

from __future__ import annotations

from switchyard.agents.db.base import Base
from switchyard.db.outbox import outbox_table

outbox = outbox_table(Base.metadata)
