"""Shared facts for the static contract tests: repo paths and the env each process requires.

``REQUIRED_ENV`` is the single list of environment variables each deployable process needs in a container;
README.md ("Environment") documents the same list, and both compose.yaml and the Kubernetes manifests
are checked against it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# Process -> env vars it must be given in a container. The *_HOST entries are here because services bind
# loopback by default, which is unreachable from another container.
_STORES = ("DATABASE_URL", "REDIS_URL", "NATS_URL", "SWITCHYARD_PRINCIPAL_KEY")

REQUIRED_ENV: dict[str, tuple[str, ...]] = {
    "identity-migrate": _STORES,
    "identity": (
        *_STORES,
        "IDENTITY_GRPC_HOST",
        "IDENTITY_SMTP_HOST",
        "IDENTITY_SMTP_PORT",
        "IDENTITY_ROOT_EMAIL",
        "IDENTITY_ROOT_PASSWORD",
    ),
    "workers-migrate": _STORES,
    "workers": (*_STORES, "WORKERS_GRPC_HOST"),
    "mutations-migrate": _STORES,
    "mutations": (*_STORES, "MUTATIONS_GRPC_HOST", "MUTATIONS_WORKERS_ADDR"),
    "deploy-migrate": _STORES,
    "deploy": (*_STORES, "DEPLOY_GRPC_HOST"),
    "ingest-migrate": _STORES,
    "ingest": (*_STORES, "INGEST_GRPC_HOST"),
    "agents-migrate": _STORES,
    # agents binds two ports; the advertised address is what registration hands to agents (the default,
    # <host>:<port>, would tell them to dial 0.0.0.0 inside a container).
    "agents": (*_STORES, "AGENTS_GRPC_HOST", "AGENTS_AGENT_GRPC_HOST", "AGENTS_AGENT_GRPC_ADDRESS"),
    "gateway": (
        "GATEWAY_IDENTITY_ADDR",
        "GATEWAY_WORKERS_ADDR",
        "GATEWAY_MUTATIONS_ADDR",
        "GATEWAY_DEPLOY_ADDR",
        "GATEWAY_AGENTS_ADDR",
        "GATEWAY_INGEST_ADDR",
        "REDIS_URL",
        "NATS_URL",
        "SWITCHYARD_PRINCIPAL_KEY",
        "GATEWAY_HOST",
    ),
}


@pytest.fixture(scope="session")
def repo() -> Path:
    """The repository root."""
    return REPO


@pytest.fixture(scope="session")
def required_env() -> dict[str, tuple[str, ...]]:
    """The env vars each process requires (see module docstring)."""
    return REQUIRED_ENV
