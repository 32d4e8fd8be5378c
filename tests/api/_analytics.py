"""Helpers of the analytics and service-metrics API tests."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import httpx
from switchyard.grpckit.principal import METADATA_KEY, Principal, PrincipalSigner
from switchyard.ingest.v1 import ingest_service_pb2 as svc
from switchyard.ingest.v1 import ingest_service_pb2_grpc as svc_grpc


async def create_dsn(ingest_addr: str, principal_key: bytes, session: Any, app_id: str = "") -> Any:
    """A DSN in the session's org, minted over ingest's gRPC as that org's owner."""
    principal = Principal(kind="user", user_id=session.user_id, tenant_id=session.tenant_id, role="owner")
    metadata = ((METADATA_KEY, PrincipalSigner(principal_key).sign(principal)),)
    async with grpc.aio.insecure_channel(ingest_addr) as channel:
        stub = svc_grpc.IngestServiceStub(channel)
        reply = await stub.CreateDsn(
            svc.CreateDsnRequest(name="web", app_id=app_id), metadata=metadata, timeout=10
        )
    return reply.dsn


async def until(probe: Any, within: float = 20.0) -> Any:
    """Poll ``probe`` until it returns a truthy value; the last value when ``within`` seconds pass."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = await probe()
        if value or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.1)


async def events_of(
    client: httpx.AsyncClient, session: Any, expected: int, **query: Any
) -> list[dict[str, Any]]:
    """``GET /api/analytics/events`` once it lists at least ``expected`` events."""

    async def probe() -> list[dict[str, Any]] | None:
        response = await client.get(
            "/api/analytics/events", headers=session.headers(), params={"limit": 1000, **query}
        )
        assert response.status_code == 200, response.text
        events: list[dict[str, Any]] = response.json()["events"]
        return events if len(events) >= expected else None

    return await until(probe) or []
