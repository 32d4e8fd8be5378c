"""The server fleet end to end: REST through the gateway, the agents service, and the reference agent
(``python -m switchyard.agent``) running as a separate OS process that is killed, restarted and
reconnected. Servers are enrolled over REST (install token, then registration).

Issue 4's tests: killing the agent mid-command leaves a truthful command state and the agent reconnects
with backoff; with two agents replicas a command issued through either reaches the agent; malformed
protobuf payloads and bad JSON bodies are rejected without killing the stream or the service.
"""

from __future__ import annotations

import json
import shlex
import socket
import sys
from pathlib import Path
from typing import Any

import grpc
import pytest
from switchyard.testing import free_port

from tests.api._fleet import (
    agent_process,
    agents_replica,
    agents_server_b,
    enrol_over_rest,
    fleet_agents_settings,
    gateway_b_settings,
    issue,
    process_alive,
    reaches,
    stream_connected,
    until,
)

pytestmark = pytest.mark.e2e

# Fixtures from the helper module, used by name below.
__all__ = ["agents_server_b", "fleet_agents_settings", "gateway_b_settings"]

DISCONNECTED = "agent disconnected mid-command"
GARBAGE = b"\xff\xff\xff\x0f garbage"


async def _enrolled(api: Any, tag: str) -> tuple[Any, dict[str, str], str, str]:
    """A fresh owner and a server of theirs enrolled over REST: (owner, headers, server id, secret)."""
    owner = await api.register(f"fleet-{tag}")
    server_id, secret = await enrol_over_rest(api.client, owner.headers(), f"{tag}-1")
    return owner, owner.headers(), server_id, secret


async def _connected(api: Any, owner: Any, server_id: str) -> None:
    await until(lambda: stream_connected(api.client, owner.headers(), server_id), what="the agent's stream")


async def _ping(client: Any, owner: Any, server_id: str) -> dict[str, Any]:
    response = await client.post(f"/api/servers/{server_id}/ping", headers=owner.headers())
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _never_healthy(port: int) -> dict[str, Any]:
    # An app that starts, prints, and never answers its health check: APP_DEPLOY stays running.
    script = "import time; print('booting', flush=True); time.sleep(300)"
    return {
        "container_name": "slow-app",
        "port": port,
        "override_cmd": shlex.join([sys.executable, "-c", script]),
    }


async def test_killing_the_agent_mid_command_leaves_a_truthful_state_and_pending_work_waits(
    api, agents_server, tmp_path: Path
) -> None:
    owner, headers, server_id, secret = await _enrolled(api, "kill")
    async with agent_process(agents_server.agent_address, server_id, secret, tmp_path) as agent:
        await _connected(api, owner, server_id)
        deploy = await issue(api.client, headers, server_id, "APP_DEPLOY", _never_healthy(free_port()))

        async def booting() -> bool:
            found = await reaches(api.client, headers, deploy["id"], "running")
            return "booting" in found["output"]

        await until(booting, what="the deploy's start-up output")
        [release] = agent.releases("slow-app")
        assert release["state"] == "running"
        await agent.kill()
        # Nobody can report on it any more: failed, saying why, after the output it did send.
        failed = await reaches(api.client, headers, deploy["id"], "failed")
        assert failed["output"].endswith(f"\n{DISCONNECTED}\n")
        assert "booting" in failed["output"]
        await until(lambda: _offline(api, owner, server_id), what="the stream to be gone")
        # Issued while the agent is down: stays pending, and nothing claims it ran.
        ping = await issue(api.client, headers, server_id, "AGENT_PING")
        queue = (await api.client.get(f"/api/servers/{server_id}/commands/queue", headers=headers)).json()
        assert queue == {"pending": 1, "dispatched": 0, "running": 0, "total": 1}
        # The interrupted release's process outlived the agent (own session) ...
        assert process_alive(release["pid"])
        await agent.start()
        # ... the restarted agent stops it instead of leaving it claimed as running,
        done = await reaches(api.client, headers, ping["id"], "completed")
        assert json.loads(done["output"])["agent_version"] == "fleet-e2e"
        await until(_async(lambda: not process_alive(release["pid"])), what="the orphan to stop")
        [settled] = agent.releases("slow-app")
        assert (settled["release_id"], settled["state"]) == (release["release_id"], "interrupted")
        assert f"stopped interrupted release {release['release_id']}" in agent.log()
        # ... and the deploy is not re-run behind the operator's back.
        assert (await reaches(api.client, headers, deploy["id"], "failed"))["output"] == failed["output"]


def _async(check: Any) -> Any:
    async def run() -> Any:
        return check()

    return run


async def _offline(api: Any, owner: Any, server_id: str) -> bool:
    return not await stream_connected(api.client, owner.headers(), server_id)


async def test_the_agent_reconnects_with_a_doubling_capped_backoff(
    api, fleet_agents_settings, tmp_path: Path
) -> None:
    owner, headers, server_id, secret = await _enrolled(api, "backoff")
    # Bound but not listening: connections are refused, and no other process can take the port meanwhile.
    with socket.socket() as reserved:
        reserved.bind(("127.0.0.1", 0))
        port = reserved.getsockname()[1]
        # Nothing listens on the port yet: every attempt fails and the wait doubles up to the cap.
        async with agent_process(f"127.0.0.1:{port}", server_id, secret, tmp_path) as agent:
            await until(_async(lambda: agent.reconnect_delays().count(1.0) >= 2), what="the capped backoff")
            before = agent.reconnect_delays()
            assert before[:4] == [0.2, 0.4, 0.8, 1.0]
            assert set(before[3:]) == {1.0}
            # A replica comes up on that port: the agent connects, and a command issued through the
            # gateway (to the session's replica) reaches it over NATS.
            reserved.close()
            async with agents_replica(fleet_agents_settings, agent_port=port):
                await _connected(api, owner, server_id)
                assert (await _ping(api.client, owner, server_id))["rttMs"] > 0
                seen = len(agent.reconnect_delays())
                closed = await api.client.post(f"/api/servers/{server_id}/disconnect", headers=headers)
                assert closed.json() == {"disconnected": True}
                # Force-disconnected: the backoff was reset when the stream opened, so it starts over.
                await until(_async(lambda: len(agent.reconnect_delays()) > seen), what="a reconnect")
                assert agent.reconnect_delays()[seen] == 0.2
                await until(lambda: _pinged(api, owner, server_id), what="a ping after the forced disconnect")


async def _pinged(api: Any, owner: Any, server_id: str) -> bool:
    response = await api.client.post(f"/api/servers/{server_id}/ping", headers=owner.headers())
    return response.status_code == 200


async def test_with_two_agents_replicas_a_command_through_either_reaches_the_agent(
    api, agents_server, agents_server_b, serve_gateway, gateway_b_settings, tmp_path
) -> None:
    owner, headers, server_id, secret = await _enrolled(api, "two")
    # A gateway whose agents address is replica B: REST → B's RPCs, while the agent may hold A.
    async with serve_gateway(gateway_b_settings) as via_b:
        for holder in (agents_server, agents_server_b):
            root = tmp_path / holder.hub.replica_id
            async with agent_process(holder.agent_address, server_id, secret, root):
                await _connected(api, owner, server_id)
                assert server_id in holder.hub.streams
                for client in (api.client, via_b):
                    assert (await _ping(client, owner, server_id))["rttMs"] > 0
                    command = await issue(client, headers, server_id, "AGENT_STATUS")
                    done = await reaches(client, headers, command["id"], "completed")
                    assert json.loads(done["output"])["runtime"] == "python"
            await until(lambda: _offline(api, owner, server_id), what="the stream to close")


async def test_garbage_protobuf_and_bad_json_are_rejected_and_nothing_dies(
    api, agents_server, tmp_path: Path
) -> None:
    owner, headers, server_id, secret = await _enrolled(api, "garbage")
    metadata = (("authorization", f"Bearer {secret}"), ("server-id", server_id))
    async with (
        agent_process(agents_server.agent_address, server_id, secret, tmp_path) as agent,
        grpc.aio.insecure_channel(agents_server.agent_address) as channel,
    ):
        await _connected(api, owner, server_id)
        for method in ("Heartbeat", "AckCommand", "ListServerRoutes", "ForwardObserveEvent"):
            call = channel.unary_unary(f"/agent.v1.AgentService/{method}")
            with pytest.raises(grpc.aio.AioRpcError) as anonymous:
                await call(GARBAGE, timeout=5)
            assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED
            with pytest.raises(grpc.aio.AioRpcError) as bad:
                await call(GARBAGE, metadata=metadata, timeout=5)
            assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert "malformed protobuf payload" in (bad.value.details() or "")
        base = f"/api/servers/{server_id}"
        json_headers = {**headers, "Content-Type": "application/json"}
        for path, extra in (
            (f"{base}/commands", json_headers),
            ("/api/servers/install-token", json_headers),
            ("/api/agent/register", {"Content-Type": "application/json"}),
            (f"{base}/dwaar/config", json_headers),
        ):
            response = await api.client.post(path, content=b'{"type": ', headers=extra)
            assert (response.status_code, response.json()) == (400, {"error": "invalid JSON body"}), path
        wrong = await api.client.post(f"{base}/commands", headers=headers, json={"type": "NOPE"})
        assert (wrong.status_code, wrong.json()) == (
            400,
            {"error": "type 'NOPE' is not a known agent.v1 CommandType"},
        )
        # The agent's stream and the service are still serving.
        assert await stream_connected(api.client, headers, server_id)
        assert (await _ping(api.client, owner, server_id))["rttMs"] > 0
        assert agent.proc is not None
        assert agent.proc.returncode is None
