"""deploy's adapter of the agents command queue, against the real agents service over gRPC.

Deployments and domains act on a server only through this port, so its contract is pinned here: commands are
issued as the org (another org's server is not found), read back, and cancelled.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from agent.v1 import agent_pb2 as T
from switchyard.deploy.agents_client import AgentsCommands
from switchyard.grpckit.errors import NotFound

pytestmark = pytest.mark.integration


async def _server(agents_server: Any, org: str) -> str:
    """Test set-up: an active server of ``org``, inserted directly (enrolment has its own tests)."""
    server_id, now = str(uuid.uuid4()), datetime.now(UTC)
    secret_hash = hashlib.sha256(secrets.token_bytes(16)).hexdigest()
    async with agents_server.engine.begin() as conn:
        await conn.execute(
            sa.text(
                "INSERT INTO agents.servers (id, org_id, name, hostname, machine_id, status, agent_version,"
                " enrolled_by, created_at, enrolled_at, updated_at)"
                " VALUES (:id, :org, 'web-1', 'web-1.example', 'm', 'active', '', 'test', :now, :now, :now)"
            ),
            {"id": server_id, "org": org, "now": now},
        )
        await conn.execute(
            sa.text(
                "INSERT INTO agents.agent_secrets (server_id, secret_hash, created_at) VALUES (:s, :h, :n)"
            ),
            {"s": server_id, "h": secret_hash, "n": now},
        )
    return server_id


@pytest.fixture
async def port(agents_addr: str, principal_key: bytes) -> Any:
    client = AgentsCommands(addr=agents_addr, principal_key=principal_key, timeout=5)
    yield client
    await client.close()


async def test_issue_get_cancel_as_the_org(agents_server: Any, port: AgentsCommands) -> None:
    org = str(uuid.uuid4())
    server_id = await _server(agents_server, org)

    issued = await port.issue(
        org_id=org, server_id=server_id, type=T.COMMAND_TYPE_ROUTE_LIST, payload={"probe": True}
    )
    assert (issued.server_id, issued.type, issued.status) == (server_id, T.COMMAND_TYPE_ROUTE_LIST, "pending")

    read = await port.get(org_id=org, command_id=issued.id)
    assert read is not None
    assert read.id == issued.id
    assert read.status == "pending"
    async with agents_server.engine.connect() as conn:
        stored = (
            await conn.execute(sa.text("SELECT payload FROM agents.commands WHERE id = :i"), {"i": issued.id})
        ).scalar_one()
    assert (json.loads(stored) if isinstance(stored, str) else stored) == {"probe": True}

    cancelled = await port.cancel(org_id=org, command_id=issued.id)
    assert cancelled is not None
    assert cancelled.status == "cancelled"
    # Cancelling again reports the final state rather than failing.
    again = await port.cancel(org_id=org, command_id=issued.id)
    assert again is not None
    assert again.status == "cancelled"


async def test_another_orgs_ids_are_not_found(agents_server: Any, port: AgentsCommands) -> None:
    org, other = str(uuid.uuid4()), str(uuid.uuid4())
    server_id = await _server(agents_server, org)
    issued = await port.issue(org_id=org, server_id=server_id, type=T.COMMAND_TYPE_AGENT_PING, payload={})

    with pytest.raises(NotFound):
        await port.issue(org_id=other, server_id=server_id, type=T.COMMAND_TYPE_AGENT_PING, payload={})
    with pytest.raises(NotFound):
        await port.issue(org_id=org, server_id=str(uuid.uuid4()), type=T.COMMAND_TYPE_AGENT_PING, payload={})
    assert await port.get(org_id=other, command_id=issued.id) is None
    assert await port.cancel(org_id=other, command_id=issued.id) is None
    assert await port.get(org_id=org, command_id=str(uuid.uuid4())) is None
