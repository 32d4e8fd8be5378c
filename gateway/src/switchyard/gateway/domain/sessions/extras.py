"""Per-session worker extras (Rensei §2.4, §2.5): inbox and ACK, ownership transfer, file reservations.

Worker posts take the runtime JWT and the workers service checks the session is the caller's
(404 unknown, 403 "Session is owned by another worker"); queueing an inbox message takes an org key
or an org admin/owner, like queueing work.
"""

from __future__ import annotations

from typing import Annotated

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
    """``/api/sessions/{id}/inbox*``, ``/transfer-ownership`` and ``/files/*``."""

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


ROUTES = [SessionExtrasController]
