"""The agents domain's own exceptions, on top of the shared grpckit ones."""

from __future__ import annotations

from switchyard.grpckit.errors import Conflict, DomainError

AGENT_OFFLINE = "agent is offline (no live command stream)"


class AgentOffline(Conflict):
    """The server's agent holds no command stream; the seed answers 422 for operator actions."""

    def __init__(self, message: str = AGENT_OFFLINE) -> None:
        super().__init__(message, http_status=422)


class AgentTimeout(DomainError):
    """The agent did not answer a round trip in time (HTTP 504)."""

    code = "DEADLINE_EXCEEDED"


class AgentFailed(Conflict):
    """The agent answered a probe with a failure (HTTP 502, the message says what it answered)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, http_status=502)


__all__ = ["AGENT_OFFLINE", "AgentFailed", "AgentOffline", "AgentTimeout"]
