"""Deployments over real gRPC: the state machine driven by the agents' command events, approval, cancel,
rollback, cross-org NOT_FOUND, validation, and env values that never reach the feed or the command history.

A real agents service runs next to a deploy server pointed at it; no agent connects, so commands stay
pending and the agent's side is played by publishing ``agents.command.progress|finished`` events on the
AGENTS stream, as the agents service would.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import grpc
import pytest
import sqlalchemy as sa
from switchyard.agents import server as agents_server
from switchyard.agents.config import Settings as AgentsSettings
from switchyard.agents.v1 import agents_pb2, events_pb2, progress_pb2
from switchyard.agents.v1 import agents_service_pb2 as asvc
from switchyard.agents.v1 import agents_service_pb2_grpc as agrpc
from switchyard.deploy.config import Settings
from switchyard.deploy.server import start
from switchyard.deploy.v1 import deploy_service_pb2 as svc
from switchyard.deploy.v1 import deploy_service_pb2_grpc as svc_grpc
from switchyard.deploy.v1 import deployments_pb2 as dpb
from switchyard.grpckit.principal import METADATA_KEY

pytestmark = pytest.mark.integration

APP_DEPLOY = 42
SECRET = "env-value-7f3a-never-listed"


class Harness:
    """The Deploy helper's stub swapped for one on the agents-backed deploy server, plus the agents API."""

    def __init__(self, deploy: Any, channel: grpc.aio.Channel, agents: grpc.aio.Channel, engine: Any) -> None:
        self.d = deploy
        self.stub = svc_grpc.DeployServiceStub(channel)
        self.agents = agrpc.AgentsServiceStub(agents)
        self.engine = engine

    async def call(self, method: str, request: Any, principal: Any) -> Any:
        metadata = ((METADATA_KEY, self.d.signer.sign(principal)),)
        return await getattr(self.stub, method)(request, metadata=metadata, timeout=15)

    async def fails(self, method: str, request: Any, principal: Any) -> grpc.aio.AioRpcError:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await self.call(method, request, principal)
        return info.value

    async def server(self, org: str) -> str:
        server_id, now = str(uuid.uuid4()), datetime.now(UTC)
        async with self.engine.begin() as conn:
            await conn.execute(
                sa.text(
                    "INSERT INTO agents.servers (id, org_id, name, hostname, machine_id, status,"
                    " agent_version, enrolled_by, created_at, enrolled_at, updated_at)"
                    " VALUES (:id, :org, 'web', 'web.example', 'm', 'active', '', 'test', :now, :now, :now)"
                ),
                {"id": server_id, "org": org, "now": now},
            )
        return server_id

    async def app(self, org: str, **fields: Any) -> Any:
        server_id = fields.pop("server_id", None) or await self.server(org)
        project = await self.d.project(org, f"p-{uuid.uuid4().hex[:6]}")
        request = svc.CreateAppRequest(
            project_id=project.id,
            name="Web",
            server_id=server_id,
            start_command=fields.pop("start_command", "python3 -m http.server {port}"),
            **fields,
        )
        return (await self.call("CreateApp", request, self.d.owner(org))).app

    async def deploy(self, org: str, app_id: str, **fields: Any) -> Any:
        request = dpb.CreateDeploymentRequest(app_id=app_id, **fields)
        return (await self.call("CreateDeployment", request, self.d.owner(org))).deployment

    async def get(self, org: str, deployment_id: str) -> Any:
        request = dpb.GetDeploymentRequest(deployment_id=deployment_id)
        return (await self.call("GetDeployment", request, self.d.member(org))).deployment

    async def status(self, org: str, deployment_id: str, status: str) -> Any:
        async def reached() -> bool:
            return bool((await self.get(org, deployment_id)).status == status)

        await self.d.eventually(reached)
        return await self.get(org, deployment_id)

    async def progress(self, org: str, server_id: str, command_id: str, output: str) -> None:
        event = progress_pb2.CommandProgress(
            org_id=org,
            server_id=server_id,
            command_id=command_id,
            type=APP_DEPLOY,
            status="running",
            output=output,
            occurred_at=self.d.stamp(),
        )
        await self.d.js.publish("agents.command.progress", event.SerializeToString())

    async def finished(
        self, org: str, server_id: str, command_id: str, status: str, output: str = ""
    ) -> None:
        command = agents_pb2.AgentCommand(
            id=command_id,
            org_id=org,
            server_id=server_id,
            type=APP_DEPLOY,
            status=status,
            output=output,
            final=True,
        )
        event = events_pb2.CommandFinished(command=command, occurred_at=self.d.stamp())
        await self.d.js.publish("agents.command.finished", event.SerializeToString())


@pytest.fixture(scope="module")
async def h(deploy: Any, deploy_settings: Settings, agents_stream: Any) -> AsyncIterator[Harness]:
    settings = AgentsSettings(
        database_url=deploy_settings.database_url,
        redis_url=deploy_settings.redis_url,
        nats_url=deploy_settings.nats_url,
        principal_key=deploy_settings.principal_key,
    )
    await agents_server.migrate(settings)
    agents = await agents_server.start(settings, port=0, agent_port=0)
    wired = deploy_settings.model_copy(
        update={
            "agents_addr": agents.address,
            "servers_durable": f"deploy.servers-dep-{uuid.uuid4().hex[:8]}",
            "commands_durable": f"deploy.commands-dep-{uuid.uuid4().hex[:8]}",
        }
    )
    deploy_server = await start(wired, port=0)
    try:
        async with (
            grpc.aio.insecure_channel(deploy_server.address) as channel,
            grpc.aio.insecure_channel(agents.address) as agents_channel,
        ):
            yield Harness(deploy, channel, agents_channel, agents.engine)
    finally:
        await deploy_server.stop(grace=1)
        await agents.stop(grace=1)


async def test_progress_and_finished_events_drive_the_state_machine_once(h: Harness) -> None:
    org = h.d.new_org()
    app = await h.app(org)
    await h.d.put(org, app.id, {"TOKEN": SECRET})
    created = await h.deploy(org, app.id, image_tag="v1")
    assert (created.status, created.command_id, created.environment) == ("queued", created.id, "production")
    command = (
        await h.agents.GetCommand(
            asvc.GetCommandRequest(command_id=created.id),
            metadata=((METADATA_KEY, h.d.signer.sign(h.d.member(org))),),
        )
    ).command
    assert (command.status, command.type) == ("pending", APP_DEPLOY)
    assert SECRET not in command.payload_json
    assert json.loads(command.payload_json) == {
        "container_name": f"web-production-{app.id.replace('-', '')[:8]}",
        "port": 3000,
        "health_check_path": "/",
        "override_cmd": "python3 -m http.server {port}",
        "image_tag": "v1",
    }

    await h.progress(org, app.server_id, created.id, "started release r1\n")
    running = await h.status(org, created.id, "running")
    assert running.message == "started release r1"
    assert running.HasField("started_at")
    # Redelivered or repeated finals change nothing after the first.
    await h.finished(org, app.server_id, created.id, "completed", "started release r1\nhealthy\n")
    done = await h.status(org, created.id, "succeeded")
    assert (done.message, done.error) == ("healthy", "")
    await h.finished(org, app.server_id, created.id, "failed", "late")
    await h.progress(org, app.server_id, created.id, "later")
    failing = await h.deploy(org, app.id)
    await h.finished(org, app.server_id, failing.id, "failed", "deploy failed: process exited with code 1\n")
    failed = await h.status(org, failing.id, "failed")
    assert failed.error == "deploy failed: process exited with code 1"
    assert (await h.get(org, created.id)).status == "succeeded"

    kinds = [c.type for c in await h.d.changes(org, types=["deployment"])]
    assert sorted(kinds) == [
        "deployment.create",
        "deployment.create",
        "deployment.failed",
        "deployment.succeeded",
    ]
    assert all(SECRET not in c.summary_json for c in await h.d.changes(org))
    listed = await h.agents.ListCommands(
        asvc.ListCommandsRequest(server_id=app.server_id),
        metadata=((METADATA_KEY, h.d.signer.sign(h.d.member(org))),),
    )
    assert len(listed.commands) == 2
    assert SECRET not in str(listed)

    rolled = (
        await h.call(
            "RollbackDeployment", dpb.RollbackDeploymentRequest(deployment_id=created.id), h.d.owner(org)
        )
    ).deployment
    assert (rolled.rollback_of, rolled.image_tag, rolled.status) == (created.id, "v1", "queued")
    refused = await h.fails(
        "RollbackDeployment", dpb.RollbackDeploymentRequest(deployment_id=failing.id), h.d.owner(org)
    )
    assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_approval_cancel_access_and_validation(h: Harness) -> None:
    org, other = h.d.new_org(), h.d.new_org()
    app = await h.app(org)
    env = (
        await h.call(
            "SetEnvironmentApproval",
            dpb.SetEnvironmentApprovalRequest(app_id=app.id, requires_approval=True),
            h.d.owner(org),
        )
    ).environment
    assert (env.name, env.requires_approval) == ("production", True)
    pending = await h.deploy(org, app.id)
    assert (pending.status, pending.command_id) == ("pending_approval", "")
    approve = dpb.ApproveDeploymentRequest(deployment_id=pending.id)
    for principal, code in [
        (h.d.member(org), grpc.StatusCode.PERMISSION_DENIED),
        (h.d.service(org), grpc.StatusCode.PERMISSION_DENIED),
        (h.d.owner(other), grpc.StatusCode.NOT_FOUND),
    ]:
        assert (await h.fails("ApproveDeployment", approve, principal)).code() == code
    for method, request in [
        ("GetDeployment", dpb.GetDeploymentRequest(deployment_id=pending.id)),
        ("CancelDeployment", dpb.CancelDeploymentRequest(deployment_id=pending.id)),
        ("RollbackDeployment", dpb.RollbackDeploymentRequest(deployment_id=pending.id)),
        ("RejectDeployment", dpb.RejectDeploymentRequest(deployment_id=pending.id)),
        ("ListDeployments", dpb.ListDeploymentsRequest(app_id=app.id)),
    ]:
        assert (await h.fails(method, request, h.d.owner(other))).code() == grpc.StatusCode.NOT_FOUND, method
    approved = (await h.call("ApproveDeployment", approve, h.d.owner(org))).deployment
    assert (approved.status, approved.command_id) == ("queued", pending.id)
    cancelled = (
        await h.call(
            "CancelDeployment", dpb.CancelDeploymentRequest(deployment_id=pending.id), h.d.owner(org)
        )
    ).deployment
    assert cancelled.status == "cancelled"
    again = await h.fails(
        "CancelDeployment", dpb.CancelDeploymentRequest(deployment_id=pending.id), h.d.owner(org)
    )
    assert again.code() == grpc.StatusCode.FAILED_PRECONDITION

    no_command = await h.app(org, start_command="")
    refused = await h.fails(
        "CreateDeployment", dpb.CreateDeploymentRequest(app_id=no_command.id), h.d.owner(org)
    )
    assert (refused.code(), refused.details()) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "the app has no startCommand to run",
    )
    long_tag = await h.fails(
        "CreateDeployment", dpb.CreateDeploymentRequest(app_id=app.id, image_tag="x" * 201), h.d.owner(org)
    )
    assert long_tag.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "imageTag" in (long_tag.details() or "")
    watch = h.stub.WatchDeploymentEvents(
        dpb.WatchDeploymentEventsRequest(deployment_id=pending.id, limit=2001),
        metadata=((METADATA_KEY, h.d.signer.sign(h.d.member(org))),),
    )
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await watch.read()
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "limit" in (info.value.details() or "")


async def test_a_cordoned_or_draining_server_takes_no_new_deployment(h: Harness) -> None:
    org = h.d.new_org()
    server_id = await h.d.new_server(org)
    app = await h.app(org, server_id=server_id)
    owner = h.d.owner(org)
    for verb, state in [("Cordon", "cordoned"), ("Drain", "draining")]:
        request = getattr(svc, f"{verb}ServerRequest")(server_id=server_id)
        await h.call(f"{verb}Server", request, owner)
        refused = await h.fails("CreateDeployment", dpb.CreateDeploymentRequest(app_id=app.id), owner)
        assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert f"is {state}" in (refused.details() or "")
        await h.call("UndrainServer", svc.UndrainServerRequest(server_id=server_id), owner)
        await h.call("UncordonServer", svc.UncordonServerRequest(server_id=server_id), owner)
    listed = await h.call("ListDeployments", dpb.ListDeploymentsRequest(app_id=app.id), owner)
    assert list(listed.deployments) == []
    # Back in rotation: the deployment is accepted (agents has never heard of this server, so it may fail
    # to dispatch; what matters is that placement no longer refuses it).
    accepted = await h.deploy(org, app.id)
    assert accepted.status in {"queued", "failed"}
