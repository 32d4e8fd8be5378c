"""Bodies of ``/api/daemon/mutations`` (Rensei §2.6); times are RFC 3339, unset ones null."""

from __future__ import annotations

from typing import Any

from switchyard.gateway.schema import CamelStruct, NonEmptyStr, rfc3339, rfc3339_or_none, struct_to_json
from switchyard.mutations.v1 import mutations_pb2

STATUS_NAMES = {
    mutations_pb2.MUTATION_STATUS_PENDING: "pending",
    mutations_pb2.MUTATION_STATUS_DELIVERED: "delivered",
    mutations_pb2.MUTATION_STATUS_APPLIED: "applied",
    mutations_pb2.MUTATION_STATUS_FAILED: "failed",
    mutations_pb2.MUTATION_STATUS_CANCELLED: "cancelled",
}


class MutationCreate(CamelStruct):
    """``POST /api/daemon/mutations``: params are validated per op by the mutations service."""

    worker_host_id: NonEmptyStr
    op: NonEmptyStr
    params: dict[str, Any] = {}


class Mutation(CamelStruct):
    """A daemon mutation."""

    id: str
    org_id: str
    worker_host_id: str
    op: str
    params: dict[str, Any]
    status: str
    requested_by: str
    delivered_at: str | None
    cancelled_at: str | None
    applied_at: str | None
    failure: str | None
    created_at: str


class MutationEnvelope(CamelStruct):
    """``POST /api/daemon/mutations`` answer."""

    mutation: Mutation


class MutationList(CamelStruct):
    """``GET /api/daemon/mutations`` answer, newest first."""

    mutations: list[Mutation]


class MutationCancelled(CamelStruct):
    """``DELETE /api/daemon/mutations/{id}`` answer."""

    cancelled: bool


def mutation_from_pb(mutation: mutations_pb2.Mutation) -> Mutation:
    """Map a ``mutations.v1.Mutation``."""
    return Mutation(
        id=mutation.id,
        org_id=mutation.org_id,
        worker_host_id=mutation.worker_host_id,
        op=mutation.op,
        params=struct_to_json(mutation.params),
        status=STATUS_NAMES.get(mutation.status, "pending"),
        requested_by=mutation.requested_by,
        delivered_at=rfc3339_or_none(mutation, "delivered_at"),
        cancelled_at=rfc3339_or_none(mutation, "cancelled_at"),
        applied_at=rfc3339_or_none(mutation, "applied_at"),
        failure=mutation.failure or None,
        created_at=rfc3339(mutation.created_at),
    )
