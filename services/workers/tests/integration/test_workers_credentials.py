"""Daemon credentials over real gRPC, PostgreSQL, Redis and NATS: the sealed store, snapshots, listings.

Rotations and their watchers live in test_workers_credential_rotation.py.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
import structlog
from cryptography.exceptions import InvalidTag
from sqlalchemy import select, text
from switchyard.grpckit.principal import Principal
from switchyard.workers.db.models import outbox
from switchyard.workers.domain.credentials.sealing import open_sealed
from switchyard.workers.server import key_encryption_key
from switchyard.workers.v1 import events_pb2
from switchyard.workers.v1 import workers_service_pb2 as svc

pytestmark = pytest.mark.integration

ORG_MISMATCH = "orgId does not match the authenticated organization"


def _secret(tag: str = "ghp") -> str:
    return f"{tag}_{uuid.uuid4().hex}{uuid.uuid4().hex}"


def _store(
    org: str, name: str, value: str, kind: str = "github", **fields: str
) -> svc.StoreCredentialRequest:
    return svc.StoreCredentialRequest(org_id=org, name=name, value=value, kind=kind, **fields)


def _member(org: str) -> Principal:
    return Principal(kind="user", user_id=str(uuid.uuid4()), tenant_id=org, role="user", token_id="t")


async def _snapshot(workers, org: str, principal: Principal | None = None, **fields: str) -> Any:
    request = svc.SnapshotCredentialsRequest(org_id=org, **fields)
    return await workers.call("SnapshotCredentials", request, principal or workers.org_key(org))


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> AsyncIterator[pytest.LogCaptureFixture]:
    """Every log line of the process (ours through structlog, and every library's) at DEBUG."""
    structlog.configure(
        processors=[structlog.processors.JSONRenderer()],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    caplog.set_level(logging.DEBUG)
    yield caplog  # type: ignore[misc]
    structlog.reset_defaults()


async def test_store_validates_each_field_and_names_it(workers) -> None:
    org = workers.org()
    admin = workers.admin(org)
    cases = {
        "name": _store(org, "9LIVES", "v"),
        "name ": _store(org, "BAD-NAME", "v"),
        "kind": _store(org, "GH_TOKEN", "v", kind="GitHub"),
        "value": _store(org, "GH_TOKEN", ""),
        "orgId": _store("", "GH_TOKEN", "v"),
        "envName": _store(org, "GH_TOKEN", "v", env_name="prod env"),
    }
    for field, request in cases.items():
        error = await workers.fails("StoreCredential", request, admin)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, field
        assert (error.details() or "").startswith(field.strip()), (field, error.details())
    missing_kind = await workers.fails("StoreCredential", _store(org, "GH_TOKEN", "v", kind=""), admin)
    assert missing_kind.details() == "kind is required"
    too_big = await workers.fails("StoreCredential", _store(org, "BIG", "x" * (64 * 1024 + 1)), admin)
    assert too_big.details() == "value must be at most 65536 bytes"
    exact = await workers.call("StoreCredential", _store(org, "BIG", "x" * (64 * 1024)), admin)
    assert exact.credential.name == "BIG"


async def test_daemon_internal_names_cannot_be_stored(workers) -> None:
    org = workers.org()
    for name in ("DONMAI_DAEMON_JWT", "WORKER_API_KEY", "donmai_runtime_jwt", "DONMAI_CREDENTIAL_CAPABILITY"):
        error = await workers.fails("StoreCredential", _store(org, name, "v"), workers.admin(org))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error.details() == f"name {name} is reserved for the daemon and cannot be stored"


async def test_only_admins_and_wildcard_org_keys_manage_credentials(workers) -> None:
    org = workers.org()
    request = _store(org, "GH_TOKEN", _secret())
    for principal in (
        _member(org),
        workers.org_key(org, scopes=("worker:register", "worker:poll")),
        Principal(kind="worker", tenant_id=org, worker_id="wkr_x", project_ids=("*",)),
    ):
        error = await workers.fails("StoreCredential", request, principal)
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED, principal.kind
        listed = await workers.fails("ListCredentials", svc.ListCredentialsRequest(), principal)
        assert listed.code() == grpc.StatusCode.PERMISSION_DENIED
    other = await workers.fails("StoreCredential", request, workers.admin(workers.org()))
    assert (other.code(), other.details()) == (grpc.StatusCode.PERMISSION_DENIED, ORG_MISMATCH)
    made = await workers.call("StoreCredential", request, workers.org_key(org))
    assert made.credential.org_id == org


async def test_value_is_sealed_at_rest_and_bound_to_org_and_id(workers, workers_settings) -> None:
    org = workers.org()
    value = _secret()
    made = (
        await workers.call("StoreCredential", _store(org, "GH_TOKEN", value), workers.admin(org))
    ).credential
    assert made.id.startswith("cred_")
    assert len(made.id) == 37
    assert (made.project_id, made.env_name, made.kind) == ("", "production", "github")
    assert not made.HasField("rotated_at")
    async with workers.server.deps.sessions() as s:
        raw = (
            await s.execute(text("SELECT value_enc FROM workers.credentials WHERE id = :id"), {"id": made.id})
        ).scalar_one()
    assert value.encode() not in raw
    assert value[:16].encode() not in raw
    kek = key_encryption_key(workers_settings)
    assert open_sealed(raw, kek=kek, org_id=org, credential_id=made.id) == value
    # The associated data binds the blob to its row: copied to another org or id it does not open.
    with pytest.raises(InvalidTag):
        open_sealed(raw, kek=kek, org_id=workers.org(), credential_id=made.id)
    with pytest.raises(InvalidTag):
        open_sealed(raw, kek=kek, org_id=org, credential_id="cred_" + "0" * 32)


async def test_upsert_replaces_the_value_and_counts_as_a_rotation(workers) -> None:
    org = workers.org()
    admin = workers.admin(org)
    first = await workers.call("StoreCredential", _store(org, "GH_TOKEN", _secret()), admin)
    assert first.rotated is False
    newer = _secret()
    second = await workers.call("StoreCredential", _store(org, "GH_TOKEN", newer), admin)
    assert second.rotated is True
    assert second.credential.id == first.credential.id
    assert second.credential.HasField("rotated_at")
    assert second.credential.created_at == first.credential.created_at
    assert dict((await _snapshot(workers, org)).env) == {"GH_TOKEN": newer}
    listed = await workers.call("ListCredentials", svc.ListCredentialsRequest(org_id=org), admin)
    assert [(c.id, c.HasField("rotated_at")) for c in listed.credentials] == [(first.credential.id, True)]


async def test_snapshot_overrides_org_values_with_the_project_and_strips_the_blocklist(workers) -> None:
    org = workers.org()
    admin = workers.admin(org)
    for name, value, project, env in (
        ("SHARED", "org-shared", "", ""),
        ("TOKEN", "org-token", "", ""),
        ("TOKEN", "p1-token", "p1", ""),
        ("ONLY_P1", "p1-only", "p1", ""),
        ("ONLY_P2", "p2-only", "p2", ""),
        ("STAGING", "staging", "", "staging"),
    ):
        await workers.call(
            "StoreCredential", _store(org, name, value, project_id=project, env_name=env), admin
        )
    # A blocklisted name written before the blocklist existed is still never served.
    blocked = await workers.call("StoreCredential", _store(org, "PLACEHOLDER", "daemon-secret"), admin)
    async with workers.server.deps.sessions() as s, s.begin():
        await s.execute(
            text("UPDATE workers.credentials SET name = 'DONMAI_DAEMON_TOKEN' WHERE id = :id"),
            {"id": blocked.credential.id},
        )
    before = datetime.now(UTC)
    p1 = await _snapshot(workers, org, project_id="p1", session_id="sess-1")
    assert dict(p1.env) == {"SHARED": "org-shared", "TOKEN": "p1-token", "ONLY_P1": "p1-only"}
    refresh = p1.refresh_until.ToDatetime().replace(tzinfo=UTC)
    assert before + timedelta(minutes=14) < refresh <= datetime.now(UTC) + timedelta(minutes=15, seconds=1)
    org_wide = await _snapshot(workers, org)
    assert dict(org_wide.env) == {"SHARED": "org-shared", "TOKEN": "org-token"}
    assert dict((await _snapshot(workers, org, env_name="staging")).env) == {"STAGING": "staging"}
    reg = await workers.register(org)
    assert dict((await _snapshot(workers, org, reg.worker, project_id="p2")).env)["ONLY_P2"] == "p2-only"


async def test_snapshot_refuses_another_org_and_foreign_projects(workers) -> None:
    org = workers.org()
    value = _secret()
    await workers.call("StoreCredential", _store(org, "GH_TOKEN", value), workers.admin(org))
    other = workers.org()
    mismatch = await workers.fails(
        "SnapshotCredentials", svc.SnapshotCredentialsRequest(org_id=org), workers.org_key(other)
    )
    assert (mismatch.code(), mismatch.details()) == (grpc.StatusCode.PERMISSION_DENIED, ORG_MISMATCH)
    missing = await workers.fails(
        "SnapshotCredentials", svc.SnapshotCredentialsRequest(), workers.org_key(org)
    )
    assert (missing.code(), missing.details()) == (grpc.StatusCode.INVALID_ARGUMENT, "orgId is required")
    scoped = workers.org_key(org, scopes=("worker:register",), projects=("p1",))
    assert dict((await _snapshot(workers, org, scoped, project_id="p1")).env) == {"GH_TOKEN": value}
    foreign = await workers.fails(
        "SnapshotCredentials", svc.SnapshotCredentialsRequest(org_id=org, project_id="p9"), scoped
    )
    assert foreign.code() == grpc.StatusCode.PERMISSION_DENIED
    member = await workers.fails(
        "SnapshotCredentials", svc.SnapshotCredentialsRequest(org_id=org), _member(org)
    )
    assert member.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_values_never_reach_events_logs_or_listings(workers, logs) -> None:
    org = workers.org()
    admin = workers.admin(org)
    value, rotated_value = _secret("sk-ant"), _secret("sk-ant")
    await workers.call("StoreCredential", _store(org, "ANTHROPIC_API_KEY", value, kind="anthropic"), admin)
    await workers.call(
        "StoreCredential", _store(org, "ANTHROPIC_API_KEY", rotated_value, kind="anthropic"), admin
    )
    key = workers.org_key(org)
    snap = await _snapshot(workers, org, key, session_id="sess-audit")
    assert dict(snap.env) == {"ANTHROPIC_API_KEY": rotated_value}
    await workers.call("RotateCredentials", svc.RotateCredentialsRequest(org_id=org, kind="anthropic"), admin)
    listed = await workers.call("ListCredentials", svc.ListCredentialsRequest(org_id=org), admin)
    mine = await _credential_events(workers, org)
    for secret in (value, rotated_value):
        assert all(secret.encode() not in row.payload for row in mine)
        assert secret.encode() not in listed.SerializeToString()
        assert secret not in logs.text
    # The logs were captured (names and ids are logged), so the absence above means something.
    assert "ANTHROPIC_API_KEY" in logs.text
    assert "credentials snapshotted" in logs.text
    assert {row.subject for row in mine} == {
        "workers.credentials.snapshotted",
        f"workers.credentials.rotated.{org}",
    }
    audit = events_pb2.CredentialsSnapshotted.FromString(
        next(row.payload for row in mine if row.subject.endswith("snapshotted"))
    )
    assert (audit.org_id, audit.env_name, audit.session_id, list(audit.names)) == (
        org,
        "production",
        "sess-audit",
        ["ANTHROPIC_API_KEY"],
    )
    assert (audit.actor_kind, audit.actor_id) == ("org_key", key.token_id)


async def _credential_events(workers, org: str) -> list[Any]:
    async with workers.server.deps.sessions() as s:
        rows = (
            await s.execute(
                select(outbox.c.subject, outbox.c.payload).where(
                    outbox.c.subject.like("workers.credentials.%")
                )
            )
        ).all()
    return [row for row in rows if org.encode() in row.payload]


async def test_delete_and_other_orgs_ids(workers) -> None:
    org = workers.org()
    made = await workers.call("StoreCredential", _store(org, "GH_TOKEN", _secret()), workers.admin(org))
    request = svc.DeleteCredentialRequest(credential_id=made.credential.id)
    stranger = await workers.fails("DeleteCredential", request, workers.admin(workers.org()))
    assert (stranger.code(), stranger.details()) == (grpc.StatusCode.NOT_FOUND, "Credential not found")
    assert (await workers.call("DeleteCredential", request, workers.org_key(org))).deleted is True
    again = await workers.fails("DeleteCredential", request, workers.admin(org))
    assert again.code() == grpc.StatusCode.NOT_FOUND
    assert dict((await _snapshot(workers, org)).env) == {}


async def test_list_filters_by_project_and_environment(workers) -> None:
    org = workers.org()
    admin = workers.admin(org)
    for name, project, env in (("A", "", ""), ("B", "p1", ""), ("C", "p1", "staging")):
        await workers.call(
            "StoreCredential", _store(org, name, _secret(), project_id=project, env_name=env), admin
        )

    async def names(**filters: Any) -> list[str]:
        listed = await workers.call(
            "ListCredentials", svc.ListCredentialsRequest(org_id=org, **filters), admin
        )
        return [c.name for c in listed.credentials]

    assert await names() == ["A", "B", "C"]
    assert await names(project_id="p1") == ["B", "C"]
    assert await names(project_id="") == ["A"]
    assert await names(env_name="staging") == ["C"]
    other = await workers.call("ListCredentials", svc.ListCredentialsRequest(), workers.admin(workers.org()))
    assert list(other.credentials) == []
