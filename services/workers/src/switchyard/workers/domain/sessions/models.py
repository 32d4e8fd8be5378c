"""Views and inputs of the session aggregate."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from switchyard.grpckit.errors import InvalidArgument
from switchyard.workers.domain.common import optional, required

# One completion part never exceeds this many characters (tracker comment limits).
COMPLETION_PART_CHARS = 10_000
DEFAULT_PRIORITY = 3


@dataclass(frozen=True, slots=True)
class NewSession:
    """Work to queue, as a writer sends it."""

    issue_id: str
    issue_identifier: str = ""
    priority: int = 0
    prompt: str = ""
    work_type: str = ""
    project_name: str = ""
    repository: str = ""
    extras: dict[str, Any] = field(default_factory=dict)
    session_id: str = ""
    project_id: str = ""

    def validated(self) -> NewSession:
        """A trimmed copy with the default priority applied, or InvalidArgument naming the bad field."""
        priority = self.priority or DEFAULT_PRIORITY
        if not 1 <= priority <= 5:
            raise InvalidArgument("priority must be between 1 and 5")
        return NewSession(
            issue_id=required(self.issue_id, field="issueId", max_len=255),
            issue_identifier=optional(self.issue_identifier, field="issueIdentifier", max_len=255),
            priority=priority,
            prompt=optional(self.prompt, field="prompt", max_len=200_000),
            work_type=optional(self.work_type, field="workType", max_len=100),
            project_name=optional(self.project_name, field="projectName", max_len=255),
            repository=optional(self.repository, field="repository", max_len=1000),
            extras=dict(self.extras),
            session_id=optional(self.session_id, field="sessionId", max_len=255),
            project_id=optional(self.project_id, field="projectId", max_len=255),
        )


@dataclass(frozen=True, slots=True)
class SessionView:
    """A session's state (AgentSessionState)."""

    id: str
    org_id: str
    issue_id: str
    issue_identifier: str
    status: str
    priority: int
    prompt: str
    work_type: str
    project_id: str
    project_name: str
    repository: str
    extras: dict[str, Any]
    worker_id: str
    provider_session_id: str
    worktree_path: str
    error_message: str
    agent_id: str
    provider: str
    total_cost_usd: float
    input_tokens: int
    output_tokens: int
    last_tool_name: str
    last_tool_called_at: datetime | None
    tool_call_count: int
    queued_at: datetime
    claimed_at: datetime | None
    finished_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """A worker's status post; empty strings and None keep stored values."""

    session_id: str
    worker_id: str
    status: str
    provider_session_id: str = ""
    worktree_path: str = ""
    error_message: str = ""
    total_cost_usd: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class ActivityInput:
    """One agent activity."""

    type: str
    content: str = ""
    tool_name: str = ""
    tool_input: dict[str, Any] = field(default_factory=dict)
    timestamp: datetime | None = None


@dataclass(frozen=True, slots=True)
class PollResult:
    """Pre-claimed work for one poll."""

    work: list[SessionView]


def chunk(text: str, *, size: int = COMPLETION_PART_CHARS) -> list[str]:
    """Split ``text`` into parts of at most ``size`` characters, preferring line breaks."""
    parts: list[str] = []
    rest = text
    while len(rest) > size:
        cut = rest.rfind("\n", 0, size)
        cut = cut + 1 if cut > size // 2 else size
        parts.append(rest[:cut])
        rest = rest[cut:]
    if rest:
        parts.append(rest)
    return parts
