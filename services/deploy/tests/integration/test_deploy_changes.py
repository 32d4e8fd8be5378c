"""The change feed: newest first, type and app filters, since window, keyset pages, never a value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest
from sqlalchemy import text
from switchyard.deploy.v1 import deploy_service_pb2 as svc

pytestmark = pytest.mark.integration


async def test_feed_is_newest_first_and_filters_by_type_and_app(deploy) -> None:
    org = deploy.new_org()
    web = await deploy.app(org, name="Web")
    api = await deploy.app(org, name="Api")
    await deploy.put(org, web.id, {"A": "1", "B": "2"})
    await deploy.put(org, api.id, {"C": "3"})
    every = await deploy.changes(org)
    assert [c.id for c in every] == sorted((c.id for c in every), reverse=True)
    assert {"project.create", "app.create", "env.set"} <= {c.type for c in every}
    env = await deploy.changes(org, types=["env"])
    assert sorted(deploy.summary(c)["key"] for c in env) == ["A", "B", "C"]
    exact = await deploy.changes(org, types=["app.create", "project.create"])
    assert sorted(c.type for c in exact) == ["app.create", "app.create", "project.create", "project.create"]
    for app in (web.id, "web"):  # by id or slug
        only_web = await deploy.changes(org, app=app)
        assert {c.app_id for c in only_web} == {web.id}
        assert sorted(c.type for c in only_web) == ["app.create", "env.set", "env.set"]
    assert await deploy.changes(deploy.new_org()) == []


async def test_pages_follow_the_cursor_without_gaps(deploy) -> None:
    org = deploy.new_org()
    app = await deploy.app(org)
    await deploy.put(org, app.id, {f"K_{i}": str(i) for i in range(7)})
    everything = await deploy.changes(org, limit=500)
    seen: list[int] = []
    cursor = ""
    while True:
        request = svc.ListChangesRequest(limit=3, cursor=cursor)
        page = await deploy.call("ListChanges", request, deploy.member(org))
        seen += [c.id for c in page.changes]
        assert len(page.changes) <= 3
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == [c.id for c in everything]
    assert len(seen) == 9  # project, app, seven keys


async def test_since_limit_types_and_cursor_are_validated(deploy) -> None:
    org = deploy.new_org()
    bad = {
        "limit": svc.ListChangesRequest(limit=501),
        "since": svc.ListChangesRequest(since=deploy.stamp(datetime.now(UTC) - timedelta(days=31))),
        "types": svc.ListChangesRequest(types=["Not A Type"]),
        "cursor": svc.ListChangesRequest(cursor="!!!"),
    }
    for field, request in bad.items():
        error = await deploy.fails("ListChanges", request, deploy.member(org))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, field
        assert field in (error.details() or "")
    await deploy.project(org)
    future = svc.ListChangesRequest(since=deploy.stamp(datetime.now(UTC) + timedelta(minutes=5)))
    assert list((await deploy.call("ListChanges", future, deploy.member(org))).changes) == []
    window = svc.ListChangesRequest(since=deploy.stamp(datetime.now(UTC) - timedelta(days=29)))
    assert len((await deploy.call("ListChanges", window, deploy.member(org))).changes) == 1


async def test_older_than_the_default_day_needs_since(deploy) -> None:
    org = deploy.new_org()
    project = await deploy.project(org)
    async with deploy.server.engine.begin() as conn:
        await conn.execute(
            text("UPDATE deploy.changes SET created_at = now() - interval '2 days' WHERE org_id = :o"),
            {"o": org},
        )
    assert await deploy.changes(org) == []
    window = deploy.stamp(datetime.now(UTC) - timedelta(days=3))
    [old] = await deploy.changes(org, since=window)
    assert (old.type, old.entity_id) == ("project.create", project.id)
