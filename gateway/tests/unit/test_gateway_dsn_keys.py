"""The DSN key cache: one ResolveDsnKey call per key at a time, answers cached."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from switchyard.gateway.clients.ingest_door import DsnKeys
from switchyard.ingest.v1 import ingest_service_pb2 as pb

pytestmark = pytest.mark.unit

KEY = "0123456789abcdef0123456789abcdef"


class CountingIngest:
    """Answers ResolveDsnKey like the service does for a known key, slowly, and counts the calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.release = asyncio.Event()

    async def resolve_dsn_key(self, principal: Any, request: pb.ResolveDsnKeyRequest) -> Any:
        self.calls += 1
        await self.release.wait()
        response = pb.ResolveDsnKeyResponse()
        response.dsn.id, response.dsn.org_id, response.dsn.project_id = "dsn-1", "org-1", 7
        return response


async def test_concurrent_misses_share_one_lookup_and_then_hit_the_cache() -> None:
    ingest = CountingIngest()
    keys = DsnKeys(ingest)  # type: ignore[arg-type]
    waiting = [asyncio.create_task(keys.resolve(KEY.upper(), request_id=f"r{n}")) for n in range(50)]
    await asyncio.sleep(0.01)
    ingest.release.set()
    found = await asyncio.gather(*waiting)
    assert ingest.calls == 1
    assert {(k.dsn_id, k.org_id, k.project_id) for k in found if k} == {("dsn-1", "org-1", 7)}
    assert await keys.resolve(KEY, request_id="again") == found[0]
    assert ingest.calls == 1
    assert await keys.resolve("not-a-key", request_id="bad") is None
    assert ingest.calls == 1


async def test_a_cancelled_caller_does_not_cancel_the_others_lookup() -> None:
    ingest = CountingIngest()
    keys = DsnKeys(ingest)  # type: ignore[arg-type]
    first = asyncio.create_task(keys.resolve(KEY, request_id="gone"))
    second = asyncio.create_task(keys.resolve(KEY, request_id="stays"))
    await asyncio.sleep(0.01)
    first.cancel()
    ingest.release.set()
    assert (await second) is not None
    assert ingest.calls == 1
