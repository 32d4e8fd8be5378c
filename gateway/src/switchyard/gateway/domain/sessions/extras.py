"""Per-session worker extras (Rensei §2.4, §2.5): inbox and ACK, ownership transfer, file reservations,
tool errors, security scans, external URLs and token deltas.

Worker posts take the runtime JWT and the workers service checks the session is the caller's
(404 unknown, 403 "Session is owned by another worker"); queueing an inbox message takes an org key
or an org admin/owner, like queueing work.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from switchyard.gateway.auth.workers import DAEMON, WORKER_ANY
from switchyard.gateway.domain.sessions import extras_schemas as x
from switchyard.gateway.domain.sessions.schemas import session_state
from switchyard.gateway.domain.workers.schemas import InboxMessageOut, inbox_message
from switchyard.gateway.schema import json_to_struct
from switchyard.gateway.state import Gateway
from switchyard.grpckit.principal import Principal
from switchyard.workers.v1 import workers_service_pb2 as pb

TAGS = ["Worker Protocol"]
SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]


class SessionExtrasController(Controller):
    """``/api/sessions/{id}/inbox*``, ``/transfer-ownership``, ``/files/*`` and the extra reports."""

    path = "/api/sessions"
    tags = TAGS
    security = SECURITY

    @post(
        "/{id:str}/inbox",
        status_code=201,
        dependencies=DAEMON,
        operation_id="postSessionInboxMessage",
        description="Queue an inbox message (stop, directive, hook-result or nudge) for the worker running the session; it arrives in the worker's poll (inboxMessages) until the worker ACKs it. stop goes to the urgent lane unless a lane is given. An org key (rsk_live_) of the org, or an org admin/owner with X-Tenant-ID; 409 once the session has ended.",  # noqa: E501
    )
    async def post_inbox(
        self,
        id: FromPath[str],
        data: JSONBody[x.InboxPost],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> InboxMessageOut:
        """Queue a message."""
        request = pb.PostInboxMessageRequest(
            session_id=id,
            type=data.type,
            payload=json_to_struct(data.payload),
            lane=data.lane or "",
            user_id=data.user_id,
            user_name=data.user_name,
        )
        response = await gateway.workers.post_inbox_message(principal, request)
        return inbox_message(response.message)

    @post(
        "/{id:str}/inbox/ack",
        status_code=200,
        dependencies=WORKER_ANY,
        operation_id="ackSessionInbox",
        description="Acknowledge an inbox message (Redis XACK on the session's lane stream, group inbox-readers, consumer worker:{workerId}). 400 when messageId or lane is missing; 403 when the session is owned by another worker.",  # noqa: E501
    )
    async def ack_inbox(
        self,
        id: FromPath[str],
        data: JSONBody[x.InboxAck],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> x.InboxAcked:
        """XACK one message."""
        request = pb.AckInboxMessageRequest(
            session_id=id, worker_id=principal.worker_id, message_id=data.message_id, lane=data.lane
        )
        response = await gateway.workers.ack_inbox_message(principal, request)
        return x.InboxAcked(acknowledged=response.acknowledged)

    @post(
        "/{id:str}/transfer-ownership",
        status_code=200,
        dependencies=WORKER_ANY,
        operation_id="transferSessionOwnership",
        description="Move a live session from oldWorkerId to newWorkerId (a re-registered daemon reclaiming its sessions). The caller's runtime token must be one of the two workers; the new worker must be live in the same org (404). transferred:false with a reason when the current owner is not oldWorkerId or the session has ended.",  # noqa: E501
    )
    async def transfer(
        self,
        id: FromPath[str],
        data: JSONBody[x.TransferOwnership],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> x.OwnershipTransferred:
        """Move the session."""
        request = pb.TransferSessionOwnershipRequest(
            session_id=id, new_worker_id=data.new_worker_id, old_worker_id=data.old_worker_id
        )
        response = await gateway.workers.transfer_session_ownership(principal, request)
        if not response.transferred:
            return x.OwnershipTransferred(transferred=False, reason=response.reason)
        state = msgspec.to_builtins(session_state(response.session))
        return x.OwnershipTransferred(transferred=True, session=state)

    @post(
        "/{id:str}/files/reserve",
        status_code=200,
        dependencies=WORKER_ANY,
        operation_id="reserveSessionFiles",
        description="Reserve file paths of the session's repository (org-scoped) for one hour. Paths another session holds come back in conflicts with the holder; the session's own reservations are renewed. Reservations are released when the session reaches a terminal state.",  # noqa: E501
    )
    async def reserve_files(
        self,
        id: FromPath[str],
        data: JSONBody[x.FileReserve],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> x.FilesReserved:
        """Reserve paths."""
        request = pb.ReserveFilesRequest(
            session_id=id, worker_id=principal.worker_id, file_paths=data.file_paths, reason=data.reason
        )
        response = await gateway.workers.reserve_files(principal, request)
        return x.FilesReserved(reserved=list(response.reserved), conflicts=x.conflicts(response.conflicts))

    @post(
        "/{id:str}/files/release",
        status_code=200,
        dependencies=WORKER_ANY,
        operation_id="releaseSessionFiles",
        description="Release the session's reservations of these paths; released counts them.",
    )
    async def release_files(
        self,
        id: FromPath[str],
        data: JSONBody[x.FileRelease],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> x.FilesReleased:
        """Release paths."""
        request = pb.ReleaseFilesRequest(
            session_id=id, worker_id=principal.worker_id, file_paths=data.file_paths
        )
        response = await gateway.workers.release_files(principal, request)
        return x.FilesReleased(released=response.released)

    @post(
        "/{id:str}/files/release-all",
        status_code=200,
        dependencies=WORKER_ANY,
        operation_id="releaseAllSessionFiles",
        description="Release every file reservation of the session.",
    )
    async def release_all_files(
        self,
        id: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        data: JSONBody[x.FileReleaseAll | None] = None,
    ) -> x.FilesReleased:
        """Release everything."""
        worker_id = data.worker_id if data else ""
        request = pb.ReleaseAllFilesRequest(session_id=id, worker_id=worker_id)
        response = await gateway.workers.release_all_files(principal, request)
        return x.FilesReleased(released=response.released)

    @get(
        "/{id:str}/files/check-conflicts",
        dependencies=WORKER_ANY,
        operation_id="checkSessionFileConflicts",
        description="Which of these paths (filePaths repeated or as a comma list) another session of the org and repository holds.",  # noqa: E501
    )
    async def check_conflicts(
        self,
        id: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        file_paths: Annotated[list[str] | None, QueryParameter(name="filePaths")] = None,
    ) -> x.FileConflicts:
        """Paths held by others."""
        request = pb.CheckFileConflictsRequest(
            session_id=id, worker_id=principal.worker_id, file_paths=x.query_paths(file_paths)
        )
        response = await gateway.workers.check_file_conflicts(principal, request)
        return x.FileConflicts(conflicts=x.conflicts(response.conflicts))

    async def _report(
        self, gateway: Gateway, principal: Principal, *, session_id: str, kind: str, data: Any, worker_id: str
    ) -> pb.RecordSessionReportResponse:
        request = pb.RecordSessionReportRequest(
            session_id=session_id, worker_id=worker_id, kind=kind, data=json_to_struct(x.report_data(data))
        )
        return await gateway.workers.record_session_report(principal, request)

    @post(
        "/{id:str}/tool-error",
        status_code=200,
        dependencies=WORKER_ANY,
        operation_id="reportSessionToolError",
        description="Report a tool error. It is stored with the session; no tracker is configured, so no issue is filed and the answer is created:false with the reason.",  # noqa: E501
    )
    async def tool_error(
        self,
        id: FromPath[str],
        data: JSONBody[x.ToolError],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> x.ToolErrorFiled:
        """Store a tool error."""
        await self._report(
            gateway, principal, session_id=id, kind="tool-error", data=data, worker_id=data.worker_id
        )
        return x.ToolErrorFiled(created=False, reason="no tracker configured")

    @post(
        "/{id:str}/security-scan",
        status_code=200,
        dependencies=WORKER_ANY,
        operation_id="postSessionSecurityScan",
        description="Store an agent.security-scan event (scanner, severityCounts, totalFindings, target, scanDurationMs, timestamp) for the session; 400 for an invalid event.",  # noqa: E501
    )
    async def security_scan(
        self,
        id: FromPath[str],
        data: JSONBody[x.SecurityScan],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> x.ScanStored:
        """Store a scan."""
        response = await self._report(
            gateway, principal, session_id=id, kind="security-scan", data=data, worker_id=data.worker_id
        )
        return x.ScanStored(stored=response.stored)

    @post(
        "/{id:str}/external-urls",
        status_code=200,
        dependencies=WORKER_ANY,
        operation_id="postSessionExternalUrls",
        description="Record the session's external links ({label, url}); they are stored with the session and echoed back.",  # noqa: E501
    )
    async def external_urls(
        self,
        id: FromPath[str],
        data: JSONBody[x.ExternalUrls],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> x.ExternalUrlsUpdated:
        """Store the links."""
        response = await self._report(
            gateway, principal, session_id=id, kind="external-urls", data=data, worker_id=""
        )
        return x.ExternalUrlsUpdated(updated=response.stored, external_urls=data.external_urls)

    @post(
        "/{id:str}/token-delta",
        status_code=200,
        dependencies=WORKER_ANY,
        operation_id="postSessionTokenDelta",
        description="Record a batch of streamed token frames of a turn; published counts the frames stored.",
    )
    async def token_delta(
        self,
        id: FromPath[str],
        data: JSONBody[x.TokenDelta],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> x.TokenDeltaPublished:
        """Store token frames."""
        response = await self._report(
            gateway, principal, session_id=id, kind="token-delta", data=data, worker_id=""
        )
        return x.TokenDeltaPublished(published=response.count)


ROUTES = [SessionExtrasController]
