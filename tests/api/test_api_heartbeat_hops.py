"""An idle heartbeat is one gRPC hop: the gateway asks the mutations service only when workers says a
mutation is open for the host, or when the beat carries ACKs.

Proved with a second gateway whose mutations address points at a closed port: every beat that would call
mutations fails there, every beat that skips it succeeds.
"""

from __future__ import annotations

import socket

import pytest
from switchyard.gateway.config import Settings as GatewaySettings

pytestmark = pytest.mark.integration


def _closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{sock.getsockname()[1]}"


async def test_idle_beats_skip_the_mutations_service(
    fleet, serve_gateway, identity_addr, redis_url, principal_key, workers_addr
) -> None:
    org = await fleet.org("hops")
    worker = await fleet.register(org)
    settings = GatewaySettings(
        identity_addr=identity_addr,
        redis_url=redis_url,
        principal_key=principal_key,
        workers_addr=workers_addr,
        mutations_addr=_closed_port(),
        rpc_timeout_seconds=2,
    )
    async with serve_gateway(settings) as blind:
        path = f"/api/workers/{worker.id}/heartbeat"
        body = {"activeCount": 0, "maxSessions": 2}
        for _ in range(3):
            idle = await blind.post(path, headers=worker.headers, json=body)
            assert idle.status_code == 200, idle.text
            assert "pendingMutations" not in idle.json() or idle.json()["pendingMutations"] in ([], None)

        made = await fleet.client.post(
            "/api/daemon/mutations",
            headers=fleet.api.bearer(org.key),
            json={"workerHostId": worker.id, "op": "project.remove", "params": {"id": "p1"}},
        )
        assert made.status_code == 201, made.text
        mutation_id = made.json()["mutation"]["id"]

        # Now workers flags the host, so the blind gateway must call mutations and cannot.
        flagged = await blind.post(path, headers=worker.headers, json=body)
        assert flagged.status_code == 503, flagged.text
        assert flagged.json()["error"]
        # The healthy gateway delivers it on the same kind of beat.
        delivered = await fleet.beat(worker)
        assert [m["id"] for m in delivered.json()["pendingMutations"]] == [mutation_id]
        # A beat carrying ACKs always goes to mutations.
        acking = await blind.post(
            path, headers=worker.headers, json={**body, "appliedMutations": [mutation_id]}
        )
        assert acking.status_code == 503, acking.text
        applied = await fleet.beat(worker, appliedMutations=[mutation_id])
        assert applied.status_code == 200, applied.text
