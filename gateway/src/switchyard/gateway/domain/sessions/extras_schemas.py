"""Bodies of the per-session worker extras (Rensei §2.4, §2.5)."""

from __future__ import annotations

from typing import Any, Literal

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
