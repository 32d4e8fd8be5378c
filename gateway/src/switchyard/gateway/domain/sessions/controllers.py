"""Session routes: queueing work, the session FSM and the worker's posts, and the cloud-runner detail.

Worker posts take the runtime JWT; a ``workerId`` in the body must be the token's worker (403), and
the workers service checks that the session is that worker's (403 "owned by another worker").
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from switchyard.gateway.auth.workers import DAEMON, FLEET, WORKER_ANY
from switchyard.gateway.domain.sessions import extras
from switchyard.gateway.domain.sessions import schemas as s
from switchyard.gateway.errors import GatewayError
from switchyard.gateway.state import Gateway
from switchyard.grpckit.principal import Principal
from switchyard.workers.v1 import workers_service_pb2 as pb

TAGS = ["Worker Protocol"]
SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]


def acting_worker(principal: Principal, body_worker_id: str) -> str:
    """The worker a post acts for: the token's, which a body ``workerId`` may only repeat."""
    if body_worker_id and body_worker_id != principal.worker_id:
        raise GatewayError(403, "workerId does not match the runtime token")
    return principal.worker_id


class SessionsController(Controller):
    """``/api/sessions``: work queueing and the worker-side session protocol."""

    path = "/api/sessions"
    tags = TAGS
    security = SECURITY

    @post(
        "/",
        status_code=201,
        dependencies=DAEMON,
        operation_id="createSession",
        description="Queues agent work for an issue (priority 1-5, lower is sooner; default 3). An org key (rsk_live_) of the org, or an org admin/owner with X-Tenant-ID. Workers receive it through poll.",  # noqa: E501
    )
    async def create(
        self,
        data: JSONBody[s.SessionCreate],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.SessionCreated:
        """Queue work."""
        response = await gateway.workers.create_session(principal, s.create_request(data))
        return s.SessionCreated(session=s.session_state(response.session))

    @get(
        "/{id:str}/status",
        dependencies=FLEET,
        operation_id="getSessionStatus",
        description="Read session state (AgentSessionState; times in epoch ms). 404 for an unknown session.",
    )
    async def get_status(
        self, id: FromPath[str], principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> s.SessionState:
        """A session's state."""
        response = await gateway.workers.get_session_status(principal, session_id=id)
        return s.session_state(response.session)

    @post(
        "/{id:str}/status",
        status_code=200,
        dependencies=WORKER_ANY,
        operation_id="updateSessionStatus",
        description="FSM status transition: pending -> claimed -> running -> finalizing -> completed | failed | stopped; running -> completed | failed is allowed and repeats are idempotent. Impossible jumps are 409; 403 when the session is owned by another worker. Terminal states release the claim, the issue lock and file reservations and promote the next work for the issue.",  # noqa: E501
    )
    async def update_status(
        self,
        id: FromPath[str],
        data: JSONBody[s.StatusUpdate],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.StatusUpdated:
        """Move the session through the FSM."""
        acting_worker(principal, data.worker_id)
        response = await gateway.workers.update_session_status(principal, s.status_request(id, data))
        return s.StatusUpdated(updated=response.updated, session=s.session_state(response.session))

    @post(
        "/{id:str}/nack",
        status_code=200,
        dependencies=WORKER_ANY,
        operation_id="nackSession",
        description="Worker rejection of a pre-claimed session. Releases the claim and re-queues the work with its original priority.",  # noqa: E501
    )
    async def nack(
        self,
        id: FromPath[str],
        data: JSONBody[s.Nack],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.Nacked:
        """Give the session back."""
        worker_id = acting_worker(principal, data.worker_id)
        response = await gateway.workers.nack_session(
            principal, session_id=id, worker_id=worker_id, reason=data.reason
        )
        return s.Nacked(
            nacked=response.nacked, session_id=response.session_id or id, requeued=response.requeued
        )

    @post(
        "/{id:str}/activity",
        status_code=200,
        dependencies=WORKER_ANY,
        operation_id="postSessionActivity",
        description="Post agent activity (thought/action/response).",
    )
    async def activity(
        self,
        id: FromPath[str],
        data: JSONBody[s.ActivityPost],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.ActivityForwarded:
        """Record one activity."""
        worker_id = acting_worker(principal, data.worker_id)
        response = await gateway.workers.post_activity(principal, s.activity_request(id, worker_id, data))
        return s.ActivityForwarded(forwarded=response.forwarded, linear_session_id=id)

    @post(
        "/{id:str}/completion",
        status_code=200,
        dependencies=WORKER_ANY,
        operation_id="postSessionCompletion",
        description="Post completion summary. Long summaries are stored in parts; an empty summary is 400.",
    )
    async def completion(
        self,
        id: FromPath[str],
        data: JSONBody[s.CompletionPost],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.CompletionPosted:
        """Record the summary."""
        worker_id = acting_worker(principal, data.worker_id)
        response = await gateway.workers.post_completion(principal, s.completion_request(id, worker_id, data))
        return s.CompletionPosted(
            posted=response.posted, parts_posted=response.posted, total_parts=response.total_parts
        )

    @post(
        "/{id:str}/progress",
        status_code=200,
        dependencies=WORKER_ANY,
        operation_id="postSessionProgress",
        description="Post milestone progress message.",
    )
    async def progress(
        self,
        id: FromPath[str],
        data: JSONBody[s.ProgressPost],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.ProgressPosted:
        """Record a milestone."""
        worker_id = acting_worker(principal, data.worker_id)
        request = pb.PostProgressRequest(
            session_id=id, worker_id=worker_id, milestone=data.milestone, message=data.message
        )
        response = await gateway.workers.post_progress(principal, request)
        return s.ProgressPosted(posted=response.posted, milestone=response.milestone)

    @post(
        "/{id:str}/lock-refresh",
        status_code=200,
        dependencies=WORKER_ANY,
        operation_id="refreshSessionLock",
        description="Refresh issue lock TTL. refreshed:false means the worker lost the issue lock.",
    )
    async def lock_refresh(
        self,
        id: FromPath[str],
        data: JSONBody[s.LockRefresh],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> s.LockRefreshed:
        """Extend the issue lock."""
        worker_id = acting_worker(principal, data.worker_id)
        response = await gateway.workers.refresh_lock(
            principal, session_id=id, worker_id=worker_id, issue_id=data.issue_id
        )
        return s.LockRefreshed(refreshed=response.refreshed)


class DaemonSessionsController(Controller):
    """``/api/daemon/sessions/{id}``: queued detail for cloud runners."""

    path = "/api/daemon/sessions"
    tags = TAGS
    security = SECURITY
    dependencies = FLEET

    @get(
        "/{id:str}",
        operation_id="getDaemonSessionDetail",
        description="Get queued session detail for cloud runners (e2b/modal/daytona) whose DONMAI_DAEMON_URL points at the platform. The payload is available only while the session is still queued; once claimed it is 404.",  # noqa: E501
    )
    async def detail(
        self,
        id: FromPath[str],
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> dict[str, Any]:
        """The queued work."""
        response = await gateway.workers.get_queued_session(principal, session_id=id)
        return s.queued_detail(response, str(request.base_url).rstrip("/"))


ROUTES = [SessionsController, DaemonSessionsController, *extras.ROUTES]
