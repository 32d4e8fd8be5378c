"""The worker's other session reports (Rensei §2.4): tool errors, security scans, external URLs, token deltas.

Each is stored as an activity of its own kind. There is no tracker integration, so a tool error files no
issue and external URLs are not pushed to a tracker; token deltas are kept, not streamed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from switchyard.grpckit.errors import InvalidArgument
from switchyard.grpckit.principal import Principal
from switchyard.workers.domain.context import Deps
from switchyard.workers.domain.sessions import repository as repo
from switchyard.workers.domain.sessions.ownership import owned

SECURITY_SCAN_EVENT = "agent.security-scan"
MAX_ITEMS = 1000


def _text(data: dict[str, Any], name: str, *, field: str | None = None, max_len: int = 10_000) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgument(f"{field or name} is required")
    if len(value) > max_len:
        raise InvalidArgument(f"{field or name} must be at most {max_len} characters")
    return value.strip()


def _items(data: dict[str, Any], name: str) -> list[Any]:
    value = data.get(name)
    if not isinstance(value, list):
        raise InvalidArgument(f"{name} is required")
    if len(value) > MAX_ITEMS:
        raise InvalidArgument(f"{name} must have at most {MAX_ITEMS} entries")
    return value


def _tool_error(data: dict[str, Any]) -> tuple[str, str, dict[str, Any], int]:
    tool = _text(data, "toolName", max_len=255)
    message = _text(data, "errorMessage")
    context = data.get("context") if isinstance(data.get("context"), dict) else {}
    return tool, message, {"context": context}, 1


def _security_scan(data: dict[str, Any]) -> tuple[str, str, dict[str, Any], int]:
    event = data.get("event")
    if not isinstance(event, dict):
        raise InvalidArgument("event is required")
    if event.get("type") != SECURITY_SCAN_EVENT:
        raise InvalidArgument(f"event.type must be {SECURITY_SCAN_EVENT}")
    scanner = _text(event, "scanner", field="event.scanner", max_len=255)
    counts = event.get("severityCounts")
    if not isinstance(counts, dict) or not all(isinstance(v, int | float) for v in counts.values()):
        raise InvalidArgument("event.severityCounts is required")
    return scanner, "", {"event": event}, 1


def _external_urls(data: dict[str, Any]) -> tuple[str, str, dict[str, Any], int]:
    urls = _items(data, "externalUrls")
    for item in urls:
        if not isinstance(item, dict) or not isinstance(item.get("url"), str) or not item["url"]:
            raise InvalidArgument("externalUrls entries need a url")
    workspace = data.get("workspaceId")
    workspace = workspace if isinstance(workspace, str) else ""
    return "", "", {"externalUrls": urls, "workspaceId": workspace}, len(urls)


def _token_delta(data: dict[str, Any]) -> tuple[str, str, dict[str, Any], int]:
    frames = _items(data, "frames")
    turn = data.get("turnId")
    turn = turn if isinstance(turn, str) else ""
    return turn, "", {"turnId": turn, "frames": frames}, len(frames)


KINDS: dict[str, Callable[[dict[str, Any]], tuple[str, str, dict[str, Any], int]]] = {
    "tool-error": _tool_error,
    "security-scan": _security_scan,
    "external-urls": _external_urls,
    "token-delta": _token_delta,
}


class ExtraReportService:
    """RecordSessionReport."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def record(
        self, *, principal: Principal, session_id: str, worker_id: str, kind: str, data: dict[str, Any]
    ) -> int:
        """Validate the report for its kind and store it as an activity; the count the answer reports."""
        parse = KINDS.get(kind)
        if parse is None:
            raise InvalidArgument(f"kind must be one of {', '.join(KINDS)}")
        type_, content, stored, count = parse(data)
        now = self._d.clock()
        async with self._d.sessions() as s, s.begin():
            row, wid = await owned(s, principal=principal, session_id=session_id, worker_id=worker_id)
            repo.add_activity(
                s, row=row, worker_id=wid, kind=kind, now=now, type=type_, content=content, data=stored
            )
        return count
