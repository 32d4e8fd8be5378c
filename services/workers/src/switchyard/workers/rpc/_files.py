"""Ownership transfer, file reservation and extra report RPCs: pb <-> domain only."""

from __future__ import annotations

from switchyard.grpckit.principal import get_principal
from switchyard.workers.domain.common import from_ms
from switchyard.workers.domain.ports import FileHold
from switchyard.workers.rpc import _mapping as m
from switchyard.workers.rpc._base import Context, ServicerBase, from_struct, ts
from switchyard.workers.v1 import workers_service_pb2 as svc


def conflict(hold: FileHold) -> svc.FileConflict:
    """A path another session holds."""
    return svc.FileConflict(
        file_path=hold.file_path,
        held_by_session_id=hold.session_id,
        reserved_at=ts(from_ms(hold.reserved_at_ms)),
    )


class FilesRpc(ServicerBase):
    """TransferSessionOwnership, file reservations and RecordSessionReport."""

    async def TransferSessionOwnership(
        self, request: svc.TransferSessionOwnershipRequest, context: Context
    ) -> svc.TransferSessionOwnershipResponse:
        """Move a live session to another worker of the org."""
        done = await self._s.transfers.transfer(
            principal=get_principal(),
            session_id=request.session_id,
            new_worker_id=request.new_worker_id,
            old_worker_id=request.old_worker_id,
        )
        session = m.session(done.session) if done.session else None
        return svc.TransferSessionOwnershipResponse(
            transferred=done.transferred, session=session, reason=done.reason
        )

    async def ReserveFiles(
        self, request: svc.ReserveFilesRequest, context: Context
    ) -> svc.ReserveFilesResponse:
        """Reserve paths for an hour."""
        reserved, conflicts = await self._s.files.reserve(
            principal=get_principal(),
            session_id=request.session_id,
            worker_id=request.worker_id,
            paths=list(request.file_paths),
            reason=request.reason,
        )
        return svc.ReserveFilesResponse(reserved=reserved, conflicts=[conflict(h) for h in conflicts])

    async def ReleaseFiles(
        self, request: svc.ReleaseFilesRequest, context: Context
    ) -> svc.ReleaseFilesResponse:
        """Release the session's own reservations of these paths."""
        released = await self._s.files.release(
            principal=get_principal(),
            session_id=request.session_id,
            worker_id=request.worker_id,
            paths=list(request.file_paths),
        )
        return svc.ReleaseFilesResponse(released=released)

    async def ReleaseAllFiles(
        self, request: svc.ReleaseAllFilesRequest, context: Context
    ) -> svc.ReleaseAllFilesResponse:
        """Release every reservation of the session."""
        released = await self._s.files.release_all(
            principal=get_principal(), session_id=request.session_id, worker_id=request.worker_id
        )
        return svc.ReleaseAllFilesResponse(released=released)

    async def CheckFileConflicts(
        self, request: svc.CheckFileConflictsRequest, context: Context
    ) -> svc.CheckFileConflictsResponse:
        """Paths another session holds."""
        holds = await self._s.files.conflicts(
            principal=get_principal(),
            session_id=request.session_id,
            worker_id=request.worker_id,
            paths=list(request.file_paths),
        )
        return svc.CheckFileConflictsResponse(conflicts=[conflict(h) for h in holds])

    async def RecordSessionReport(
        self, request: svc.RecordSessionReportRequest, context: Context
    ) -> svc.RecordSessionReportResponse:
        """Store a tool error, security scan, external URLs or token deltas."""
        count = await self._s.extra_reports.record(
            principal=get_principal(),
            session_id=request.session_id,
            worker_id=request.worker_id,
            kind=request.kind,
            data=from_struct(request.data),
        )
        return svc.RecordSessionReportResponse(stored=True, count=count)
