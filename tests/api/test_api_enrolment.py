"""Server enrolment through the gateway: install tokens, the real install script run with ``sh``, the
agent bundle, register/refresh/recover and revoke-tokens (real identity and agents services).

The install script calls back into the gateway, so these tests serve a gateway with uvicorn on a real
loopback port; the script runs with its env file, prefix and state dir under ``tmp_path`` and no systemd.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import socket
import stat
import sys
import tarfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn
from sqlalchemy.engine import make_url
from switchyard.gateway.app import create_app
from switchyard.gateway.config import Settings as GatewaySettings
from switchyard.testing import free_port

pytestmark = pytest.mark.integration

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


@pytest.fixture(scope="module")
async def enrol_http(
    identity_addr: str, redis_url: str, principal_key: bytes, fleet_addrs: dict[str, str]
) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway on a real loopback port (the install script calls it back)."""
    settings = GatewaySettings(
        identity_addr=identity_addr,
        redis_url=redis_url,
        principal_key=principal_key,
        auth_rate_limit_per_minute=100_000,
        **fleet_addrs,
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings),
            host="127.0.0.1",
            port=port,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=2,
        )
    )
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not serving.done(), serving.result()
            await asyncio.sleep(0.02)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield client
    finally:
        server.should_exit = True
        await serving


@pytest.fixture
async def agents_db(api_database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection to the database holding the agents schema."""
    url = make_url(api_database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(url)
    yield conn
    await conn.close()


async def _mint(client: httpx.AsyncClient, owner: Any, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/servers/install-token", headers=owner.headers(), json=body)
    assert response.status_code == 201, response.text
    minted: dict[str, Any] = response.json()
    return minted


def _env_file(path: Path) -> dict[str, str]:
    pairs = [line.split("=", 1) for line in path.read_text().splitlines() if "=" in line]
    return {key: value for key, value in pairs}


async def _run_script(script: str, tmp_path: Path, **env: str) -> tuple[int, str]:
    path = tmp_path / f"install-{uuid.uuid4().hex[:6]}.sh"
    path.write_text(script)
    environment = {
        # python3 is this interpreter, which has grpcio, protobuf and httpx: no pip install happens.
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(tmp_path),
        "TMPDIR": str(tmp_path),
        "SWITCHYARD_AGENT_ENV_FILE": str(tmp_path / "etc" / "switchyard-agent.env"),
        "SWITCHYARD_AGENT_PREFIX": str(tmp_path / "opt" / "switchyard-agent"),
        "SWITCHYARD_AGENT_STATE_DIR": str(tmp_path / "state"),
        "SWITCHYARD_AGENT_NO_SYSTEMD": "1",
        **env,
    }
    process = await asyncio.create_subprocess_exec(
        "sh", str(path), env=environment, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    return int(process.returncode or 0), output.decode()


def _machine_id(tmp_path: Path) -> str:
    # What the script sends: /etc/machine-id, else the id it generated under its state dir.
    system = Path("/etc/machine-id")
    if system.is_file() and system.read_text().strip():
        return system.read_text().split()[0]
    return (tmp_path / "state" / "machine-id").read_text().strip()


async def _installer(client: httpx.AsyncClient, install_url: str) -> str:
    response = await client.get(install_url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/x-shellscript")
    assert response.headers["cache-control"] == "no-store"
    return response.text


async def test_the_install_script_enrols_this_machine_and_installs_the_agent(
    api, enrol_http, agents_db, tmp_path: Path
) -> None:
    owner = await api.register("enrol")
    minted = await _mint(enrol_http, owner, name="edge-1", ttlSeconds=600)
    base = str(enrol_http.base_url).rstrip("/")
    assert minted["token"].startswith("sit_")
    assert minted["installUrl"] == f"{base}/api/agent/install.sh?token={minted['token']}"
    assert RFC3339.match(minted["expiresAt"])
    script = await _installer(enrol_http, minted["installUrl"])
    assert script.startswith("#!/bin/sh\n")
    # POSIX sh: no bashisms.
    assert "[[" not in script
    assert "function " not in script
    env_path = tmp_path / "etc" / "switchyard-agent.env"
    env_path.parent.mkdir()
    env_path.write_text("CUSTOM_SETTING=keep-me\nAGENT_SECRET=stale\n")

    code, output = await _run_script(script, tmp_path)
    assert code == 0, output
    assert stat.S_IMODE(env_path.stat().st_mode) == 0o600
    values = _env_file(env_path)
    assert env_path.read_text().count("AGENT_SECRET=") == 1
    assert values["CUSTOM_SETTING"] == "keep-me"
    assert values["BACKEND_GRPC_ADDR"] == "127.0.0.1:9090"
    assert values["AGENT_INSECURE"] == "true"
    assert values["AGENT_REFRESH_TOKEN"].startswith("srt_")
    assert values["AGENT_BOOTSTRAP_KEY"].startswith("sbk_")
    server_id = values["SERVER_ID"]
    assert uuid.UUID(server_id).version == 4
    for secret in ("AGENT_SECRET", "AGENT_REFRESH_TOKEN", "AGENT_BOOTSTRAP_KEY"):
        assert values[secret] not in output, f"{secret} leaked into the installer output"
    assert f"start the agent with: {tmp_path}/opt/switchyard-agent/bin/switchyard-agent" in output

    prefix = tmp_path / "opt" / "switchyard-agent"
    assert (prefix / "lib" / "switchyard" / "agent" / "__init__.py").is_file()
    assert not (prefix / "lib" / "switchyard" / "__init__.py").exists()
    assert (prefix / "lib" / "agent" / "v1" / "agent_pb2.py").is_file()
    assert (prefix / "lib" / "agent" / "v1" / "agent_pb2_grpc.py").is_file()
    assert not (prefix / "lib" / "agent" / "__init__.py").exists()
    launcher = prefix / "bin" / "switchyard-agent"
    assert os.access(launcher, os.X_OK)
    assert f"PYTHONPATH='{prefix}/lib' exec" in launcher.read_text()
    assert "-m switchyard.agent" in launcher.read_text()
    probe = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import switchyard.agent, agent.v1.agent_pb2 as m; print(switchyard.agent.__file__, m.__file__)",
        env={**os.environ, "PYTHONPATH": str(prefix / "lib")},
        stdout=asyncio.subprocess.PIPE,
    )
    imported, _ = await probe.communicate()
    assert [line.startswith(str(prefix / "lib")) for line in imported.decode().split()] == [True, True]

    row = await agents_db.fetchrow("SELECT * FROM agents.servers WHERE id = $1", server_id)
    machine = _machine_id(tmp_path)
    assert (row["org_id"], row["name"], row["hostname"], row["status"]) == (
        owner.tenant_id,
        "edge-1",
        socket.gethostname(),
        "active",
    )
    assert row["machine_id"] == machine
    refreshed = await enrol_http.post(
        "/api/agent/refresh", json={"refreshToken": values["AGENT_REFRESH_TOKEN"]}
    )
    assert (refreshed.status_code, refreshed.json()["serverId"]) == (200, server_id)

    # Re-running with a fresh token (as REENROLL does) keeps the server id and rotates every credential.
    again = await _mint(enrol_http, owner)
    code, output = await _run_script(
        await _installer(enrol_http, again["installUrl"]),
        tmp_path,
        PERMANU_FORCE_REENROLL="1",
        SWITCHYARD_AGENT_HTTP="python",
    )
    assert code == 0, output
    rerun = _env_file(env_path)
    assert rerun["SERVER_ID"] == server_id
    assert rerun["CUSTOM_SETTING"] == "keep-me"
    assert rerun["AGENT_SECRET"] != values["AGENT_SECRET"]
    assert (
        await agents_db.fetchval("SELECT count(*) FROM agents.servers WHERE org_id = $1", owner.tenant_id)
        == 1
    )
    stale = await enrol_http.post(
        "/api/agent/refresh", json={"refreshToken": refreshed.json()["refreshToken"]}
    )
    assert stale.status_code == 401


async def test_the_installer_is_refused_for_a_bad_or_spent_token(api, enrol_http, tmp_path: Path) -> None:
    owner = await api.register("enrol")
    minted = await _mint(enrol_http, owner)
    token = minted["token"]
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for bad in (tampered, "sit_bogus.bogus", "nonsense"):
        response = await enrol_http.get("/api/agent/install.sh", params={"token": bad})
        assert (response.status_code, response.json()) == (401, {"error": "invalid install token"})
        assert response.headers["content-type"].startswith("application/json")
    missing = await enrol_http.get("/api/agent/install.sh")
    assert (missing.status_code, missing.json()) == (400, {"error": "token is required"})
    odd = await enrol_http.get(
        "/api/agent/install.sh", params={"token": token, "previous_server_id": "x;rm -rf /"}
    )
    assert (odd.status_code, odd.json()) == (400, {"error": "previous_server_id is invalid"})
    registered = await enrol_http.post(
        "/api/agent/register", json={"token": token, "hostname": "h1", "machineId": "m-" + uuid.uuid4().hex}
    )
    assert registered.status_code == 201, registered.text
    spent = await enrol_http.get("/api/agent/install.sh", params={"token": token})
    assert (spent.status_code, spent.json()) == (401, {"error": "install token already used"})


async def test_the_agent_bundle_is_a_lib_tree_with_namespace_packages(enrol_http) -> None:
    first = await enrol_http.get("/api/agent/agent.tar.gz")
    second = await enrol_http.get("/api/agent/agent.tar.gz")
    assert first.status_code == 200
    assert first.headers["content-type"] == "application/gzip"
    assert first.content == second.content
    with tarfile.open(fileobj=io.BytesIO(first.content), mode="r:gz") as archive:
        names = set(archive.getnames())
    assert {
        "lib/switchyard/agent/__init__.py",
        "lib/agent/v1/agent_pb2.py",
        "lib/agent/v1/agent_pb2_grpc.py",
    } <= names
    assert not {"lib/switchyard/__init__.py", "lib/agent/__init__.py", "lib/agent/v1/__init__.py"} & names
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in names)


async def test_install_tokens_need_a_tenant_admin_and_a_sane_ttl(api, enrol_http) -> None:
    owner, stranger = await api.register("enrol"), await api.register("enrol")
    foreign = await enrol_http.post(
        "/api/servers/install-token", headers=stranger.headers(owner.tenant_id), json={}
    )
    assert foreign.status_code == 404
    anonymous = await enrol_http.post("/api/servers/install-token", json={})
    assert anonymous.status_code == 401
    for ttl in (10, 604801, 2**40):
        bad = await enrol_http.post(
            "/api/servers/install-token", headers=owner.headers(), json={"ttlSeconds": ttl}
        )
        assert (bad.status_code, bad.json()) == (400, {"error": "ttlSeconds must be between 60 and 604800"})
    wrong_type = await enrol_http.post(
        "/api/servers/install-token", headers=owner.headers(), json={"name": 5}
    )
    assert (wrong_type.status_code, wrong_type.json()) == (400, {"error": "name must be a string"})
    assert (await _mint(enrol_http, owner))["token"].startswith("sit_")


async def test_install_token_refresh_mints_a_successor_and_is_rate_limited(api, enrol_http) -> None:
    owner = await api.register("enrol")
    token = (await _mint(enrol_http, owner))["token"]
    for _ in range(10):
        response = await enrol_http.post("/api/servers/install-token/refresh", json={"token": token})
        assert response.status_code == 200, response.text
        assert response.json()["installUrl"].endswith(f"?token={response.json()['token']}")
        token = response.json()["token"]
    limited = await enrol_http.post("/api/servers/install-token/refresh", json={"token": token})
    assert limited.status_code == 429
    assert 0 < int(limited.headers["retry-after"]) <= 24 * 3600
    assert "10 per 24 h" in limited.json()["error"]
    forged = await enrol_http.post("/api/servers/install-token/refresh", json={"token": "sit_e30.AAAA"})
    assert (forged.status_code, forged.json()) == (401, {"error": "invalid install token"})
    missing = await enrol_http.post("/api/servers/install-token/refresh", json={})
    assert (missing.status_code, missing.json()) == (400, {"error": "token is required"})


async def test_register_refresh_recover_and_revoke_over_http(api, enrol_http) -> None:
    owner = await api.register("enrol")
    machine = "m-" + uuid.uuid4().hex
    token = (await _mint(enrol_http, owner))["token"]
    bad_json = await enrol_http.post(
        "/api/agent/register", content=b'{"token": ', headers={"Content-Type": "application/json"}
    )
    assert (bad_json.status_code, bad_json.json()) == (400, {"error": "invalid JSON body"})
    no_machine = await enrol_http.post("/api/agent/register", json={"token": token, "hostname": "h"})
    assert (no_machine.status_code, no_machine.json()) == (400, {"error": "machineId is required"})
    registered = await enrol_http.post(
        "/api/agent/register", json={"token": token, "hostname": "web-9", "machineId": machine}
    )
    assert registered.status_code == 201, registered.text
    creds = registered.json()
    assert set(creds) == {
        "serverId",
        "agentSecret",
        "refreshToken",
        "bootstrapKey",
        "grpcAddress",
        "relinked",
    }
    assert (creds["relinked"], creds["grpcAddress"]) == (False, "127.0.0.1:9090")

    rotated = await enrol_http.post("/api/agent/refresh", json={"refreshToken": creds["refreshToken"]})
    assert rotated.status_code == 200
    assert rotated.json()["serverId"] == creds["serverId"]
    assert RFC3339.match(rotated.json()["expiresAt"])
    replay = await enrol_http.post("/api/agent/refresh", json={"refreshToken": creds["refreshToken"]})
    assert (replay.status_code, replay.json()) == (401, {"error": "refresh token replayed; chain revoked"})

    recovered = await enrol_http.post(
        "/api/agent/recover", json={"bootstrapKey": creds["bootstrapKey"], "machineId": machine}
    )
    assert recovered.status_code == 200, recovered.text
    fresh = recovered.json()
    assert fresh["serverId"] == creds["serverId"]
    assert fresh["bootstrapKey"] != creds["bootstrapKey"]
    for _ in range(4):
        reused = await enrol_http.post(
            "/api/agent/recover", json={"bootstrapKey": creds["bootstrapKey"], "machineId": machine}
        )
        assert (reused.status_code, reused.json()) == (401, {"error": "invalid bootstrap key"})
    # Five attempts this hour (one success, four refusals): the next is refused even with the right key.
    limited = await enrol_http.post(
        "/api/agent/recover", json={"bootstrapKey": fresh["bootstrapKey"], "machineId": machine}
    )
    assert limited.status_code == 429
    assert 3500 < int(limited.headers["retry-after"]) <= 3600

    stranger = await api.register("enrol")
    path = f"/api/servers/{creds['serverId']}/revoke-tokens"
    foreign = await enrol_http.post(path, headers=stranger.headers())
    assert (foreign.status_code, foreign.json()) == (404, {"error": "server not found"})
    revoked = await enrol_http.post(path, headers=owner.headers())
    assert (revoked.status_code, revoked.json()) == (200, {"revokedTokens": 3, "disconnected": True})
    dead = await enrol_http.post("/api/agent/refresh", json={"refreshToken": fresh["refreshToken"]})
    assert dead.status_code == 401
