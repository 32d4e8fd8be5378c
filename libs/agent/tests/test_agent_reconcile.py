"""DWAAR_RECONCILE: the route files become exactly the canonical set, from the payload or ListServerRoutes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from agent.v1 import agent_pb2
from switchyard.agent.context import HandlerContext
from switchyard.agent.handlers.reconcile import handle_dwaar_reconcile
from switchyard.agent.handlers.routes import handle_route_add, read_routes
from switchyard.agent.payload import PayloadError

pytestmark = pytest.mark.unit


def _served(folder: Path) -> dict[str, str]:
    return {r["domain"]: r["upstream"] for r in read_routes(folder)}


async def _add(ctx: HandlerContext, recorder: Any, domain: str, port: int) -> None:
    payload = {"domain": domain, "upstream_host": "127.0.0.1", "upstream_port": port}
    outcome = await handle_route_add(ctx, json.dumps(payload).encode(), recorder.progress())
    assert outcome.status == "completed"


async def test_payload_routes_replace_the_route_files(ctx: HandlerContext, recorder: Any) -> None:
    await _add(ctx, recorder, "same.example.com", 3000)
    await _add(ctx, recorder, "moved.example.com", 3001)
    await _add(ctx, recorder, "stray.example.com", 3002)
    routes = [
        {"domain": "same.example.com", "upstream_host": "127.0.0.1", "upstream_port": 3000, "app_id": "a1"},
        {"domain": "moved.example.com", "upstream_host": "127.0.0.1", "upstream_port": 4001, "app_id": "a1"},
        {"domain": "*.new.example.com", "upstream_port": 4002, "app_id": "a2"},
        {"domain": "ghost.example.com", "upstream_host": "no-such-app", "upstream_port": 80, "app_id": "a3"},
    ]
    payload = json.dumps({"version": 3, "routes": routes}).encode()
    outcome = await handle_dwaar_reconcile(ctx, payload, recorder.progress())
    assert outcome.status == "completed"
    answer = json.loads(outcome.output)
    assert answer == {
        "routes_added": 2,
        "routes_skipped": 1,
        "routes_removed": 1,
        "errors": [
            {
                "domain": "ghost.example.com",
                "app_id": "a3",
                "reason": "resolve upstream container 'no-such-app': no such app on this server",
            }
        ],
    }
    assert _served(ctx.config.routes_dir) == {
        "same.example.com": "127.0.0.1:3000",
        "moved.example.com": "127.0.0.1:4001",
        "*.new.example.com": "127.0.0.1:4002",
    }
    assert (ctx.config.routes_dir / "wildcard.new.example.com.dwaar").exists()
    again = await handle_dwaar_reconcile(ctx, payload, recorder.progress())
    assert json.loads(again.output)["routes_skipped"] == 3


async def test_without_routes_it_asks_list_server_routes(ctx: HandlerContext, recorder: Any) -> None:
    await _add(ctx, recorder, "old.example.com", 3000)
    asked: list[bool] = []

    async def list_routes() -> list[agent_pb2.ServerRoute]:
        asked.append(True)
        return [agent_pb2.ServerRoute(domain="app.example.com", port=8080, app_id="a1")]

    ctx.list_routes = list_routes
    outcome = await handle_dwaar_reconcile(ctx, b"", recorder.progress())
    assert asked == [True]
    assert json.loads(outcome.output)["routes_removed"] == 1
    assert _served(ctx.config.routes_dir) == {"app.example.com": "127.0.0.1:8080"}


async def test_bad_payloads_change_nothing(ctx: HandlerContext, recorder: Any) -> None:
    await _add(ctx, recorder, "keep.example.com", 3000)
    for payload in [{"routes": "x"}, {"routes": [1]}, {"routes": [{"upstream_port": 1}]}]:
        with pytest.raises(PayloadError):
            await handle_dwaar_reconcile(ctx, json.dumps(payload).encode(), recorder.progress())
    with pytest.raises(PayloadError, match="no routes given"):
        await handle_dwaar_reconcile(ctx, b"{}", recorder.progress())
    assert _served(ctx.config.routes_dir) == {"keep.example.com": "127.0.0.1:3000"}
