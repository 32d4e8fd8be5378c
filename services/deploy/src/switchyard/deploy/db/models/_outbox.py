"""The transactional outbox relayed to JetStream."""

from __future__ import annotations

from switchyard.db.outbox import outbox_table
from switchyard.deploy.db.base import Base

outbox = outbox_table(Base.metadata)
