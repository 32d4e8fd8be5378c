"""The NetworkPolicies allow exactly the call graph: deny-all, then only named flows.

The checker evaluates NetworkPolicy semantics the way a CNI does for the parts we use (pod label
selectors, namespace selectors, ipBlocks, ports): a pod is isolated for a direction once any policy
selects it for that direction, and then the union of those policies' rules is what is allowed.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.unit

NAME_LABEL = "app.kubernetes.io/name"
ANYONE = "*"
# (callee, port) -> callers allowed in. Adding a service or a call means adding it here and a policy.
CALL_GRAPH: dict[tuple[str, int], set[str]] = {
    ("identity", 50051): {"gateway"},
    ("workers", 50052): {"gateway", "mutations"},
    ("mutations", 50053): {"gateway"},
    ("deploy", 50054): {"gateway"},
    ("ingest", 50056): {"gateway"},
    ("agents", 50055): {"gateway", "deploy"},
    ("agents", 9090): {ANYONE},  # agent.v1: agents on customer servers dial in
    ("gateway", 8000): {ANYONE},  # the public door
}
# Each service's internal gRPC port.
GRPC_PORTS = {
    "identity": 50051,
    "workers": 50052,
    "mutations": 50053,
    "deploy": 50054,
    "agents": 50055,
    "ingest": 50056,
}


@pytest.fixture(scope="module")
def policies(repo: Path) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for path in sorted((repo / "deploy/k8s/base").rglob("*.yaml")):
        with path.open(encoding="utf-8") as handle:
            found.extend(doc for doc in yaml.safe_load_all(handle) if doc and doc["kind"] == "NetworkPolicy")
    return found


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    assert "matchExpressions" not in selector, "extend this checker before using matchExpressions"
    return selector.get("matchLabels", {}).items() <= labels.items()


def applies(policy: dict[str, Any], app: str, direction: str) -> bool:
    spec = policy["spec"]
    types = spec.get("policyTypes", ["Ingress"])
    return direction in types and selects(spec["podSelector"], {NAME_LABEL: app})


def port_matches(rule: dict[str, Any], port: int) -> bool:
    ports = rule.get("ports")
    return not ports or any(entry.get("port") in (None, port) for entry in ports)


def peer_names(peers: list[dict[str, Any]] | None) -> set[str]:
    """Apps a rule's peers name; ANYONE when it admits pods or addresses we cannot enumerate."""
    if not peers:
        return {ANYONE}
    names: set[str] = set()
    for peer in peers:
        pod = peer.get("podSelector")
        if "ipBlock" in peer or "namespaceSelector" in peer or pod is None:
            names.add(ANYONE)
        else:
            name = pod.get("matchLabels", {}).get(NAME_LABEL)
            names.add(name if name else ANYONE)
    return names


def allowed_callers(policies: list[dict[str, Any]], app: str, port: int) -> set[str]:
    """Who may open connections to ``app`` on ``port`` (ANYONE if the pod is not isolated)."""
    selecting = [policy for policy in policies if applies(policy, app, "Ingress")]
    if not selecting:
        return {ANYONE}
    callers: set[str] = set()
    for policy in selecting:
        for rule in policy["spec"].get("ingress", []):
            if port_matches(rule, port):
                callers |= peer_names(rule.get("from"))
    return callers


def may_call(policies: list[dict[str, Any]], caller: str, callee: str, port: int) -> bool:
    """Whether ``caller``'s egress rules let it reach ``callee`` on ``port``."""
    selecting = [policy for policy in policies if applies(policy, caller, "Egress")]
    if not selecting:
        return True
    return any(
        port_matches(rule, port) and (peer_names(rule.get("to")) & {callee, ANYONE})
        for policy in selecting
        for rule in policy["spec"].get("egress", [])
    )


def test_namespace_starts_from_deny_all(policies: list[dict[str, Any]]) -> None:
    deny = [p for p in policies if p["spec"]["podSelector"] == {} and not p["spec"].get("ingress")]
    assert any(
        {"Ingress", "Egress"} <= set(p["spec"]["policyTypes"]) and "egress" not in p["spec"] for p in deny
    )


def test_ingress_matches_the_call_graph(policies: list[dict[str, Any]]) -> None:
    for (callee, port), callers in CALL_GRAPH.items():
        assert allowed_callers(policies, callee, port) == callers, f"{callee}:{port}"


def test_every_caller_may_reach_its_callees(policies: list[dict[str, Any]]) -> None:
    for (callee, port), callers in CALL_GRAPH.items():
        for caller in callers - {ANYONE}:
            assert may_call(policies, caller, callee, port), f"{caller} -> {callee}:{port}"


def test_gateway_egress_reaches_each_service_only_by_its_grpc_port(policies: list[dict[str, Any]]) -> None:
    for callee, port in GRPC_PORTS.items():
        assert may_call(policies, "gateway", callee, port), callee
        assert not may_call(policies, "gateway", callee, 5432), callee
    # Ports are bound to their pods: the workers port does not open identity, nor the reverse.
    assert not may_call(policies, "gateway", "identity", 50052)
    assert not may_call(policies, "gateway", "workers", 50051)
    # The gateway talks to agents over AgentsService only, never as an agent.
    assert not may_call(policies, "gateway", "agents", 9090)


def test_a_services_calls_are_not_allowed_sideways(policies: list[dict[str, Any]]) -> None:
    # Services never call the gateway; only their data stores, mail and telemetry ports are open.
    for service in GRPC_PORTS:
        assert not may_call(policies, service, "gateway", 8000), service
        assert may_call(policies, service, "postgres", 5432), service
    # mutations -> workers and deploy -> agents are the service-to-service calls; nothing else goes sideways.
    assert may_call(policies, "mutations", "workers", 50052)
    assert may_call(policies, "deploy", "agents", 50055)
    assert not may_call(policies, "mutations", "identity", 50051)
    assert not may_call(policies, "workers", "mutations", 50053)
    assert not may_call(policies, "workers", "identity", 50051)
    assert not may_call(policies, "identity", "workers", 50052)
    assert not may_call(policies, "deploy", "workers", 50052)
    # agents calls no service, and no service but the gateway and deploy reaches its internal port.
    for service in ("identity", "workers", "mutations", "deploy"):
        assert not may_call(policies, "agents", service, GRPC_PORTS[service]), service
    for service in ("identity", "workers", "mutations"):
        assert not may_call(policies, service, "agents", 50055), service
    # deploy calls no service either (it consumes the AGENTS stream over NATS); only the gateway reaches it.
    for service in ("identity", "workers", "mutations"):
        assert not may_call(policies, "deploy", service, GRPC_PORTS[service]), service
        assert not may_call(policies, service, "deploy", 50054), service
    # ingest calls no service (ingest payloads arrive over NATS); only the gateway reaches it.
    for service in ("identity", "workers", "mutations", "deploy", "agents"):
        assert not may_call(policies, "ingest", service, GRPC_PORTS[service]), service
        assert not may_call(policies, service, "ingest", 50056), service


def test_the_open_agent_port_does_not_open_the_internal_one(policies: list[dict[str, Any]]) -> None:
    # The anyone-may-dial rule on 9090 must name its port; without one it would admit everyone on 50055.
    agents = next(p for p in policies if p["metadata"]["name"] == "agents")
    open_rules = [rule for rule in agents["spec"]["ingress"] if peer_names(rule.get("from")) == {ANYONE}]
    assert [[entry["port"] for entry in rule["ports"]] for rule in open_rules] == [[9090]]


def test_an_open_rule_on_identity_would_be_caught(policies: list[dict[str, Any]]) -> None:
    # The checker itself must be able to fail: an extra policy admitting everyone on the gRPC port.
    leaky = copy.deepcopy(next(p for p in policies if p["metadata"]["name"] == "identity"))
    leaky["metadata"]["name"] = "identity-leak"
    leaky["spec"]["ingress"] = [{"ports": [{"protocol": "TCP", "port": 50051}]}]
    assert allowed_callers([*policies, leaky], "identity", 50051) == {"gateway", ANYONE}
    other_namespace = copy.deepcopy(leaky)
    other_namespace["spec"]["ingress"][0]["from"] = [{"namespaceSelector": {}}]
    assert ANYONE in allowed_callers([*policies, other_namespace], "identity", 50051)
