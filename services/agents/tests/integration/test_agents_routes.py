"""Canonical routes from deploy's snapshots: ListServerRoutes, the route diff and DWAAR_RECONCILE, with the
reference agent (libs/agent) writing real route files.

Deploy is not running here: the test publishes ``deploy.routes.changed`` on the DEPLOY stream as it would.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import nats
import pytest
from agent.v1 import agent_pb2 as T
from switchyard.agents.v1 import routes_pb2 as rp
from switchyard.bus import ensure_stream
from switchyard.deploy.v1 import domains_pb2 as dp
from switchyard.testing.agent import reference_agent

pytestmark = pytest.mark.integration


@pytest.fixture
async def deploy_js(nats_url: str) -> AsyncIterator[Any]:
    """A JetStream context with the DEPLOY stream in place (deploy creates it when it runs)."""
    client = await nats.connect(nats_url)
    js = client.jetstream()
    # deploy's own subjects: DEPLOY_PROGRESS holds deploy.progress.> on the same server.
    await ensure_stream(js, name="DEPLOY", subjects=["deploy.change.>", "deploy.envvar.>", "deploy.routes.>"])
    yield js
    await client.drain()


async def _publish(js: Any, server: Any, version: int, *hosts: tuple[str, int], org: str = "") -> None:
    routes = [
        dp.CanonicalRoute(
            domain=h, app_id="app-1", domain_id=f"d-{h}", upstream_host="127.0.0.1", upstream_port=p
        )
        for h, p in hosts
    ]
    event = dp.ServerRoutesChanged(
        server_id=server.id, org_id=org or server.org, version=version, routes=routes
    )
    await js.publish("deploy.routes.changed", event.SerializeToString())


def _metadata(server: Any) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {server.secret}"), ("server-id", server.id))


def _reply(output: str) -> Any:
    # The reference agent's progress lines ("dwaar not installed ...") come before the JSON answer.
    return json.loads(output.strip().rsplit("\n", 1)[-1])


async def _listed(fleet: Any, server: Any) -> list[tuple[str, int, str]]:
    response = await fleet.agent_stubs["b"].ListServerRoutes(
        T.ListServerRoutesRequest(server_id=server.id), metadata=_metadata(server)
    )
    return [(r.domain, r.port, r.app_id) for r in response.routes]


async def test_snapshots_feed_list_server_routes_newest_version_and_own_org_only(fleet, deploy_js) -> None:
    server = await fleet.enrol(name="routes-list")
    assert await _listed(fleet, server) == []
    await _publish(deploy_js, server, 2, ("a.example.com", 3000), ("b.example.com", 3001))
    expected = [("a.example.com", 3000, "app-1"), ("b.example.com", 3001, "app-1")]
    await fleet.until(lambda: _same(_listed(fleet, server), expected))
    # An older snapshot (redelivered or reordered) and another org's snapshot for this server change nothing.
    await _publish(deploy_js, server, 1, ("old.example.com", 1))
    await _publish(deploy_js, server, 9, ("evil.example.com", 1), org=fleet.new_org())
    await _publish(deploy_js, server, 3, ("a.example.com", 3000))
    await fleet.until(lambda: _same(_listed(fleet, server), [("a.example.com", 3000, "app-1")]))
    rows = await fleet.sql("SELECT version FROM agents.server_routes WHERE server_id = :s", s=server.id)
    assert [r.version for r in rows] == [3]
    other = await fleet.enrol(name="routes-other")
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await fleet.agent_stubs["a"].ListServerRoutes(
            T.ListServerRoutesRequest(server_id=other.id), metadata=_metadata(server)
        )
    assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_diff_and_reconcile_with_the_reference_agent(fleet, deploy_js, tmp_path: Path) -> None:
    server = await fleet.enrol(name="routes-agent")
    owner, member = fleet.owner(server.org), fleet.member(server.org)
    diff = rp.GetRouteDiffRequest(server_id=server.id)
    reconcile = rp.ReconcileDwaarRequest(server_id=server.id)
    offline = await fleet.fails("GetRouteDiff", diff, member)
    assert offline.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert (
        await fleet.fails("ReconcileDwaar", reconcile, owner)
    ).code() == grpc.StatusCode.FAILED_PRECONDITION
    foreign = await fleet.fails("GetRouteDiff", diff, fleet.member(fleet.new_org()))
    assert foreign.code() == grpc.StatusCode.NOT_FOUND
    await _publish(deploy_js, server, 1, ("app.example.com", 8080), ("api.example.com", 8081))

    address = fleet.replicas["a"].agent_address
    ready = lambda: fleet.until(lambda: fleet.stream_on(server, "a"))  # noqa: E731
    async with reference_agent(address, server.id, server.secret, tmp_path, registered=ready):
        stray = {"domain": "stray.example.com", "upstream_host": "127.0.0.1", "upstream_port": 9}
        added = await fleet.issue(server, T.COMMAND_TYPE_ROUTE_ADD, stray)
        await fleet.status_of(server, added.id, "completed")

        async def states() -> dict[str, str]:
            report = await fleet.call("GetRouteDiff", diff, member)
            return {r.domain: r.state for r in report.routes}

        expected = {
            "api.example.com": "missing_in_dwaar",
            "app.example.com": "missing_in_dwaar",
            "stray.example.com": "unexpected_in_dwaar",
        }
        await fleet.until(lambda: _same(states(), expected))

        # The real agent's way: no payload, it asks ListServerRoutes.
        plain = await fleet.issue(server, T.COMMAND_TYPE_DWAAR_RECONCILE)
        done = await fleet.status_of(server, plain.id, "completed")
        assert _reply(done.output) == {
            "routes_added": 2,
            "routes_skipped": 0,
            "routes_removed": 1,
            "errors": [],
        }
        assert await states() == {"api.example.com": "in_sync", "app.example.com": "in_sync"}
        report = await fleet.call("GetRouteDiff", diff, member)
        assert [(r.expected_upstream, r.actual_upstream, r.upstream_matches) for r in report.routes] == [
            ("127.0.0.1:8081", "127.0.0.1:8081", True),
            ("127.0.0.1:8080", "127.0.0.1:8080", True),
        ]

        # ReconcileDwaar carries the set in the payload; members may not act.
        denied = await fleet.fails("ReconcileDwaar", reconcile, member)
        assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
        await _publish(deploy_js, server, 2, ("app.example.com", 8080))
        await fleet.until(lambda: _same(_listed(fleet, server), [("app.example.com", 8080, "app-1")]))
        queued = await fleet.call("ReconcileDwaar", reconcile, owner)
        assert (queued.queued, queued.routes, queued.version) == (True, 1, 2)
        command = await fleet.status_of(server, queued.command_id, "completed")
        assert json.loads(command.payload_json) == {
            "version": 2,
            "routes": [
                {
                    "domain": "app.example.com",
                    "upstream_host": "127.0.0.1",
                    "upstream_port": 8080,
                    "app_id": "app-1",
                }
            ],
        }
        assert _reply(command.output)["routes_removed"] == 1
        assert await states() == {"app.example.com": "in_sync"}
        assert sorted(p.name for p in (tmp_path / "dwaar" / "apps").glob("*.dwaar")) == [
            "app.example.com.dwaar"
        ]


async def _same(actual: Any, expected: Any) -> bool:
    return bool(await actual == expected)
