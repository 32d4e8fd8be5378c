"""Static checks of deploy/k8s: manifests parse, pods are hardened and probed, env is complete."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.unit

BASE = "deploy/k8s/base"
DEV = "deploy/k8s/overlays/dev"
# Deployment -> container port its probes and Service use.
GRPC_PORTS = {
    "identity": 50051,
    "workers": 50052,
    "mutations": 50053,
    "deploy": 50054,
    "agents": 50055,
    "ingest": 50056,
}
PORTS = {**GRPC_PORTS, "gateway": 8000}
# agents' second, public port: agent.v1, dialled by agents on customer servers, behind its own Service.
AGENT_PORT = 9090
# Process (as in REQUIRED_ENV) -> (Deployment, container name).
PROCESSES = {
    **{name: (name, name) for name in GRPC_PORTS},
    **{f"{name}-migrate": (name, "migrate") for name in GRPC_PORTS},
    "gateway": ("gateway", "gateway"),
}


def read_yaml(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


@pytest.fixture(scope="module")
def kustomizations(repo: Path) -> dict[str, dict[str, Any]]:
    return {path: read_yaml(repo / path / "kustomization.yaml")[0] for path in (BASE, DEV)}


@pytest.fixture(scope="module")
def base_objects(repo: Path, kustomizations: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for resource in kustomizations[BASE]["resources"]:
        objects.extend(read_yaml(repo / BASE / resource))
    return objects


@pytest.fixture(scope="module")
def deployments(base_objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {obj["metadata"]["name"]: obj for obj in base_objects if obj["kind"] == "Deployment"}


def all_containers(deployment: dict[str, Any]) -> Iterator[dict[str, Any]]:
    spec = deployment["spec"]["template"]["spec"]
    yield from spec.get("initContainers", [])
    yield from spec["containers"]


def generated_keys(kustomizations: dict[str, dict[str, Any]], kind: str) -> dict[str, set[str]]:
    """Keys per generated ConfigMap/Secret (``kind``: configMapGenerator|secretGenerator), base and dev."""
    keys: dict[str, set[str]] = {}
    for kustomization in kustomizations.values():
        for generator in kustomization.get(kind, []):
            literals = {literal.split("=", 1)[0] for literal in generator.get("literals", [])}
            keys.setdefault(generator["name"], set()).update(literals)
    return keys


def test_every_manifest_parses_and_names_itself(repo: Path) -> None:
    paths = sorted((repo / "deploy/k8s").rglob("*.yaml"))
    assert len(paths) >= 9
    for path in paths:
        for doc in read_yaml(path):
            assert doc.get("apiVersion"), path
            assert doc.get("kind"), path
            if doc["kind"] != "Kustomization":
                assert doc["metadata"]["name"], path


def test_kustomizations_reference_existing_files(
    repo: Path, kustomizations: dict[str, dict[str, Any]]
) -> None:
    for path, kustomization in kustomizations.items():
        for resource in kustomization["resources"]:
            assert (repo / path / resource).exists(), f"{path}: {resource}"


def test_every_service_has_a_deployment_service_and_networkpolicy(base_objects: list[dict[str, Any]]) -> None:
    for kind in ("Deployment", "Service", "NetworkPolicy"):
        names = {obj["metadata"]["name"] for obj in base_objects if obj["kind"] == kind}
        assert set(PORTS) <= names, kind


def test_every_container_is_hardened_and_limited(deployments: dict[str, dict[str, Any]]) -> None:
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] > 0, name
        assert pod.get("automountServiceAccountToken") is False, name
        for container in all_containers(deployment):
            where = f"{name}/{container['name']}"
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["runAsNonRoot"] is True, where
            assert context["capabilities"]["drop"] == ["ALL"], where
            limits = container["resources"]["limits"]
            assert limits.get("cpu"), where
            assert limits.get("memory"), where
            assert container["resources"]["requests"].get("memory"), where


def test_grpc_services_are_probed_over_grpc_health(deployments: dict[str, dict[str, Any]]) -> None:
    for name, port in GRPC_PORTS.items():
        container = deployments[name]["spec"]["template"]["spec"]["containers"][0]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["grpc"]["port"] == port, f"{name}: {probe}"
        env = {item["name"]: item["value"] for item in container["env"]}
        assert env[f"{name.upper()}_GRPC_PORT"] == str(port), name


def test_gateway_is_probed_over_http(deployments: dict[str, dict[str, Any]]) -> None:
    container = deployments["gateway"]["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"


def test_every_long_running_container_has_liveness_and_readiness(
    deployments: dict[str, dict[str, Any]],
) -> None:
    for name, deployment in deployments.items():
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            assert "livenessProbe" in container, name
            assert "readinessProbe" in container, name
            ports = {port["containerPort"] for port in container["ports"]}
            assert PORTS[name] in ports, name


def test_services_select_their_deployments_by_named_port(
    base_objects: list[dict[str, Any]], deployments: dict[str, dict[str, Any]]
) -> None:
    for service in (obj for obj in base_objects if obj["kind"] == "Service"):
        name = service["metadata"]["name"]
        selector = service["spec"]["selector"]
        # A Service may be named apart from its Deployment (agents-public); its selector finds the pods.
        selected = [
            deployment["spec"]["template"]
            for deployment in deployments.values()
            if selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert len(selected) == 1, name
        template = selected[0]
        named = {port["name"] for container in template["spec"]["containers"] for port in container["ports"]}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in named, name


def test_grpc_services_are_headless_for_client_side_round_robin(base_objects: list[dict[str, Any]]) -> None:
    services = {o["metadata"]["name"]: o for o in base_objects if o["kind"] == "Service"}
    for name, port in GRPC_PORTS.items():
        assert services[name]["spec"]["clusterIP"] == "None", name
        assert [p["port"] for p in services[name]["spec"]["ports"]] == [port], name


def test_agents_public_port_has_its_own_load_balanced_service(
    base_objects: list[dict[str, Any]], deployments: dict[str, dict[str, Any]]
) -> None:
    # Not headless: agents dial one address and each new stream lands on some replica. Exposure outside
    # the cluster (Ingress / LoadBalancer) is left to overlays.
    services = {o["metadata"]["name"]: o for o in base_objects if o["kind"] == "Service"}
    public = services["agents-public"]["spec"]
    assert public.get("type", "ClusterIP") == "ClusterIP"
    assert "clusterIP" not in public
    assert [(p["port"], p["targetPort"]) for p in public["ports"]] == [(AGENT_PORT, "agent")]
    container = deployments["agents"]["spec"]["template"]["spec"]["containers"][0]
    assert {p["name"]: p["containerPort"] for p in container["ports"]} == {
        "grpc": GRPC_PORTS["agents"],
        "agent": AGENT_PORT,
    }
    env = {item["name"]: item["value"] for item in container["env"]}
    assert env["AGENTS_AGENT_GRPC_PORT"] == str(AGENT_PORT)
    assert env["AGENTS_AGENT_GRPC_HOST"] == "0.0.0.0"


def test_every_process_gets_its_required_env(
    deployments: dict[str, dict[str, Any]],
    kustomizations: dict[str, dict[str, Any]],
    required_env: dict[str, tuple[str, ...]],
) -> None:
    sources = {
        "configMapRef": generated_keys(kustomizations, "configMapGenerator"),
        "secretRef": generated_keys(kustomizations, "secretGenerator"),
    }
    assert set(PROCESSES) == set(required_env)
    for process, (deployment, container_name) in PROCESSES.items():
        container = next(c for c in all_containers(deployments[deployment]) if c["name"] == container_name)
        names = {item["name"] for item in container.get("env", [])}
        for ref in container.get("envFrom", []):
            ((kind, target),) = ref.items()
            assert target["name"] in sources[kind], f"{process}: unknown {kind} {target['name']}"
            names |= sources[kind][target["name"]]
        missing = set(required_env[process]) - names
        assert not missing, f"{process} lacks {sorted(missing)}"


def test_every_process_gets_only_its_own_secrets(deployments: dict[str, dict[str, Any]]) -> None:
    # Least privilege: the gateway has no database; each service sees its own secrets, no one else's.
    expected = {name: {f"{name}-secrets", "switchyard-principal"} for name in GRPC_PORTS}
    expected["gateway"] = {"switchyard-principal"}
    for name, secrets in expected.items():
        for container in all_containers(deployments[name]):
            refs = {ref["secretRef"]["name"] for ref in container["envFrom"] if "secretRef" in ref}
            assert refs == secrets, f"{name}/{container['name']}"


def test_dev_overlay_retags_every_image_the_base_uses(
    deployments: dict[str, dict[str, Any]], kustomizations: dict[str, dict[str, Any]]
) -> None:
    images = {c["image"] for d in deployments.values() for c in all_containers(d)}
    retagged = {image["name"] for image in kustomizations[DEV]["images"]}
    assert images == retagged
