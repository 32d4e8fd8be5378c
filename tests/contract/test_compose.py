"""Static checks of compose.yaml (no Docker engine needed): health, builds, replicas, wiring, env."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

pytestmark = pytest.mark.unit

# Every service the stack is expected to run. One-shot jobs exit when done, so a healthcheck means nothing
# for them; dependents wait for `service_completed_successfully` instead.
EXPECTED_SERVICES = {
    "postgres",
    "redis",
    "nats",
    "nats-init",
    "mailpit",
    "otel-collector",
    "identity-migrate",
    "identity",
    "workers-migrate",
    "workers",
    "mutations-migrate",
    "mutations",
    "deploy-migrate",
    "deploy",
    "ingest-migrate",
    "ingest",
    "agents-migrate",
    "agents",
    "gateway",
    "proxy",
}
ONE_SHOT = {
    "identity-migrate",
    "workers-migrate",
    "mutations-migrate",
    "deploy-migrate",
    "ingest-migrate",
    "agents-migrate",
    "nats-init",
}
# The gRPC services, their ports, and who calls them (compose service -> env var naming the address).
GRPC_SERVICES = {
    "identity": 50051,
    "workers": 50052,
    "mutations": 50053,
    "deploy": 50054,
    "agents": 50055,
    "ingest": 50056,
}
GRPC_CALLERS: dict[str, dict[str, str]] = {
    "identity": {"gateway": "GATEWAY_IDENTITY_ADDR"},
    "workers": {"gateway": "GATEWAY_WORKERS_ADDR", "mutations": "MUTATIONS_WORKERS_ADDR"},
    "mutations": {"gateway": "GATEWAY_MUTATIONS_ADDR"},
    "deploy": {"gateway": "GATEWAY_DEPLOY_ADDR"},
    "ingest": {"gateway": "GATEWAY_INGEST_ADDR"},
    "agents": {"gateway": "GATEWAY_AGENTS_ADDR", "deploy": "DEPLOY_AGENTS_ADDR"},
}
# The public agent.v1 port agents on customer servers dial (the second port of the agents service).
AGENT_PORT = 9090
REPLICAS = {"identity": 2, "workers": 2, "mutations": 2, "deploy": 2, "agents": 2, "ingest": 2, "gateway": 2}
# Only these reach the host: the proxy (the HTTP door and the agents' agent.v1 door) and the mail UI.
# Services talk over the compose network.
PUBLISHED_PORTS = {"proxy": {8000, AGENT_PORT}, "mailpit": {8025}}
# Where each service's stream constants live (the module that calls ensure_stream with them).
# deploy's server.py ensures the stream with the constants it imports from deploy.events.
STREAM_MODULES = {
    "identity": "events",
    "workers": "events",
    "mutations": "events",
    "deploy": "events",
    "ingest": "events",
    "agents": "server",
}
# Env vars whose value names another compose service, and the service it must name.
ENV_TARGETS = {
    "DATABASE_URL": "postgres",
    "REDIS_URL": "redis",
    "NATS_URL": "nats",
    "IDENTITY_SMTP_HOST": "mailpit",
    "OTEL_EXPORTER_OTLP_ENDPOINT": "otel-collector",
}


@pytest.fixture(scope="module")
def compose(repo: Path) -> dict[str, Any]:
    with (repo / "compose.yaml").open(encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.safe_load(handle)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = compose["services"]
    return result


def dockerfile_targets(dockerfile: Path) -> set[str]:
    """Stage names (`FROM image AS name`) of a Dockerfile."""
    pattern = re.compile(r"^\s*FROM\s+\S+\s+AS\s+(\S+)\s*$", re.IGNORECASE | re.MULTILINE)
    return set(pattern.findall(dockerfile.read_text(encoding="utf-8")))


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment as a mapping, whether written as a mapping or a KEY=VALUE list."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    """``depends_on`` as {service: condition}; the short list form means ``service_started``."""
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in deps.items()}


def published_ports(service: dict[str, Any]) -> set[int]:
    ports: set[int] = set()
    for entry in service.get("ports", []):
        if isinstance(entry, dict):
            ports.add(int(entry["published"]))
        else:
            ports.add(int(str(entry).rsplit(":", 2)[-2].split("-")[0]))
    return ports


def test_stack_runs_exactly_the_expected_services(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) == EXPECTED_SERVICES


def test_every_long_running_service_has_a_healthcheck(services: dict[str, dict[str, Any]]) -> None:
    for name in EXPECTED_SERVICES - ONE_SHOT:
        check = services[name].get("healthcheck") or {}
        assert not check.get("disable"), name
        test = check.get("test")
        assert isinstance(test, list), f"{name}: healthcheck.test must be an exec-form list"
        assert test[0] in {"CMD", "CMD-SHELL"}, name
        assert len(test) > 1, name


def test_one_shot_jobs_do_not_restart(services: dict[str, dict[str, Any]]) -> None:
    for name in ONE_SHOT:
        assert services[name].get("restart") == "no", name


def test_every_service_has_an_image_or_a_build(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        assert service.get("image") or service.get("build"), name


def test_every_build_target_exists_in_the_dockerfile(services: dict[str, dict[str, Any]], repo: Path) -> None:
    built = {name: service["build"] for name, service in services.items() if "build" in service}
    assert {*GRPC_SERVICES, *(f"{name}-migrate" for name in GRPC_SERVICES)} <= set(built)
    assert {"gateway", "otel-collector"} <= set(built)
    for name, build in built.items():
        dockerfile = repo / build.get("context", ".") / build.get("dockerfile", "Dockerfile")
        assert dockerfile.is_file(), name
        assert build.get("target") in dockerfile_targets(dockerfile), name


def test_services_sharing_an_image_build_the_same_target(services: dict[str, dict[str, Any]]) -> None:
    # Two services tagging one image from different targets would overwrite each other's image.
    targets: dict[str, str] = {}
    for name, service in services.items():
        if "build" in service and "image" in service:
            target = service["build"]["target"]
            assert targets.setdefault(service["image"], target) == target, name


def test_replicas(services: dict[str, dict[str, Any]]) -> None:
    for name, replicas in REPLICAS.items():
        assert services[name].get("deploy", {}).get("replicas") == replicas, name
        # A fixed host port on a replicated service would make the second replica fail to start.
        assert not services[name].get("ports"), name


def test_depends_on_chain(services: dict[str, dict[str, Any]]) -> None:
    for name in GRPC_SERVICES:
        deps = depends_on(services[name])
        assert deps[f"{name}-migrate"] == "service_completed_successfully", name
        assert deps["nats-init"] == "service_completed_successfully", name
        for store in ("postgres", "redis", "nats"):
            assert deps[store] == "service_healthy", f"{name} -> {store}"
        assert depends_on(services[f"{name}-migrate"])["postgres"] == "service_healthy", name
    assert depends_on(services["nats-init"])["nats"] == "service_healthy"
    # A caller starts once every service it calls is healthy (mutations validates hosts with workers).
    for callee, callers in GRPC_CALLERS.items():
        for caller in callers:
            assert depends_on(services[caller])[callee] == "service_healthy", f"{caller} -> {callee}"
    assert depends_on(services["proxy"])["gateway"] == "service_healthy"
    assert depends_on(services["proxy"])["agents"] == "service_healthy"


def test_dependency_conditions_match_the_kind_of_service(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for dependency, condition in depends_on(service).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            expected = "service_completed_successfully" if dependency in ONE_SHOT else "service_healthy"
            assert condition == expected, f"{name} -> {dependency}"


def test_dependency_graph_has_no_cycles(services: dict[str, dict[str, Any]]) -> None:
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"cycle: {' -> '.join((*path, name))}"
        if name not in done:
            for dependency in depends_on(services[name]):
                visit(dependency, (*path, name))
            done.add(name)

    for name in services:
        visit(name, ())


def test_only_the_door_and_the_mail_ui_are_published(services: dict[str, dict[str, Any]]) -> None:
    published = {name: published_ports(service) for name, service in services.items()}
    assert {name: ports for name, ports in published.items() if ports} == PUBLISHED_PORTS


def test_every_process_gets_its_required_env(
    services: dict[str, dict[str, Any]], required_env: dict[str, tuple[str, ...]]
) -> None:
    for process, names in required_env.items():
        env = environment(services[process])
        missing = [name for name in names if not env.get(name)]
        assert not missing, f"{process} lacks {missing}"


def test_env_urls_name_the_compose_services(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for key, value in environment(service).items():
            if key in ENV_TARGETS:
                host = urlsplit(value).hostname if "://" in value else value
                assert host == ENV_TARGETS[key], f"{name}: {key}={value}"


def test_callers_reach_every_replica_on_the_grpc_port(services: dict[str, dict[str, Any]]) -> None:
    # Each address is a compose service name; Docker DNS answers it with every replica's address.
    for callee, callers in GRPC_CALLERS.items():
        port = GRPC_SERVICES[callee]
        for caller, variable in callers.items():
            addrs = environment(services[caller])[variable].split(",")
            assert addrs == [f"{callee}:{port}"], f"{caller}: {variable}"
        env = environment(services[callee])
        assert env[f"{callee.upper()}_GRPC_PORT"] == str(port), callee
        assert env[f"{callee.upper()}_GRPC_HOST"] == "0.0.0.0", callee
        assert services[callee]["healthcheck"]["test"][-1] == f"127.0.0.1:{port}", callee


def test_every_service_and_the_gateway_share_one_principal_key(services: dict[str, dict[str, Any]]) -> None:
    users = [*GRPC_SERVICES, *(f"{name}-migrate" for name in GRPC_SERVICES), "gateway"]
    keys = {environment(services[name])["SWITCHYARD_PRINCIPAL_KEY"] for name in users}
    assert len(keys) == 1


def test_nats_runs_jetstream_on_a_volume(services: dict[str, dict[str, Any]], repo: Path) -> None:
    config = (repo / "deploy/nats/nats-server.conf").read_text(encoding="utf-8")
    store = re.search(r"store_dir:\s*(\S+)", config)
    assert "jetstream" in config
    assert store is not None
    volumes = services["nats"]["volumes"]
    named = [volume.split(":") for volume in volumes if not volume.startswith(".")]
    assert any(store.group(1).startswith(target) for _, target, *_ in named), volumes


def test_bind_mounted_files_exist(services: dict[str, dict[str, Any]], repo: Path) -> None:
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (repo / source).exists(), f"{name}: {source}"


def test_stream_configs_stay_under_their_service_prefix(repo: Path) -> None:
    streams = {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in (repo / "deploy/nats/streams").glob("*.json")
    }
    for service in GRPC_SERVICES:
        assert streams[service]["name"] == service.upper(), service
        # agents keeps its core-NATS routing subjects (agents.cmd/result/disconnect.*) out of JetStream;
        # deploy leaves deploy.progress.> to its 24 h DEPLOY_PROGRESS stream (streams may not overlap).
        if service not in ("agents", "deploy"):
            assert streams[service]["subjects"] == [f"{service}.>"], service
    for service, config in streams.items():
        assert config["name"] == service.upper(), service
        assert all(subject.startswith(f"{service}.") for subject in config["subjects"]), service


@pytest.mark.parametrize("service", sorted(GRPC_SERVICES))
def test_stream_config_matches_what_the_service_ensures(repo: Path, service: str) -> None:
    # The service calls ensure_stream itself; the reviewed config and the code must describe one stream.
    assert set(STREAM_MODULES) == set(GRPC_SERVICES)
    events = importlib.import_module(f"switchyard.{service}.{STREAM_MODULES[service]}")

    config = json.loads((repo / f"deploy/nats/streams/{service}.json").read_text(encoding="utf-8"))
    assert config["name"] == events.STREAM
    assert config["subjects"] == list(events.SUBJECTS)
    # bus.ensure_stream's defaults: 120 s dedupe window, no age limit.
    assert config["duplicate_window"] == 120 * 10**9
    assert config["max_age"] == 0


def test_image_codegen_uses_the_locked_grpcio_tools(repo: Path) -> None:
    # The Dockerfile's codegen stage installs grpcio-tools outside uv; it must match the workspace pin.
    import tomllib

    dev = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))["dependency-groups"]["dev"]
    pinned = next(dep.split("==")[1] for dep in dev if dep.startswith("grpcio-tools=="))
    arg = re.search(r"^ARG GRPCIO_TOOLS_VERSION=(\S+)$", (repo / "Dockerfile").read_text(), re.MULTILINE)
    assert arg is not None
    assert arg.group(1) == pinned


def test_images_carry_every_generated_package(repo: Path) -> None:
    # Generated code is built in the image, never copied from the host: every generated top-level package
    # (switchyard.*, and agent.v1 at the real agent's own path) is dockerignored and comes from the stage.
    import tomllib

    contracts = tomllib.loads((repo / "libs/contracts/pyproject.toml").read_text(encoding="utf-8"))
    packages = contracts["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    assert {"src/switchyard", "src/agent"} <= set(packages)
    ignored = set((repo / ".dockerignore").read_text(encoding="utf-8").splitlines())
    for package in packages:
        assert f"libs/contracts/{package}" in ignored, package
    dockerfile = (repo / "Dockerfile").read_text(encoding="utf-8")
    assert "COPY --from=contracts /src/libs/contracts/src libs/contracts/src" in dockerfile


def test_just_up_runs_the_same_services_on_the_same_ports(services: dict[str, dict[str, Any]]) -> None:
    # `just up` (libs/stack) and the containers must not drift apart as services are added.
    from switchyard.stack._migrate import SERVICES
    from switchyard.stack.up import ADDR_VARS, GRPC_PORTS

    assert GRPC_PORTS == GRPC_SERVICES
    assert set(SERVICES) == set(GRPC_SERVICES)
    assert {name: set(names) for name, names in ADDR_VARS.items()} == {
        callee: set(callers.values()) for callee, callers in GRPC_CALLERS.items()
    }


def test_agents_serve_agent_v1_on_every_interface_and_advertise_the_published_door(
    services: dict[str, dict[str, Any]],
) -> None:
    env = environment(services["agents"])
    assert env["AGENTS_AGENT_GRPC_HOST"] == "0.0.0.0"
    assert env["AGENTS_AGENT_GRPC_PORT"] == str(AGENT_PORT)
    # Registration hands this to agents: the proxy's published port, not a container address.
    default = re.fullmatch(r"\$\{AGENTS_AGENT_GRPC_ADDRESS:-([^}]+)\}", env["AGENTS_AGENT_GRPC_ADDRESS"])
    assert default is not None, "overridable from the environment, with a default for a laptop"
    assert default.group(1).rsplit(":", 1)[1] == str(AGENT_PORT)
    assert env == environment(services["agents-migrate"])


def caddy_site(caddyfile: str, port: int) -> str:
    """The body of the Caddyfile's ``:<port> { ... }`` site block (tab-indented, closed at column 0)."""
    match = re.search(rf"^:{port} \{{\n(.*?)^\}}", caddyfile, re.MULTILINE | re.DOTALL)
    assert match is not None, f"no :{port} site"
    return match.group(1)


def test_the_proxy_spreads_each_door_over_every_replica(
    services: dict[str, dict[str, Any]], repo: Path
) -> None:
    # Two replicas cannot both publish a host port; the proxy is each door and finds every replica by DNS.
    mounts = [volume.split(":") for volume in services["proxy"]["volumes"]]
    source = next(source for source, target, *_ in mounts if target == "/etc/caddy/Caddyfile")
    caddyfile = (repo / source).read_text(encoding="utf-8")
    assert "dynamic a gateway 8000" in caddy_site(caddyfile, 8000)
    agents = caddy_site(caddyfile, AGENT_PORT)
    assert f"dynamic a agents {environment(services['agents'])['AGENTS_AGENT_GRPC_PORT']}" in agents
    # gRPC without TLS is h2c on both legs: the listener must accept it and the upstream must speak it.
    assert re.search(r"versions h2c\b", agents)
    servers = re.search(rf"servers :{AGENT_PORT} \{{\s*protocols ([^\n]+)\n", caddyfile)
    assert servers is not None
    assert "h2c" in servers.group(1).split()
    # flush_interval -1 flushes headers early and turns trailers-only gRPC errors into UNKNOWN.
    assert not re.search(r"^\s*flush_interval", agents, re.MULTILINE)
