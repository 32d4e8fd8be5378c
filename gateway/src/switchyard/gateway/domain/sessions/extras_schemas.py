"""Bodies of the per-session worker extras (Rensei §2.4, §2.5)."""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from switchyard.gateway.schema import CamelStruct, NonEmptyStr, epoch_ms

InboxType = Literal["stop", "directive", "hook-result", "nudge"]
Lane = Literal["urgent", "normal"]


class InboxPost(CamelStruct):
    """``POST /api/sessions/{id}/inbox``: a message for the worker running the session."""

    type: InboxType
    payload: dict[str, Any] = {}
    # Empty means urgent for stop and normal otherwise.
    lane: Lane | None = None
    user_id: str = ""
    user_name: str = ""


class InboxAck(CamelStruct):
    """``POST /api/sessions/{id}/inbox/ack``."""

    message_id: NonEmptyStr
    lane: Lane


class InboxAcked(CamelStruct):
    """``POST /api/sessions/{id}/inbox/ack`` answer."""

    acknowledged: bool


class TransferOwnership(CamelStruct):
    """``POST /api/sessions/{id}/transfer-ownership``."""

    new_worker_id: NonEmptyStr
    old_worker_id: NonEmptyStr


class OwnershipTransferred(CamelStruct, omit_defaults=True):
    """``POST /api/sessions/{id}/transfer-ownership`` answer; ``reason`` says why not."""

    transferred: bool
    session: dict[str, Any] | None = None
    reason: str | None = None


class FileReserve(CamelStruct):
    """``POST /api/sessions/{id}/files/reserve``."""

    file_paths: list[str]
    reason: str = ""


class FileRelease(CamelStruct):
    """``POST /api/sessions/{id}/files/release``."""

    file_paths: list[str]


class FileReleaseAll(CamelStruct):
    """``POST /api/sessions/{id}/files/release-all``; ``workerId`` must be the token's when sent."""

    worker_id: str = ""


class HeldBy(CamelStruct):
    """The session holding a path, and since when (epoch ms)."""

    session_id: str
    reserved_at: int


class FileConflictOut(CamelStruct):
    """A path another session holds."""

    file_path: str
    held_by: HeldBy


class FilesReserved(CamelStruct):
    """``POST /api/sessions/{id}/files/reserve`` answer."""

    reserved: list[str]
    conflicts: list[FileConflictOut]


class FilesReleased(CamelStruct):
    """``POST /api/sessions/{id}/files/release`` and ``release-all`` answer."""

    released: int


class FileConflicts(CamelStruct):
    """``GET /api/sessions/{id}/files/check-conflicts`` answer."""

    conflicts: list[FileConflictOut]


def conflicts(items: Any) -> list[FileConflictOut]:
    """Map ``workers.v1.FileConflict`` messages."""
    return [
        FileConflictOut(
            file_path=c.file_path,
            held_by=HeldBy(session_id=c.held_by_session_id, reserved_at=epoch_ms(c.reserved_at)),
        )
        for c in items
    ]


def query_paths(values: list[str] | None) -> list[str]:
    """``filePaths`` given repeated, as a comma list, or both."""
    return [part.strip() for value in values or () for part in value.split(",") if part.strip()]


class ToolError(CamelStruct):
    """``POST /api/sessions/{id}/tool-error``."""

    worker_id: NonEmptyStr
    tool_name: NonEmptyStr
    error_message: NonEmptyStr
    context: dict[str, Any] | None = None


class ToolErrorFiled(CamelStruct, omit_defaults=True):
    """``POST /api/sessions/{id}/tool-error`` answer; no tracker is configured, so no issue is filed."""

    created: bool
    reason: str | None = None


class SeverityCounts(CamelStruct):
    """Findings per severity."""

    critical: int = 0
    high: int = 0
    medium: int = 0
    low: int = 0


class ScanEvent(CamelStruct):
    """An ``agent.security-scan`` event."""

    type: Literal["agent.security-scan"]
    scanner: NonEmptyStr
    severity_counts: SeverityCounts
    total_findings: int = 0
    target: str = ""
    scan_duration_ms: int = 0
    timestamp: str | int | None = None


class SecurityScan(CamelStruct):
    """``POST /api/sessions/{id}/security-scan``."""

    worker_id: NonEmptyStr
    event: ScanEvent


class ScanStored(CamelStruct):
    """``POST /api/sessions/{id}/security-scan`` answer."""

    stored: bool


class ExternalUrl(CamelStruct):
    """A link shown next to the session."""

    url: NonEmptyStr
    label: str = ""


class ExternalUrls(CamelStruct):
    """``POST /api/sessions/{id}/external-urls``."""

    external_urls: list[ExternalUrl]
    workspace_id: str = ""


class ExternalUrlsUpdated(CamelStruct):
    """``POST /api/sessions/{id}/external-urls`` answer."""

    updated: bool
    external_urls: list[ExternalUrl]


class TokenDelta(CamelStruct):
    """``POST /api/sessions/{id}/token-delta``."""

    frames: list[Any]
    turn_id: str = ""


class TokenDeltaPublished(CamelStruct):
    """``POST /api/sessions/{id}/token-delta`` answer."""

    published: int


def report_data(body: msgspec.Struct) -> dict[str, Any]:
    """The body as camelCase JSON without ``workerId`` (the request carries it separately)."""
    data: dict[str, Any] = msgspec.to_builtins(body)
    data.pop("workerId", None)
    return data
