"""Read model of projects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ProjectView:
    """A project as stored."""

    id: str
    org_id: str
    name: str
    slug: str
    description: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ProjectPatch:
    """The fields an update sets (None = unchanged)."""

    name: str | None = None
    slug: str | None = None
    description: str | None = None
