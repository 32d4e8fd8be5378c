"""The Redis pending marker: idle heartbeats send no SQL; the marker is cleared, restored, bypassed safely."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from switchyard.grpckit.principal import WORKER, current_principal
from switchyard.mutations.markers import marker_key
from switchyard.mutations.v1 import mutations_pb2 as pb
from switchyard.mutations.v1 import mutations_service_pb2 as svc

pytestmark = pytest.mark.integration


@contextmanager
def statements(mutations: Any) -> Iterator[list[str]]:
    """Every SQL statement the mutations server sends on behalf of a worker while the block runs.

    The outbox relay shares the engine and polls on its own; the principal of the call being served
    (a context variable, which SQLAlchemy carries into its driver greenlet) tells the two apart.
    """
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if current_principal.get().kind == WORKER:
            seen.append(statement)

    engine = mutations.server.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_an_idle_heartbeat_sends_no_sql(mutations, redis) -> None:
    org = mutations.new_org()
    host = await mutations.new_host(org)
    with statements(mutations) as seen:
        for _ in range(3):
            beat = await mutations.beat(org, host)
            assert list(beat.pending_mutations) == []
    assert seen == []
    assert await redis.get(marker_key(host)) is None


async def test_the_marker_lives_until_every_mutation_is_acknowledged(mutations, redis) -> None:
    org = mutations.new_org()
    host = await mutations.new_host(org)
    queued = await mutations.enqueue(org, host)
    assert await redis.get(marker_key(host)) is not None
    with statements(mutations) as seen:
        await mutations.beat(org, host)
    assert seen, "a beat with a pending mutation must read PostgreSQL"
    assert await redis.get(marker_key(host)) is not None, "delivered but unacknowledged keeps the marker"
    await mutations.beat(org, host, applied=(queued.id,))
    assert await redis.get(marker_key(host)) is None
    with statements(mutations) as seen:
        await mutations.beat(org, host)
    assert seen == []


async def test_a_cancelled_mutation_leaves_no_marker_after_one_beat(mutations, redis) -> None:
    org = mutations.new_org()
    host = await mutations.new_host(org)
    queued = await mutations.enqueue(org, host)
    await mutations.call(
        "CancelMutation", svc.CancelMutationRequest(mutation_id=queued.id), mutations.owner(org)
    )
    await mutations.beat(org, host)
    assert await redis.get(marker_key(host)) is None


async def test_repair_restores_a_lost_marker(mutations, redis) -> None:
    org = mutations.new_org()
    host = await mutations.new_host(org)
    queued = await mutations.enqueue(org, host)
    await redis.delete(marker_key(host))
    # Without the marker an idle-looking beat trusts Redis and skips the database.
    assert list((await mutations.beat(org, host)).pending_mutations) == []
    assert await mutations.server.service.repair_markers() >= 1
    assert [m.id for m in (await mutations.beat(org, host)).pending_mutations] == [queued.id]


async def test_an_ack_reaches_the_database_even_without_a_marker(mutations, redis) -> None:
    org = mutations.new_org()
    host = await mutations.new_host(org)
    queued = await mutations.enqueue(org, host)
    await mutations.beat(org, host)
    await redis.delete(marker_key(host))
    beat = await mutations.beat(org, host, applied=(queued.id,))
    assert list(beat.pending_mutations) == []
    [stored] = await mutations.history(org, host)
    assert stored.status == pb.MUTATION_STATUS_APPLIED
