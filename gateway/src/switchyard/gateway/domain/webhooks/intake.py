"""One delivery, start to end: verify, decode, deduplicate, queue.

Duplicates are caught twice. ``SET NX`` on ``gw:webhook:<provider>:<delivery id>`` (kept
``GATEWAY_WEBHOOK_DEDUPE_SECONDS``) answers a redelivery without any RPC; and the session id is derived
from the delivery (UUIDv5), so even with the Redis mark gone a redelivery hits the workers service's
primary key (ALREADY_EXISTS) instead of queueing the work twice. When queueing fails for any other
reason the mark is removed, so the provider's retry gets another chance.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

import grpc
from switchyard.gateway.domain.webhooks.providers import (
    Headers,
    Provider,
    Work,
    decode_event,
    delivery_id,
    signature_valid,
)
from switchyard.gateway.errors import GatewayError
from switchyard.gateway.schema import json_to_struct
from switchyard.grpckit.principal import SERVICE, Principal
from switchyard.obs import get_logger
from switchyard.workers.v1 import workers_service_pb2 as pb

if TYPE_CHECKING:
    from switchyard.gateway.state import Gateway

_log = get_logger(__name__)
# Session ids of webhook work: uuid5(namespace, "<provider>:<org>:<delivery id>").
SESSION_NAMESPACE = uuid.UUID("6f1d3c2a-8e0b-5b7e-9a41-5c0d2f7e9b13")
WORK_TYPE = "development"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A configured provider: its secret and the org its deliveries queue work for."""

    provider: Provider
    secret: bytes
    org_id: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of a delivery."""

    event_id: str
    session_id: str = ""
    duplicate: bool = False
    ignored: bool = False


def dedupe_key(provider: str, event_id: str) -> str:
    """The Redis mark of a seen delivery."""
    return f"gw:webhook:{provider}:{event_id}"


def verify(endpoint: Endpoint, headers: Headers, body: bytes) -> None:
    """401 unless the delivery carries the HMAC-SHA256 of its raw body under the provider's secret."""
    claimed = endpoint.provider.signature_of(headers)
    if not claimed:
        raise GatewayError(401, "missing webhook signature")
    if not signature_valid(endpoint.secret, body, claimed):
        raise GatewayError(401, "invalid webhook signature")


async def ingest(
    *, gateway: Gateway, endpoint: Endpoint, headers: Headers, body: bytes, request_id: str
) -> Outcome:
    """Verify a delivery and queue the work it asks for, once.

    Raises:
        GatewayError: 401 for a missing or bad signature, 400 for a body that is not the event's JSON.
        grpc.aio.AioRpcError: The workers service refused or failed (the delivery is not remembered).
    """
    verify(endpoint, headers, body)
    work = endpoint.provider.work_of(headers, decode_event(body))
    event_id = delivery_id(headers, endpoint.provider.delivery_header, body)
    name = endpoint.provider.name
    session_id = str(uuid.uuid5(SESSION_NAMESPACE, f"{name}:{endpoint.org_id}:{event_id}"))
    key = dedupe_key(name, event_id)
    ttl = gateway.settings.webhook_dedupe_seconds
    if not await gateway.redis.set(key, session_id if work else "ignored", nx=True, ex=ttl):
        return Outcome(event_id, duplicate=True)
    if work is None:
        return Outcome(event_id, ignored=True)
    try:
        await _queue(gateway, endpoint, work, event_id=event_id, session_id=session_id, request_id=request_id)
    except grpc.aio.AioRpcError as exc:
        if exc.code() == grpc.StatusCode.ALREADY_EXISTS:
            return Outcome(event_id, duplicate=True)
        await gateway.redis.delete(key)
        raise
    except Exception:
        await gateway.redis.delete(key)
        raise
    _log.info("webhook work queued", provider=name, event_id=event_id, session_id=session_id)
    return Outcome(event_id, session_id=session_id)


async def _queue(
    gateway: Gateway, endpoint: Endpoint, work: Work, *, event_id: str, session_id: str, request_id: str
) -> None:
    name = endpoint.provider.name
    trigger = {"provider": name, "event": work.event, "action": work.action, "deliveryId": event_id}
    request = pb.CreateSessionRequest(
        issue_id=work.issue_id,
        issue_identifier=work.issue_identifier,
        priority=work.priority,
        work_type=WORK_TYPE,
        repository=work.repository,
        extras=json_to_struct({**work.extras, "webhook": trigger}),
        session_id=session_id,
    )
    # The gateway acts for the configured org; the workers service accepts a SERVICE principal with a tenant.
    principal = Principal(
        kind=SERVICE, tenant_id=endpoint.org_id, token_id=f"webhook:{name}", request_id=request_id
    )
    await gateway.workers.create_session(principal, request)
