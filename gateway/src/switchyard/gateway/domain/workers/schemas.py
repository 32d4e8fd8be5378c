"""Bodies of the worker protocol routes (Rensei §2.1, §2.2, §8) and their mapping to ``workers.v1``.

Field names, units and optionality follow what the Donmai daemon sends and reads: intervals in ms on the
``/api/workers`` flavour and in seconds on ``/v1/daemon``, ``queuedAt``/``createdAt`` as epoch ms.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from switchyard.gateway.schema import CamelStruct, NonEmptyStr, epoch_ms, rfc3339, struct_to_json
from switchyard.mutations.v1 import mutations_pb2
from switchyard.mutations.v1 import mutations_service_pb2 as mpb
from switchyard.workers.v1 import workers_pb2
from switchyard.workers.v1 import workers_service_pb2 as pb

WorkerStatus = Literal["idle", "busy", "draining"]
Count = Annotated[int, msgspec.Meta(ge=0)]
Positive = Annotated[int, msgspec.Meta(ge=1)]
# Project entries arrive as ids or as ``{id, repository}`` objects (legacy daemon.yaml ``projects``).
ProjectEntry = str | dict[str, Any]


class DaemonRegister(CamelStruct):
    """``POST /v1/daemon/register``: the registration token travels in the body."""

    registration_token: NonEmptyStr
    hostname: NonEmptyStr
    max_agents: Positive
    version: str = ""
    machine_id: str = ""
    region: str = ""
    capabilities: list[ProjectEntry] = []
    active_agent_count: Count = 0
    status: WorkerStatus | None = None


class DaemonRegistered(CamelStruct):
    """``/v1/daemon/register`` answer: intervals in seconds."""

    worker_id: str
    runtime_jwt: str
    heartbeat_interval_seconds: int
    poll_interval_seconds: int


class WorkerRegister(CamelStruct):
    """``POST /api/workers/register`` as the OSS worker and the Go daemon send it."""

    hostname: NonEmptyStr
    capacity: Positive
    version: str = ""
    machine_id: str = ""
    region: str = ""
    capabilities: list[ProjectEntry] = []
    projects: list[ProjectEntry] = []
    project_ids: list[ProjectEntry] = []
    daemon_projects: list[ProjectEntry] = []
    project_admission_mode: str = ""


class WorkerRegistered(CamelStruct):
    """``/api/workers/register`` answer (201): intervals in ms."""

    worker_id: str
    heartbeat_interval: int
    poll_interval: int
    runtime_token: str
    runtime_token_expires_at: str


class TokenRefreshed(CamelStruct):
    """``/api/workers/{id}/refresh-token`` answer (the daemon also reads the optional extras)."""

    worker_id: str
    runtime_token: str
    expires_at: str
    runtime_token_expires_at: str
    heartbeat_interval: int
    poll_interval: int


class DaemonHeartbeat(CamelStruct):
    """``POST /v1/daemon/heartbeat`` (the TS daemon's daemon-native beat)."""

    worker_id: NonEmptyStr
    hostname: NonEmptyStr
    status: WorkerStatus
    active_sessions: Count
    max_sessions: Count
    region: str = ""
    capabilities: list[ProjectEntry] = []
    version: str = ""


class DaemonHeartbeatAck(CamelStruct):
    """The spec's ``{acknowledged, serverTime, pendingWorkCount}`` plus the guide's ``{ok, serverTimeMs}``."""

    acknowledged: bool
    server_time: str
    pending_work_count: int
    ok: bool
    server_time_ms: int


class Load(CamelStruct):
    """Host load in percent."""

    cpu: float = 0.0
    memory: float = 0.0


class MutationFailureIn(CamelStruct):
    """A mutation the daemon could not apply."""

    id: NonEmptyStr
    error: str = ""


class WorkerHeartbeat(CamelStruct):
    """``POST /api/workers/{id}/heartbeat`` as the Go daemon sends it (every key optional)."""

    status: WorkerStatus | None = None
    active_count: Count = 0
    active_interactive_count: Count = 0
    max_sessions: Count = 0
    load: Load | None = None
    allowlist_hash: str = ""
    allowlist: list[ProjectEntry] = []
    enabled_project_ids: list[ProjectEntry] = []
    project_admission_mode: str = ""
    applied_mutations: list[NonEmptyStr] = []
    mutation_failures: list[MutationFailureIn] = []
    session_shim: dict[str, Any] | None = None


class PendingMutationOut(CamelStruct):
    """A mutation the daemon must apply and ACK on its next beat."""

    id: str
    op: str
    params: dict[str, Any]
    requested_at: str
    requested_by: str


class HostStatusOut(CamelStruct, omit_defaults=True):
    """The host's pool status; ``pool_*`` suspends new claims."""

    status: str
    recommended_action: str | None = None
    candidate_pool_ids: list[str] | None = None


class HeartbeatAck(CamelStruct, omit_defaults=True):
    """``/api/workers/{id}/heartbeat`` answer; mutation fields only when there is something to say."""

    acknowledged: bool
    server_time: str
    pending_work_count: int
    pending_mutations: list[PendingMutationOut] | None = None
    host_status: HostStatusOut | None = None
    session_shim: dict[str, Any] | None = None


class Deregistered(CamelStruct):
    """``DELETE /api/workers/{id}`` answer."""

    deregistered: bool
    unclaimed_sessions: list[str]


class InboxMessageOut(CamelStruct, omit_defaults=True):
    """A message for a live session."""

    id: str
    type: str
    session_id: str
    payload: dict[str, Any]
    created_at: int
    lane: str
    user_id: str | None = None
    user_name: str | None = None


class PollResult(CamelStruct):
    """``GET /api/workers/{id}/poll`` answer: pre-claimed work (never call claim) and inbox messages."""

    work: list[dict[str, Any]]
    inbox_messages: dict[str, list[InboxMessageOut]]
    has_inbox_messages: bool
    pre_claimed: bool
    claimed_session_ids: list[str]


def entry_ids(*lists: list[ProjectEntry]) -> list[str]:
    """Project ids (or capability names) from entries that are strings or ``{id|name|kind}`` objects."""
    found: list[str] = []
    for entries in lists:
        for entry in entries:
            value = (
                entry
                if isinstance(entry, str)
                else next((entry[k] for k in ("id", "name", "kind") if entry.get(k)), None)
            )
            if isinstance(value, str) and value and value not in found:
                found.append(value)
    return found


def daemon_register_request(body: DaemonRegister) -> pb.RegisterWorkerRequest:
    """Map a ``/v1/daemon/register`` body."""
    return pb.RegisterWorkerRequest(
        hostname=body.hostname,
        capacity=body.max_agents,
        version=body.version,
        machine_id=body.machine_id,
        region=body.region,
        capabilities=entry_ids(body.capabilities),
        status=body.status or "",
        active_count=body.active_agent_count,
    )


def worker_register_request(body: WorkerRegister) -> pb.RegisterWorkerRequest:
    """Map a ``/api/workers/register`` body; every project list the daemon may send counts."""
    return pb.RegisterWorkerRequest(
        hostname=body.hostname,
        capacity=body.capacity,
        version=body.version,
        machine_id=body.machine_id,
        region=body.region,
        capabilities=entry_ids(body.capabilities),
        project_ids=entry_ids(body.project_ids, body.projects, body.daemon_projects),
        project_admission_mode=body.project_admission_mode,
    )


def ms_to_seconds(ms: int) -> int:
    """Intervals in whole seconds, rounded up as the daemon rounds them."""
    return max(1, -(-ms // 1000))


def heartbeat_request(worker_id: str, body: WorkerHeartbeat) -> pb.HeartbeatRequest:
    """Map a ``/api/workers/{id}/heartbeat`` body."""
    request = pb.HeartbeatRequest(
        worker_id=worker_id,
        status=body.status or "",
        active_count=body.active_count,
        max_sessions=body.max_sessions,
        allowlist_hash=body.allowlist_hash,
        allowlist=entry_ids(body.allowlist),
        enabled_project_ids=entry_ids(body.enabled_project_ids),
        project_admission_mode=body.project_admission_mode,
    )
    if body.load is not None:
        request.load.CopyFrom(workers_pb2.LoadSample(cpu=body.load.cpu, memory=body.load.memory))
    return request


def deliver_request(worker_id: str, body: WorkerHeartbeat) -> mpb.DeliverOnHeartbeatRequest:
    """The beat's mutation ACKs for ``MutationsService.DeliverOnHeartbeat``."""
    return mpb.DeliverOnHeartbeatRequest(
        worker_host_id=worker_id,
        applied_mutation_ids=body.applied_mutations,
        mutation_failures=[
            mutations_pb2.MutationFailure(id=f.id, error=f.error) for f in body.mutation_failures
        ],
    )


def heartbeat_ack(
    beat: pb.HeartbeatResponse, delivery: mpb.DeliverOnHeartbeatResponse, shim: dict[str, Any] | None
) -> HeartbeatAck:
    """Merge the workers and mutations answers into the daemon's heartbeat response."""
    pending = [
        PendingMutationOut(
            id=m.id,
            op=m.op,
            params=struct_to_json(m.params),
            requested_at=rfc3339(m.requested_at),
            requested_by=m.requested_by,
        )
        for m in delivery.pending_mutations
    ]
    host_status = None
    if delivery.HasField("host_status") and delivery.host_status.status:
        status = delivery.host_status
        host_status = HostStatusOut(
            status=status.status,
            recommended_action=status.recommended_action or None,
            candidate_pool_ids=list(status.candidate_pool_ids) or None,
        )
    return HeartbeatAck(
        acknowledged=beat.acknowledged,
        server_time=rfc3339(beat.server_time),
        pending_work_count=beat.pending_work_count,
        pending_mutations=pending or None,
        host_status=host_status,
        # The daemon requires its shim echoed exactly, with acknowledged set.
        session_shim={**shim, "acknowledged": True} if shim is not None else None,
    )


def queued_work(work: Any) -> dict[str, Any]:
    """A ``QueuedWork`` as the daemon reads it: opaque extras first, the typed fields win."""
    item: dict[str, Any] = struct_to_json(work.extras)
    item.update(
        sessionId=work.session_id,
        issueId=work.issue_id,
        issueIdentifier=work.issue_identifier,
        priority=work.priority,
        queuedAt=epoch_ms(work.queued_at),
    )
    optional = {
        "prompt": work.prompt,
        "workType": work.work_type,
        "projectName": work.project_name,
        "repository": work.repository,
        "projectId": work.project_id,
    }
    item.update({key: value for key, value in optional.items() if value})
    return item


def inbox_message(message: Any) -> InboxMessageOut:
    """Map a ``workers.v1.InboxMessage`` (createdAt in epoch ms)."""
    return InboxMessageOut(
        id=message.id,
        type=message.type,
        session_id=message.session_id,
        payload=struct_to_json(message.payload),
        created_at=epoch_ms(message.created_at),
        lane=message.lane,
        user_id=message.user_id or None,
        user_name=message.user_name or None,
    )


def poll_result(response: pb.PollWorkResponse) -> PollResult:
    """Map ``PollWorkResponse``; inbox messages are grouped by session."""
    inbox: dict[str, list[InboxMessageOut]] = {}
    for message in response.inbox_messages:
        inbox.setdefault(message.session_id, []).append(inbox_message(message))
    return PollResult(
        work=[queued_work(w) for w in response.work],
        inbox_messages=inbox,
        has_inbox_messages=bool(inbox),
        pre_claimed=True,
        claimed_session_ids=list(response.claimed_session_ids),
    )
