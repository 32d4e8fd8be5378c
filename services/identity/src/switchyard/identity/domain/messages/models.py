"""What the messages aggregate hands back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from switchyard.identity.db.models import Message


@dataclass(frozen=True, slots=True)
class MessageView:
    """One inbox message."""

    id: str
    user_id: str
    type: str
    title: str
    body: str
    is_read: bool
    created_at: datetime

    @classmethod
    def of(cls, row: Message) -> MessageView:
        """Build the view from a row."""
        return cls(
            id=str(row.id),
            user_id=str(row.user_id),
            type=row.type,
            title=row.title,
            body=row.body,
            is_read=row.is_read,
            created_at=row.created_at,
        )
