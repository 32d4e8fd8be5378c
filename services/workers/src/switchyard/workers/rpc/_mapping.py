"""Domain views -> protobuf messages."""

from __future__ import annotations

from switchyard.workers.domain.fleet.models import Credentials, WorkerView
from switchyard.workers.domain.sessions.models import SessionView
from switchyard.workers.rpc._base import struct, ts
from switchyard.workers.v1 import workers_pb2 as pb


def worker(view: WorkerView) -> pb.Worker:
    """A live worker."""
    p = view.presence
    return pb.Worker(
        id=p.id,
        org_id=p.org_id,
        hostname=p.hostname,
        capacity=p.capacity,
        version=p.version,
        machine_id=p.machine_id,
        region=p.region,
        capabilities=list(p.capabilities),
        all_projects=p.all_projects,
        project_ids=list(p.project_ids),
        status=p.status,
        active_count=p.active_count,
        registration_key_id=p.registration_key_id,
        registered_at=ts(p.registered_at),
        last_heartbeat_at=ts(p.last_heartbeat_at),
        stale=view.stale,
    )


def credentials_fields(c: Credentials) -> dict[str, object]:
    """The fields RegisterWorkerResponse and RefreshRuntimeTokenResponse share."""
    return {
        "worker_id": c.worker_id,
        "runtime_token": c.runtime_token,
        "runtime_token_expires_at": ts(c.expires_at),
        "heartbeat_interval_ms": c.heartbeat_interval_ms,
        "poll_interval_ms": c.poll_interval_ms,
    }


def queued_work(v: SessionView) -> pb.QueuedWork:
    """A session as work handed to a daemon."""
    return pb.QueuedWork(
        session_id=v.id,
        issue_id=v.issue_id,
        issue_identifier=v.issue_identifier,
        priority=v.priority,
        queued_at=ts(v.queued_at),
        prompt=v.prompt,
        work_type=v.work_type,
        project_name=v.project_name,
        repository=v.repository,
        extras=struct(v.extras),
        project_id=v.project_id,
    )


def session(v: SessionView) -> pb.Session:
    """A session's state."""
    return pb.Session(
        id=v.id,
        organization_id=v.org_id,
        issue_id=v.issue_id,
        issue_identifier=v.issue_identifier,
        provider_session_id=v.provider_session_id,
        worktree_path=v.worktree_path,
        status=v.status,
        created_at=ts(v.created_at),
        updated_at=ts(v.updated_at),
        worker_id=v.worker_id,
        queued_at=ts(v.queued_at),
        claimed_at=ts(v.claimed_at),
        priority=v.priority,
        prompt_context=v.prompt,
        work_type=v.work_type,
        agent_id=v.agent_id,
        project_name=v.project_name,
        provider=v.provider,
        total_cost_usd=v.total_cost_usd,
        input_tokens=v.input_tokens,
        output_tokens=v.output_tokens,
        last_tool_name=v.last_tool_name,
        last_tool_called_at=ts(v.last_tool_called_at),
        tool_call_count=v.tool_call_count,
        repository=v.repository,
        project_id=v.project_id,
        error_message=v.error_message,
        finished_at=ts(v.finished_at),
    )
