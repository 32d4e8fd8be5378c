"""Service metrics: ``/api/metrics/keys`` (push keys) and ``/api/services/{id}/metrics`` (push and ranges).

A push is authenticated by a push key (``Authorization: Bearer smk_...``), resolved by the ingest service
on every push with no cache, so a revoked key is refused on the very next push. Like every ingest door, a
push is rate limited per key (429 + ``Retry-After``; the key's SHA-256 names the Redis bucket, so unknown
keys are limited too) and its body is size-capped before and after gzip/deflate (413). The ingest service
answers only once the push is durable in JetStream; its consumer stores the points.
"""

from __future__ import annotations

import hashlib
from typing import Any

from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from switchyard.gateway.auth.deps import TENANT
from switchyard.gateway.domain.ingest.door import bearer_key, rate_limit, read_decoded
from switchyard.gateway.errors import GatewayError
from switchyard.gateway.request_id import request_id_of
from switchyard.gateway.schema import CamelStruct, rfc3339, rfc3339_or_none
from switchyard.gateway.state import Gateway
from switchyard.grpckit.principal import SERVICE, Principal
from switchyard.ingest.v1 import analytics_pb2 as pb


class KeyCreate(CamelStruct):
    """``{name}`` of the new key."""

    name: str


class Key(CamelStruct):
    """A push key; the raw value is never listed."""

    id: str
    name: str
    prefix: str
    created_at: str
    revoked_at: str | None


class KeyCreated(CamelStruct):
    """The key and its raw value: shown this once, only its hash is kept."""

    key: Key
    raw_key: str


class Keys(CamelStruct):
    """Newest first, revoked keys included."""

    keys: list[Key]


class Accepted(CamelStruct):
    """How many points the push carried (durable in JetStream when this is sent)."""

    accepted: int


class Point(CamelStruct):
    """The average of one bucket and the samples in it."""

    timestamp: str
    value: float
    samples: int


class Series(CamelStruct):
    """One metric of one instance."""

    name: str
    instance: str
    points: list[Point]


class ServiceMetrics(CamelStruct):
    """Series by name then instance."""

    service_id: str
    range: str
    bucket_seconds: int
    series: list[Series]


def _key(k: pb.MetricsKey) -> Key:
    return Key(
        id=k.id,
        name=k.name,
        prefix=k.prefix,
        created_at=rfc3339(k.created_at),
        revoked_at=rfc3339_or_none(k, "revoked_at"),
    )


def _bearer(request: Request[Any, Any, Any]) -> str:
    key = bearer_key(request)
    if not key:
        raise GatewayError(401, "missing metrics key (Authorization: Bearer <key>)")
    return key


class MetricsKeysController(Controller):
    """Push keys of service metrics (admins and owners mint and revoke; members list)."""

    path = "/api/metrics/keys"
    tags = ["Metrics"]
    dependencies = TENANT
    security = [{"bearer": []}]

    @get(
        operation_id="ListMetricsKeys",
        description="The org's metrics push keys, newest first (never the raw key).",
    )
    async def list_keys(
        self, principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> Keys:
        """List keys."""
        r = await gateway.ingest.list_metrics_keys(principal, pb.ListMetricsKeysRequest())
        return Keys(keys=[_key(k) for k in r.keys])

    @post(
        operation_id="CreateMetricsKey",
        description="Mints a push key {name}; the raw key (smk_...) is in this response only, stored hashed. Admin or owner.",  # noqa: E501
    )
    async def create_key(
        self,
        data: JSONBody[KeyCreate],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> KeyCreated:
        """Mint a key."""
        r = await gateway.ingest.create_metrics_key(principal, pb.CreateMetricsKeyRequest(name=data.name))
        return KeyCreated(key=_key(r.key), raw_key=r.raw_key)

    @delete(
        "/{keyId:str}",
        status_code=200,
        operation_id="RevokeMetricsKey",
        description="Revokes a push key: the next push with it is 401. Another org's key is 404. Admin or owner.",  # noqa: E501
    )
    async def revoke_key(
        self, keyId: FromPath[str], principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> Key:
        """Revoke a key."""
        r = await gateway.ingest.revoke_metrics_key(principal, pb.RevokeMetricsKeyRequest(key_id=keyId))
        return _key(r.key)


class ServiceMetricsController(Controller):
    """``/api/services/{id}/metrics``: pushes authenticated by a push key; range queries by org members."""

    path = "/api/services"
    tags = ["Metrics"]

    @post(
        "/{serviceId:str}/metrics",
        status_code=202,
        operation_id="PushServiceMetrics",
        description="Pushes one metric {name, value, instance?, timestamp? (RFC 3339), labels? (<= 20 strings)} or {metrics: [1..1000 of them]}. Authorization: Bearer <push key> (401 when missing, unknown or revoked; 429 + Retry-After over the per-key rate limit; 413 over the body cap; gzip/deflate bodies). name: 1..200 of letters, digits and _:.-; value a finite number. 202 {accepted} once durable in JetStream.",  # noqa: E501
    )
    async def push(
        self, request: Request[Any, Any, Any], serviceId: FromPath[str], gateway: NamedDependency[Gateway]
    ) -> Accepted:
        """Push metrics."""
        raw_key = _bearer(request)
        rate_limit(gateway, "mk:" + hashlib.sha256(raw_key.encode()).hexdigest()[:32])
        body = await read_decoded(request, gateway)
        principal = Principal(kind=SERVICE, request_id=request_id_of(request.scope))
        r = await gateway.ingest.push_service_metrics(
            principal, pb.PushServiceMetricsRequest(raw_key=raw_key, service_id=serviceId, body=body)
        )
        return Accepted(accepted=r.accepted)

    @get(
        "/{serviceId:str}/metrics",
        dependencies=TENANT,
        security=[{"bearer": []}],
        operation_id="GetServiceMetrics",
        description="Per-instance series of a service over range=1h|6h|24h|7d (buckets of 1 min, 5 min, 15 min, 1 h; each point the bucket's average), optionally one metric name. 404 when the org never pushed metrics for the service.",  # noqa: E501
    )
    async def query(
        self,
        serviceId: FromPath[str],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
        range: FromQuery[str] = "1h",
        name: FromQuery[str] = "",
    ) -> ServiceMetrics:
        """Range query."""
        r = await gateway.ingest.query_service_metrics(
            principal, pb.QueryServiceMetricsRequest(service_id=serviceId, range=range, name=name)
        )
        return ServiceMetrics(
            service_id=serviceId,
            range=range,
            bucket_seconds=r.bucket_seconds,
            series=[
                Series(
                    name=s.name,
                    instance=s.instance,
                    points=[
                        Point(timestamp=rfc3339(p.timestamp), value=p.value, samples=p.samples)
                        for p in s.points
                    ],
                )
                for s in r.series
            ],
        )


ROUTES = [MetricsKeysController, ServiceMetricsController]
