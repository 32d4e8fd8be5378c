"""Domain events; ``switchyard.mutations.events`` turns them into protobuf payloads on the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from switchyard.mutations.domain.mutations.models import MutationView

ENQUEUED = "mutations.mutation.enqueued"
DELIVERED = "mutations.mutation.delivered"
APPLIED = "mutations.mutation.applied"
FAILED = "mutations.mutation.failed"
CANCELLED = "mutations.mutation.cancelled"


@dataclass(frozen=True, slots=True)
class MutationChanged:
    """A mutation moved to a new status; ``subject`` says which."""

    subject: str
    mutation: MutationView
    occurred_at: datetime

    @property
    def msg_id(self) -> str:
        """Deduplication id: each mutation enters each status at most once."""
        return f"{self.mutation.id}.{self.subject.rsplit('.', 1)[-1]}"


Event = MutationChanged
