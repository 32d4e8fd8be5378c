"""File reservations: a session reserves paths of its repository so parallel agents avoid each other."""

from __future__ import annotations

from switchyard.grpckit.errors import Conflict, InvalidArgument
from switchyard.grpckit.principal import Principal
from switchyard.workers.db.models import Session
from switchyard.workers.domain.common import optional, to_ms
from switchyard.workers.domain.context import Deps
from switchyard.workers.domain.ports import FileHold
from switchyard.workers.domain.sessions.fsm import TERMINAL
from switchyard.workers.domain.sessions.ownership import owned

# Reference §2.5: reservations live one hour unless released or the session ends first.
FILE_TTL_SECONDS = 3600
MAX_PATHS = 500


def file_paths(paths: list[str], *, allow_empty: bool = False) -> list[str]:
    """Trimmed, de-duplicated paths in order; INVALID_ARGUMENT naming ``filePaths``."""
    cleaned: list[str] = []
    for path in paths:
        text = optional(path, field="filePaths", max_len=4096)
        if not text:
            raise InvalidArgument("filePaths must not contain empty paths")
        if text not in cleaned:
            cleaned.append(text)
    if not cleaned and not allow_empty:
        raise InvalidArgument("filePaths is required")
    if len(cleaned) > MAX_PATHS:
        raise InvalidArgument(f"filePaths must have at most {MAX_PATHS} entries")
    return cleaned


def scope(row: Session) -> tuple[str, str]:
    """Reservations are per org and repository."""
    return row.org_id, row.repository or ""


class FileService:
    """ReserveFiles, ReleaseFiles, ReleaseAllFiles and CheckFileConflicts."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def _session(self, principal: Principal, session_id: str, worker_id: str) -> Session:
        async with self._d.reads() as s:
            row, _ = await owned(s, principal=principal, session_id=session_id, worker_id=worker_id)
        return row

    async def reserve(
        self, *, principal: Principal, session_id: str, worker_id: str, paths: list[str], reason: str = ""
    ) -> tuple[list[str], list[FileHold]]:
        """Reserve the free paths (renewing the session's own); the others come back as conflicts."""
        wanted = file_paths(paths)
        optional(reason, field="reason", max_len=1000)
        row = await self._session(principal, session_id, worker_id)
        if row.status in TERMINAL:
            raise Conflict(f"Session is {row.status}")
        now_ms = to_ms(self._d.clock())
        return await self._d.files.reserve(
            scope(row), row.id, wanted, now_ms=now_ms, ttl_seconds=FILE_TTL_SECONDS
        )

    async def release(
        self, *, principal: Principal, session_id: str, worker_id: str, paths: list[str]
    ) -> int:
        """Release the session's own reservations of these paths."""
        wanted = file_paths(paths)
        row = await self._session(principal, session_id, worker_id)
        return await self._d.files.release(scope(row), row.id, wanted)

    async def release_all(self, *, principal: Principal, session_id: str, worker_id: str) -> int:
        """Release every reservation of the session."""
        row = await self._session(principal, session_id, worker_id)
        return await self._d.files.release_all(row.id)

    async def conflicts(
        self, *, principal: Principal, session_id: str, worker_id: str, paths: list[str]
    ) -> list[FileHold]:
        """Paths another session of the org and repository holds."""
        wanted = file_paths(paths)
        row = await self._session(principal, session_id, worker_id)
        return await self._d.files.holders(scope(row), row.id, wanted)
