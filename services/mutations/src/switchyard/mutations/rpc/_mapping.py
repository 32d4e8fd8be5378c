"""pb <-> domain conversions shared by the servicer and the event writer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from google.protobuf import json_format
from google.protobuf.struct_pb2 import Struct
from google.protobuf.timestamp_pb2 import Timestamp
from switchyard.mutations.domain.mutations.models import HostStatusView, MutationView
from switchyard.mutations.v1 import mutations_pb2 as pb

STATUS_TO_PB: dict[str, Any] = {
    "pending": pb.MUTATION_STATUS_PENDING,
    "delivered": pb.MUTATION_STATUS_DELIVERED,
    "applied": pb.MUTATION_STATUS_APPLIED,
    "failed": pb.MUTATION_STATUS_FAILED,
    "cancelled": pb.MUTATION_STATUS_CANCELLED,
}


def ts(value: datetime | None) -> Timestamp | None:
    """A Timestamp, or None so the field stays unset."""
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def struct(value: dict[str, Any]) -> Struct:
    """A JSON object as a Struct."""
    message = Struct()
    message.update(value)
    return message


def params_of(message: Struct) -> dict[str, Any]:
    """A Struct as a plain JSON object (numbers arrive as floats, as JSON has them)."""
    result: dict[str, Any] = json_format.MessageToDict(message)
    return result


def mutation(view: MutationView) -> pb.Mutation:
    """The wire form of a stored mutation."""
    return pb.Mutation(
        id=view.id,
        org_id=view.org_id,
        worker_host_id=view.worker_host_id,
        op=view.op,
        params=struct(view.params),
        status=STATUS_TO_PB[view.status],
        requested_by=view.requested_by,
        delivered_at=ts(view.delivered_at),
        cancelled_at=ts(view.cancelled_at),
        applied_at=ts(view.applied_at),
        failure=view.failure or "",
        created_at=ts(view.created_at),
    )


def pending_mutation(view: MutationView) -> pb.PendingMutation:
    """A mutation as the heartbeat response carries it."""
    return pb.PendingMutation(
        id=view.id,
        op=view.op,
        params=struct(view.params),
        requested_at=ts(view.created_at),
        requested_by=view.requested_by,
    )


def host_status(view: HostStatusView | None) -> pb.HostStatus | None:
    """The host status, or None to leave the field unset."""
    if view is None:
        return None
    return pb.HostStatus(
        status=view.status,
        recommended_action=view.recommended_action,
        candidate_pool_ids=list(view.candidate_pool_ids),
    )
