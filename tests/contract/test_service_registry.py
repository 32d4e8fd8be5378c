"""Every runnable service is registered everywhere a service must be, and nothing else is.

A service is *runnable* when its package has a ``__main__.py`` (``python -m switchyard.<svc> migrate|serve``).
A package under services/ without one (a skeleton, before it gains a server) is part of
the workspace and the import contracts, but not yet of the stack: compose, Kubernetes and ``just up``
must not try to run it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.unit


def runnable_services(repo: Path) -> set[str]:
    return {path.parent.name for path in repo.glob("services/*/src/switchyard/*/__main__.py")}


def service_packages(repo: Path) -> set[str]:
    return {path.name for path in repo.glob("services/*/src/switchyard/*") if path.is_dir()}


def compose_servers(repo: Path) -> set[str]:
    """Compose services that run some ``switchyard.<svc> serve``."""
    with (repo / "compose.yaml").open(encoding="utf-8") as handle:
        services: dict[str, dict[str, Any]] = yaml.safe_load(handle)["services"]
    return {name for name, service in services.items() if service.get("command") == ["serve"]}


def k8s_deployments(repo: Path) -> set[str]:
    base = repo / "deploy/k8s/base"
    names: set[str] = set()
    for path in base.rglob("deployment.yaml"):
        with path.open(encoding="utf-8") as handle:
            names |= {doc["metadata"]["name"] for doc in yaml.safe_load_all(handle) if doc}
    return names


def dockerfile_entrypoints(repo: Path) -> set[str]:
    text = (repo / "Dockerfile").read_text(encoding="utf-8")
    return set(re.findall(r'^ENTRYPOINT \["python", "-m", "switchyard\.(\w+)"\]', text, re.MULTILINE))


def test_the_definition_finds_the_known_services(repo: Path) -> None:
    runnable = runnable_services(repo)
    assert {"identity", "workers", "mutations", "agents"} <= runnable
    assert runnable <= service_packages(repo)


def test_every_runnable_service_is_registered_everywhere(repo: Path) -> None:
    from switchyard.stack._migrate import SERVICES

    runnable = runnable_services(repo)
    assert compose_servers(repo) == runnable
    assert k8s_deployments(repo) - {"gateway"} == runnable
    assert dockerfile_entrypoints(repo) - {"gateway"} == runnable
    assert set(SERVICES) == runnable
    streams = {path.stem for path in (repo / "deploy/nats/streams").glob("*.json")}
    assert streams == runnable


def test_a_skeleton_without_a_server_is_registered_nowhere(repo: Path) -> None:
    from switchyard.stack._migrate import SERVICES

    skeletons = service_packages(repo) - runnable_services(repo)
    compose = (repo / "compose.yaml").read_text(encoding="utf-8")
    for name in skeletons:
        assert not re.search(rf"^  {name}(-migrate)?:$", compose, re.MULTILINE), name
        assert name not in k8s_deployments(repo), name
        assert name not in SERVICES, name
