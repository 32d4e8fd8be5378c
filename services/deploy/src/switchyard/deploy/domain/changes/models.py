"""Change feed drafts and pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from switchyard.deploy.domain.events import ChangeView

# Feed types, in the seed's style (<entity>.<verb>); filters match a type or its category (``env``).
PROJECT_CREATE, PROJECT_UPDATE, PROJECT_DELETE = "project.create", "project.update", "project.delete"
APP_CREATE, APP_UPDATE, APP_DELETE = "app.create", "app.update", "app.delete"
ENVIRONMENT_CREATE, ENVIRONMENT_DELETE = "environment.create", "environment.delete"
ENV_SET, ENV_ROTATE, ENV_REMOVE, ENV_REVEAL = "env.set", "env.rotate", "env.remove", "env.reveal"
SERVER_STATE, SERVER_LABELS, SERVER_POOL = "server.state", "server.labels", "server.pool"
SERVER_REGISTERED, SERVER_REVOKED = "server.registered", "server.revoked"
POOL_CREATE, POOL_DELETE = "pool.create", "pool.delete"


@dataclass(frozen=True, slots=True)
class ChangeDraft:
    """A change about to be appended; ``summary`` must never hold an env value."""

    type: str
    entity_type: str
    entity_id: str
    app_id: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ChangeQuery:
    """A validated page request."""

    org_id: str
    since: datetime
    limit: int
    types: tuple[str, ...] = ()
    app_ids: tuple[str, ...] = ()
    before: tuple[datetime, int] | None = None


@dataclass(frozen=True, slots=True)
class ChangePage:
    """A page of the feed, newest first; ``next_cursor`` is empty on the last one."""

    changes: tuple[ChangeView, ...]
    next_cursor: str = ""
