"""The Sentry consumer over real NATS and PostgreSQL: envelopes published as the gateway publishes them are
stored and grouped; other item types are counted; poison messages go to the dead-letter subject."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from sqlalchemy import select
from switchyard.bus import publish
from switchyard.ingest.db.models import ItemCount
from switchyard.ingest.v1 import ingest_pb2
from switchyard.ingest.v1 import ingest_service_pb2 as svc

pytestmark = pytest.mark.integration


def _frames(*functions: str) -> list[dict[str, Any]]:
    return [
        {"filename": "app.py", "module": "app", "function": f, "lineno": i, "in_app": True}
        for i, f in enumerate(functions, 1)
    ]


def error_event(
    event_id: str, *, value: str = "boom", functions: tuple[str, ...] = ("main", "work")
) -> dict[str, Any]:
    """A Sentry error event as sentry-python shapes it."""
    return {
        "event_id": event_id,
        "level": "error",
        "platform": "python",
        "timestamp": "2026-12-01T10:00:00Z",
        "exception": {
            "values": [{"type": "ValueError", "value": value, "stacktrace": {"frames": _frames(*functions)}}]
        },
    }


def envelope(*items: tuple[dict[str, Any], bytes]) -> bytes:
    """An envelope of ``items`` (header, payload); payloads framed with ``length``."""
    lines = [json.dumps({"sent_at": "2026-12-01T10:00:00Z"}).encode()]
    for header, payload in items:
        lines.append(json.dumps({**header, "length": len(payload)}).encode())
        lines.append(payload)
    return b"\n".join(lines)


async def send(ingest, dsn: Any, body: bytes, kind: str = "envelope") -> None:
    """Publish ``body`` to the raw Sentry subject with the headers the gateway sets."""
    headers = {"Ingest-Org-Id": dsn.org_id, "Ingest-Project-Id": str(dsn.project_id), "Ingest-Kind": kind}
    await publish(ingest.server.js, "ingest.raw.sentry", body, msg_id=uuid.uuid4().hex, headers=headers)


async def eventually(probe: Any, within: float = 20.0) -> Any:
    """Poll ``probe`` until it returns a truthy value (or ``within`` seconds pass)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = await probe()
        if value or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.1)


async def _dsn(ingest) -> Any:
    org = ingest.new_org()
    return (await ingest.call("CreateDsn", svc.CreateDsnRequest(name="api"), ingest.owner(org))).dsn


async def _groups(ingest, org: str) -> list[Any]:
    return list(
        (await ingest.call("ListErrorGroups", svc.ListErrorGroupsRequest(), ingest.member(org))).groups
    )


async def test_events_with_the_same_stack_share_a_group_and_other_items_are_counted(ingest) -> None:
    dsn = await _dsn(ingest)
    first, second, other = uuid.uuid4().hex, uuid.uuid4().hex, uuid.uuid4().hex
    await send(
        ingest,
        dsn,
        envelope(
            ({"type": "event"}, json.dumps(error_event(first)).encode()),
            ({"type": "session"}, b'{"sid": "x"}'),
            ({"type": "client_report"}, b"{}"),
        ),
    )
    await send(ingest, dsn, json.dumps(error_event(second, value="boom 2")).encode(), kind="store")
    await send(
        ingest,
        dsn,
        envelope(({"type": "event"}, json.dumps(error_event(other, functions=("main", "other"))).encode())),
    )
    await send(ingest, dsn, envelope(({"type": "transaction"}, b'{"type": "transaction"}')))

    async def two_groups() -> list[Any]:
        groups = await _groups(ingest, dsn.org_id)
        return groups if sum(g.event_count for g in groups) == 3 else []

    groups = await eventually(two_groups)
    assert sorted(g.event_count for g in groups) == [1, 2]
    grouped = next(g for g in groups if g.event_count == 2)
    assert grouped.title == "ValueError: boom"
    assert grouped.culprit == "app in work"
    assert grouped.status == ingest_pb2.ERROR_GROUP_STATUS_UNRESOLVED
    events = (
        await ingest.call(
            "ListErrorEvents", svc.ListErrorEventsRequest(group_id=grouped.id), ingest.member(dsn.org_id)
        )
    ).events
    assert {e.event_id for e in events} == {first, second}
    assert [f.function for f in events[0].exceptions[0].frames] == ["main", "work"]

    async with ingest.server.deps.reads() as session:
        counts = await eventually(
            lambda: _counts(session, dsn.project_id, expect=3),
        )
    assert counts == {"session": 1, "client_report": 1, "transaction": 1}


async def _counts(session: Any, project_id: int, *, expect: int) -> dict[str, int]:
    rows = await session.execute(
        select(ItemCount.item_type, ItemCount.count).where(ItemCount.project_id == project_id)
    )
    found = {kind: n for kind, n in rows}
    return found if sum(found.values()) >= expect else {}


async def test_a_poison_message_is_dead_lettered_and_the_consumer_goes_on(ingest, nats_url: str) -> None:
    import nats

    dsn = await _dsn(ingest)
    nc = await nats.connect(nats_url)
    dead: asyncio.Queue[Any] = asyncio.Queue()
    subscription = await nc.subscribe("ingest.dlq", cb=dead.put)
    try:
        await send(ingest, dsn, b'{"event_id": "x"}\n{"type": "event", "length": 999}\n{}')
        letter = await asyncio.wait_for(dead.get(), 20)
        assert letter.headers["Ingest-Dlq-Reason"] == "item 0 is shorter than its length"
        assert letter.headers["Ingest-Org-Id"] == dsn.org_id

        await send(
            ingest, dsn, envelope(({"type": "event"}, json.dumps(error_event(uuid.uuid4().hex)).encode()))
        )
        groups = await eventually(lambda: _groups(ingest, dsn.org_id))
        assert [g.event_count for g in groups] == [1]
    finally:
        await subscription.unsubscribe()
        await nc.close()


async def test_group_status_changes_and_other_orgs_groups_are_not_found(ingest) -> None:
    dsn = await _dsn(ingest)
    await send(ingest, dsn, envelope(({"type": "event"}, json.dumps(error_event(uuid.uuid4().hex)).encode())))
    group = (await eventually(lambda: _groups(ingest, dsn.org_id)))[0]
    request = svc.SetErrorGroupStatusRequest(group_id=group.id, status=ingest_pb2.ERROR_GROUP_STATUS_RESOLVED)

    changed = (await ingest.call("SetErrorGroupStatus", request, ingest.owner(dsn.org_id))).group
    assert changed.status == ingest_pb2.ERROR_GROUP_STATUS_RESOLVED
    other = ingest.owner(ingest.new_org())
    for method, req in (
        ("GetErrorGroup", svc.GetErrorGroupRequest(group_id=group.id)),
        ("ListErrorEvents", svc.ListErrorEventsRequest(group_id=group.id)),
        ("SetErrorGroupStatus", request),
    ):
        error = await ingest.fails(method, req, other)
        assert error.code().name == "NOT_FOUND", method
    got = await ingest.call(
        "GetErrorGroup", svc.GetErrorGroupRequest(group_id=group.id), ingest.member(dsn.org_id)
    )
    assert got.latest_event.exceptions[0].type == "ValueError"
