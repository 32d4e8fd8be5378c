"""``just up`` wiring: which services run, the addresses each caller is handed, what the banner says."""

from __future__ import annotations

from pathlib import Path

import pytest
from switchyard.stack._migrate import SERVICES
from switchyard.stack._paths import StackPaths
from switchyard.stack._secrets import DevSecrets
from switchyard.stack._urls import StackUrls
from switchyard.stack.up import _Up

pytestmark = pytest.mark.unit

URLS = StackUrls(
    database_url="postgresql://postgres@127.0.0.1:1/postgres",
    redis_url="redis://127.0.0.1:2/0",
    nats_url="nats://127.0.0.1:3",
)
PORTS = {
    "identity": 15051,
    "workers": 15052,
    "mutations": 15053,
    "agents": 15055,
    "deploy": 15054,
    "ingest": 15056,
}
DEV = DevSecrets(principal_key="ab" * 32, root_email="root@example.test", root_password="pw-not-logged")


def test_every_caller_gets_the_address_of_each_service_on_loopback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A configured relay keeps the local mail sink (a real SMTP server) out of this unit test.
    monkeypatch.setenv("IDENTITY_SMTP_HOST", "smtp.example.test")
    for name in ("AGENTS_AGENT_GRPC_HOST", "AGENTS_AGENT_GRPC_ADDRESS"):
        monkeypatch.delenv(name, raising=False)
    up = _Up(
        paths=StackPaths.resolve(tmp_path / ".data"),
        gateway_port=18000,
        grpc_ports=PORTS,
        agent_port=19090,
        services=tuple(PORTS),
    )

    env = up.service_env(URLS, DEV)

    assert env["GATEWAY_IDENTITY_ADDR"] == "127.0.0.1:15051"
    assert env["GATEWAY_WORKERS_ADDR"] == "127.0.0.1:15052"
    assert env["MUTATIONS_WORKERS_ADDR"] == "127.0.0.1:15052"
    assert env["GATEWAY_MUTATIONS_ADDR"] == "127.0.0.1:15053"
    assert env["GATEWAY_AGENTS_ADDR"] == "127.0.0.1:15055"
    assert env["GATEWAY_DEPLOY_ADDR"] == "127.0.0.1:15054"
    assert env["GATEWAY_INGEST_ADDR"] == "127.0.0.1:15056"
    for service, port in PORTS.items():
        assert env[f"{service.upper()}_GRPC_HOST"] == "127.0.0.1"
        assert env[f"{service.upper()}_GRPC_PORT"] == str(port)
    assert env["DATABASE_URL"] == URLS.database_url
    assert env["GATEWAY_PORT"] == "18000"
    # The public agent.v1 port: its own port, on loopback, and what registration tells agents to dial.
    assert env["AGENTS_AGENT_GRPC_HOST"] == "127.0.0.1"
    assert env["AGENTS_AGENT_GRPC_PORT"] == "19090"
    assert env["AGENTS_AGENT_GRPC_ADDRESS"] == "127.0.0.1:19090"


def test_a_developer_can_open_the_agent_port_to_a_real_agent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IDENTITY_SMTP_HOST", "smtp.example.test")
    monkeypatch.setenv("AGENTS_AGENT_GRPC_HOST", "0.0.0.0")
    monkeypatch.setenv("AGENTS_AGENT_GRPC_ADDRESS", "devbox.example.test:19090")
    up = _Up(paths=StackPaths.resolve(tmp_path / ".data"), grpc_ports=PORTS, agent_port=19090)

    env = up.service_env(URLS, DEV)

    assert env["AGENTS_AGENT_GRPC_HOST"] == "0.0.0.0"
    assert env["AGENTS_AGENT_GRPC_ADDRESS"] == "devbox.example.test:19090"
    assert "  agent.v1       devbox.example.test:19090" in up.banner(DEV)


def test_just_up_runs_and_migrates_every_grpc_service(tmp_path: Path) -> None:
    up = _Up(paths=StackPaths.resolve(tmp_path / ".data"))

    assert up.services == SERVICES == ("identity", "workers", "mutations", "agents", "deploy", "ingest")
    assert set(up.grpc_ports) == set(SERVICES)


def test_the_banner_names_every_running_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGENTS_AGENT_GRPC_ADDRESS", raising=False)
    up = _Up(
        paths=StackPaths.resolve(tmp_path / ".data"),
        grpc_ports=PORTS,
        agent_port=19090,
        services=("identity", "workers"),
    )

    banner = up.banner(DEV)

    assert "  identity gRPC  127.0.0.1:15051" in banner
    assert "  workers gRPC   127.0.0.1:15052" in banner
    assert "mutations gRPC" not in banner
    assert "agent.v1" not in banner


def test_the_banner_prints_both_agents_addresses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGENTS_AGENT_GRPC_ADDRESS", raising=False)
    up = _Up(paths=StackPaths.resolve(tmp_path / ".data"), grpc_ports=PORTS, agent_port=19090)

    banner = up.banner(DEV)

    assert "  agents gRPC    127.0.0.1:15055" in banner
    assert "  agent.v1       127.0.0.1:19090" in banner
