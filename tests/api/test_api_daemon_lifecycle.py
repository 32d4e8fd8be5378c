"""The Donmai daemon client (switchyard.donmai) driven through the gateway against real workers and mutations.

Register with an rsk_live_ org key, heartbeat, poll pre-claimed work, run the session (activity,
lock-refresh, completion, status) to ``completed``; a mutation delivered on one beat and ACKed on the
next; recovery from an expired runtime token (refresh with the registration token) and from a
deregistered worker (re-register under a new id).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from switchyard.donmai import (
    AgentResult,
    Daemon,
    DaemonConfig,
    Project,
    RetryPolicy,
    SessionContext,
    Timings,
)
from switchyard.gateway.config import Settings as GatewaySettings

pytestmark = pytest.mark.integration

GATEWAY_URL = "http://gateway.test"
WORKER_SCOPES = ["worker:register", "worker:poll", "worker:heartbeat", "worker:session"]
# Every interval and backoff shrunk so the protocol runs at test speed (no assertion depends on them).
FAST = Timings(
    lock_refresh_interval=0.05,
    retry=RetryPolicy(attempts=3, base_delay=0.01),
    heartbeat_interval=0.05,
    poll_interval=0.05,
)


@dataclass
class Fleet:
    """An org with an owner and a registration key."""

    owner: Any
    registration_token: str

    def headers(self) -> dict[str, str]:
        return self.owner.headers()


async def fleet_org(api: Any, tag: str) -> Fleet:
    owner = await api.register(tag)
    made = await api.client.post(
        f"/api/org/{owner.tenant_id}/keys",
        headers=owner.headers(),
        json={"name": "daemon", "projects": "all", "scopes": WORKER_SCOPES},
    )
    assert made.status_code == 201, made.text
    token = made.json()["key"]["fullKey"]
    assert token.startswith("rsk_live_")
    return Fleet(owner, token)


def daemon_for(
    fleet: Fleet, client: httpx.AsyncClient, state_dir: Path, agent: Any = None, **config: Any
) -> Daemon:
    settings = DaemonConfig(
        orchestrator_url=GATEWAY_URL,
        registration_token=fleet.registration_token,
        hostname="dev-box.test",
        state_dir=state_dir,
        max_sessions=2,
        machine_id=f"machine-{uuid.uuid4().hex[:8]}",
        projects=(Project("web", "github.com/acme/web"),),
        timings=FAST,
        **config,
    )
    return Daemon(settings, agent or fixing_agent, http=client)


async def fixing_agent(context: SessionContext) -> AgentResult:
    """Posts activity, holds the session until its issue lock was refreshed once, then reports."""
    thought = await context.activity("thought", f"Looking at {context.work['issueIdentifier']}")
    assert thought is not None
    assert thought.status_code == 200, thought.text
    await context.lock_refreshed.wait()
    await context.activity("action", "Edited app.py", toolName="Edit")
    return AgentResult(
        summary=f"Fixed {context.work['issueIdentifier']}",
        provider_session_id="claude-session-1",
        total_cost_usd=0.25,
        input_tokens=1200,
        output_tokens=340,
    )


async def queue_session(client: httpx.AsyncClient, fleet: Fleet, **body: Any) -> str:
    issue = uuid.uuid4().hex[:8]
    payload = {"issueId": f"issue-{issue}", "issueIdentifier": f"ENG-{issue[:4]}", "priority": 2, **body}
    response = await client.post("/api/sessions", headers=fleet.headers(), json=payload)
    assert response.status_code == 201, response.text
    return str(response.json()["session"]["linearSessionId"])


async def session_status(client: httpx.AsyncClient, fleet: Fleet, session_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/sessions/{session_id}/status", headers=fleet.headers())
    assert response.status_code == 200, response.text
    return dict(response.json())


async def mutations_of(client: httpx.AsyncClient, fleet: Fleet, worker_id: str) -> dict[str, dict[str, Any]]:
    response = await client.get(
        "/api/daemon/mutations", params={"workerHostId": worker_id}, headers=fleet.headers()
    )
    assert response.status_code == 200, response.text
    return {m["id"]: m for m in response.json()["mutations"]}


async def eventually(check: Any, *, attempts: int = 600) -> None:
    """Wait (without asserting on time) until ``check()`` is true; fail if it never becomes so."""
    for _ in range(attempts):
        if await check():
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"{check.__name__} never became true")


async def test_daemon_runs_a_whole_session_through_the_gateway(api, gateway, tmp_path: Path) -> None:
    fleet = await fleet_org(api, "daemon-life")
    session_id = await queue_session(
        gateway, fleet, projectName="web", repository="github.com/acme/web", prompt="Fix the build"
    )
    daemon = daemon_for(fleet, gateway, tmp_path / "state")
    await daemon.start()
    try:

        async def finished() -> bool:
            return session_id in daemon.finished

        await eventually(finished)
    finally:
        await daemon.stop()

    cache = json.loads((tmp_path / "state" / "daemon.jwt").read_text())
    assert cache["workerId"] == daemon.worker_id
    assert daemon.worker_id.startswith("wkr_")
    assert len(daemon.worker_id) == len("wkr_") + 16
    runner = daemon.finished[session_id]
    assert runner.outcome == "completed"
    assert runner.context.lock_refreshes >= 1
    posted = [action for action, _ in runner.posted]
    assert posted[0] == "status"
    assert posted[-2:] == ["completion", "status"]
    assert {"activity", "lock-refresh"} <= set(posted)
    assert all(code == 200 for _, code in runner.posted), runner.posted

    state = await session_status(gateway, fleet, session_id)
    assert state["status"] == "completed"
    assert state["workerId"] == daemon.worker_id
    assert state["providerSessionId"] == "claude-session-1"
    assert (state["inputTokens"], state["outputTokens"]) == (1200, 340)
    assert state["totalCostUsd"] == pytest.approx(0.25)


async def test_refused_work_is_nacked_back_to_the_queue(api, gateway, tmp_path: Path) -> None:
    fleet = await fleet_org(api, "daemon-nack")
    # No project named, so the server routes it here; the daemon cannot resolve the repository and refuses.
    refused = await queue_session(gateway, fleet, repository="github.com/someone-else/repo")
    daemon = daemon_for(fleet, gateway, tmp_path / "state")
    await daemon.boot()
    assert (await daemon.heartbeat_once()).status_code == 200  # type: ignore[union-attr]
    assert await daemon.poll_once() == []
    assert daemon.nacked == [(refused, "project not in allowlist")]
    state = await session_status(gateway, fleet, refused)
    assert state["status"] == "pending"
    await daemon.stop()


async def test_mutation_is_delivered_on_a_beat_and_acked_on_the_next(api, gateway, tmp_path: Path) -> None:
    fleet = await fleet_org(api, "daemon-mut")
    daemon = daemon_for(fleet, gateway, tmp_path / "state")
    await daemon.boot()
    assert (await daemon.heartbeat_once()).status_code == 200  # type: ignore[union-attr]

    enqueued = await gateway.post(
        "/api/daemon/mutations",
        headers=fleet.headers(),
        json={
            "workerHostId": daemon.worker_id,
            "op": "project.add",
            "params": {"id": "api", "repository": "github.com/acme/api"},
        },
    )
    assert enqueued.status_code in (200, 201), enqueued.text
    mutation_id = enqueued.json()["mutation"]["id"]
    assert enqueued.json()["mutation"]["status"] == "pending"

    delivering = await daemon.heartbeat_once()
    assert delivering is not None
    assert delivering.status_code == 200, delivering.text
    assert [m["id"] for m in delivering.json()["pendingMutations"]] == [mutation_id]
    assert "api" in daemon.allowlist.enabled
    listed = await mutations_of(gateway, fleet, daemon.worker_id)
    assert listed[mutation_id]["status"] == "delivered"
    assert listed[mutation_id]["deliveredAt"]
    refused = await gateway.delete(f"/api/daemon/mutations/{mutation_id}", headers=fleet.headers())
    assert refused.status_code == 409
    assert (refused.json()["cancelled"], refused.json()["reason"]) == (False, "already_delivered")

    acking = await daemon.heartbeat_once()
    assert acking is not None
    assert acking.status_code == 200, acking.text
    assert "pendingMutations" not in acking.json()
    listed = await mutations_of(gateway, fleet, daemon.worker_id)
    assert listed[mutation_id]["status"] == "applied"
    await daemon.stop()


async def test_expired_runtime_token_is_refreshed_with_the_registration_token(
    api,
    gateway,
    serve_gateway,
    start_workers,
    workers_settings_values,
    identity_addr,
    redis_url,
    principal_key,
    fleet_addrs,
    tmp_path: Path,
) -> None:
    fleet = await fleet_org(api, "daemon-exp")
    state_dir = tmp_path / "state"
    first = daemon_for(fleet, gateway, state_dir)
    await first.boot()
    worker_id = first.worker_id
    await first.stop()

    # A workers replica issuing 1-second tokens mints the token a long-idle daemon would find cached.
    short = await start_workers({**workers_settings_values, "runtime_token_ttl_seconds": 1})
    try:
        settings = GatewaySettings(
            identity_addr=identity_addr,
            redis_url=redis_url,
            principal_key=principal_key,
            **{**fleet_addrs, "workers_addr": short.address},
        )
        async with serve_gateway(settings) as short_gateway:
            # The same daemon (same state dir) refreshes proactively through that replica and caches it.
            expiring = daemon_for(fleet, short_gateway, state_dir)
            await expiring.boot()
            refreshed = await expiring.credentials.refresh()
    finally:
        await short.stop()
    stale = refreshed.runtime_token

    async def expired() -> bool:
        beat = await gateway.post(
            f"/api/workers/{worker_id}/heartbeat", headers=api.bearer(stale), json={"activeCount": 0}
        )
        return beat.status_code == 401 and "Runtime token expired" in beat.text

    await eventually(expired)

    restarted = daemon_for(fleet, gateway, state_dir)
    await restarted.boot()  # loads the cached, now expired, daemon.jwt
    assert restarted.credentials.current.runtime_token == stale
    rejected = await restarted.heartbeat_once()
    assert rejected is not None
    assert rejected.status_code == 401
    assert restarted.credentials.refreshes == 1
    assert restarted.credentials.registrations == 0
    assert restarted.worker_id == worker_id
    assert restarted.credentials.current.runtime_token != stale
    beat = await restarted.heartbeat_once()
    assert beat is not None
    assert beat.status_code == 200, beat.text
    await restarted.stop()


async def test_deregistered_worker_re_registers_under_a_new_id(api, gateway, tmp_path: Path) -> None:
    fleet = await fleet_org(api, "daemon-rereg")
    daemon = daemon_for(fleet, gateway, tmp_path / "state")
    await daemon.boot()
    old_worker_id = daemon.worker_id
    gone = await daemon.deregister()
    assert gone.status_code == 200, gone.text
    assert gone.json()["deregistered"] is True

    lost = await daemon.heartbeat_once()
    assert lost is not None
    assert lost.status_code == 404
    assert daemon.credentials.registrations == 2
    assert daemon.credentials.refreshes == 0
    assert daemon.worker_id != old_worker_id
    beat = await daemon.heartbeat_once()
    assert beat is not None
    assert beat.status_code == 200, beat.text
    cache = json.loads((tmp_path / "state" / "daemon.jwt").read_text())
    assert cache["workerId"] == daemon.worker_id
    await daemon.stop()
