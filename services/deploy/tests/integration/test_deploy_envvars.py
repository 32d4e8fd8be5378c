"""Env vars: sealed at rest and bound to their row, masked in every listing, bulk put/replace in one
transaction, reveal for admins with a reason (audited, published without the value), clone."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
import sqlalchemy as sa
import structlog
from switchyard.deploy.v1 import deploy_pb2, events_pb2
from switchyard.deploy.v1 import deploy_service_pb2 as svc

pytestmark = pytest.mark.integration


def _secret() -> str:
    return f"s3cr3t-{secrets.token_hex(12)}"


def _reveal(app_id: str, key: str, reason: str = "debugging a failed deploy", environment: str = "") -> Any:
    return svc.RevealEnvVarRequest(app_id=app_id, environment=environment, key=key, reason=reason)


async def _raw_rows(deploy, app_id: str) -> list[Any]:
    async with deploy.server.engine.connect() as conn:
        rows = await conn.execute(
            sa.text("SELECT id, key, value_enc FROM deploy.env_vars WHERE app_id = :a ORDER BY key"),
            {"a": app_id},
        )
        return list(rows)


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


async def test_values_are_sealed_at_rest_and_never_listed(deploy) -> None:
    org = deploy.new_org()
    app = await deploy.app(org)
    value = _secret()
    put = await deploy.put(org, app.id, {"DATABASE_URL": value, "LOG_LEVEL": "debug"})
    assert [(v.key, v.masked) for v in put.env_vars] == [("DATABASE_URL", True), ("LOG_LEVEL", True)]
    assert value not in str(put)
    listed = await deploy.call("ListEnvVars", svc.ListEnvVarsRequest(app_id=app.id), deploy.member(org))
    assert [v.key for v in listed.env_vars] == ["DATABASE_URL", "LOG_LEVEL"]
    assert all(v.masked and v.updated_by for v in listed.env_vars)
    assert value.encode() not in listed.SerializeToString()
    rows = await _raw_rows(deploy, app.id)
    assert len(rows) == 2
    assert all(value.encode() not in bytes(r.value_enc) and b"debug" not in bytes(r.value_enc) for r in rows)
    changes = await deploy.changes(org, types=["env"])
    assert sorted(c.type for c in changes) == ["env.set", "env.set"]
    assert all(value not in c.summary_json for c in changes)
    revealed = await deploy.call("RevealEnvVar", _reveal(app.id, "DATABASE_URL"), deploy.owner(org))
    assert (revealed.key, revealed.value) == ("DATABASE_URL", value)


async def test_a_ciphertext_moved_to_another_row_does_not_open(deploy) -> None:
    org = deploy.new_org()
    app = await deploy.app(org)
    other = await deploy.app(org, name="Worker")
    await deploy.put(org, app.id, {"A_KEY": _secret(), "B_KEY": _secret()})
    await deploy.put(org, other.id, {"A_KEY": _secret()})
    rows = {r.key: r for r in await _raw_rows(deploy, app.id)}
    [theirs] = await _raw_rows(deploy, other.id)
    async with deploy.server.engine.begin() as conn:
        # B_KEY gets A_KEY's blob (same app, other key); the other app's A_KEY gets this app's (other app).
        await conn.execute(
            sa.text("UPDATE deploy.env_vars SET value_enc = :v WHERE id = :i"),
            [
                {"v": bytes(rows["A_KEY"].value_enc), "i": rows["B_KEY"].id},
                {"v": bytes(rows["A_KEY"].value_enc), "i": theirs.id},
            ],
        )
    for app_id, key in ((app.id, "B_KEY"), (other.id, "A_KEY")):
        error = await deploy.fails("RevealEnvVar", _reveal(app_id, key), deploy.owner(org))
        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "decrypt" in (error.details() or "")
    assert (await deploy.call("RevealEnvVar", _reveal(app.id, "A_KEY"), deploy.owner(org))).value


async def test_reveal_needs_admin_and_a_reason_and_is_audited(deploy, agents_stream) -> None:
    org = deploy.new_org()
    app = await deploy.app(org)
    value = _secret()
    await deploy.put(org, app.id, {"API_TOKEN": value})
    refused = {
        "member": deploy.member(org, "user"),
        "service": deploy.service(org),
        "user-role key": deploy.admin_key(org, role="user"),
    }
    for name, principal in refused.items():
        error = await deploy.fails("RevealEnvVar", _reveal(app.id, "API_TOKEN"), principal)
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED, name
    for reason, message in (
        ("", "reason is required"),
        ("   ", "reason is required"),
        ("x" * 501, "reason must"),
    ):
        error = await deploy.fails("RevealEnvVar", _reveal(app.id, "API_TOKEN", reason), deploy.owner(org))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert message in (error.details() or "")
    missing = await deploy.fails("RevealEnvVar", _reveal(app.id, "NOPE"), deploy.owner(org))
    assert missing.code() == grpc.StatusCode.NOT_FOUND

    sub = await agents_stream.subscribe(
        "deploy.envvar.revealed", durable=None
    )  # core NATS would race; JS replays
    admin = deploy.member(org, "admin")
    revealed = await deploy.call("RevealEnvVar", _reveal(app.id, "API_TOKEN", "rotate upstream"), admin)
    assert revealed.value == value
    keyed = await deploy.call("RevealEnvVar", _reveal(app.id, "API_TOKEN", "ci check"), deploy.admin_key(org))
    assert keyed.value == value

    async with deploy.server.engine.connect() as conn:
        audits = list(
            await conn.execute(
                sa.text("SELECT * FROM deploy.env_reveals WHERE app_id = :a ORDER BY id"), {"a": app.id}
            )
        )
    assert [(a.key, a.environment, a.actor, a.reason) for a in audits] == [
        ("API_TOKEN", "production", admin.user_id, "rotate upstream"),
        ("API_TOKEN", "production", "key:k1", "ci check"),
    ]
    assert all(value not in str(tuple(a)) for a in audits)
    feed = await deploy.changes(org, types=["env.reveal"])
    assert [(c.actor, deploy.summary(c)["key"]) for c in feed] == [
        ("key:k1", "API_TOKEN"),
        (admin.user_id, "API_TOKEN"),
    ]
    assert all(value not in c.summary_json for c in feed)

    events = []
    while len(events) < 2:
        msg = await sub.next_msg(timeout=10)
        payload = events_pb2.EnvVarRevealed.FromString(msg.data)
        if payload.app_id == app.id:
            events.append(payload)
            assert value.encode() not in msg.data
    await sub.unsubscribe()
    assert [(e.key, e.actor, e.reason) for e in events] == [
        ("API_TOKEN", admin.user_id, "rotate upstream"),
        ("API_TOKEN", "key:k1", "ci check"),
    ]


async def test_bulk_replace_is_all_or_nothing(deploy) -> None:
    org = deploy.new_org()
    app = await deploy.app(org)
    await deploy.put(org, app.id, {"KEEP": "1", "DROP_ME": "2", "CHANGE": "old"})
    bad = svc.PutEnvVarsRequest(
        app_id=app.id,
        replace=True,
        vars=[deploy_pb2.EnvVarInput(key="KEEP", value="1"), deploy_pb2.EnvVarInput(key="9BAD", value="x")],
    )
    error = await deploy.fails("PutEnvVars", bad, deploy.owner(org))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "vars[1].key" in (error.details() or "")
    too_big = await deploy.fails(
        "PutEnvVars",
        svc.PutEnvVarsRequest(
            app_id=app.id, vars=[deploy_pb2.EnvVarInput(key="BIG", value="x" * (64 * 1024 + 1))]
        ),
        deploy.owner(org),
    )
    assert "vars[0].value" in (too_big.details() or "")
    listed = await deploy.call("ListEnvVars", svc.ListEnvVarsRequest(app_id=app.id), deploy.member(org))
    assert [v.key for v in listed.env_vars] == ["CHANGE", "DROP_ME", "KEEP"]

    done = await deploy.put(org, app.id, {"KEEP": "1", "CHANGE": "new", "ADDED": "3"}, replace=True)
    assert [v.key for v in done.env_vars] == ["ADDED", "CHANGE", "KEEP"]
    assert list(done.removed_keys) == ["DROP_ME"]
    feed = await deploy.changes(org, types=["env"])
    latest = sorted((c.type, deploy.summary(c)["key"]) for c in feed[:3])
    assert latest == [("env.remove", "DROP_ME"), ("env.rotate", "CHANGE"), ("env.set", "ADDED")]
    assert "KEEP" not in [deploy.summary(c)["key"] for c in feed[:3]]  # unchanged values are not a change
    reveal = await deploy.call("RevealEnvVar", _reveal(app.id, "CHANGE"), deploy.owner(org))
    assert reveal.value == "new"


async def test_at_most_500_variables_per_environment(deploy) -> None:
    org = deploy.new_org()
    app = await deploy.app(org)
    await deploy.put(org, app.id, {f"VAR_{i}": str(i) for i in range(500)})
    error = await deploy.fails(
        "PutEnvVars",
        svc.PutEnvVarsRequest(app_id=app.id, vars=[deploy_pb2.EnvVarInput(key="ONE_MORE", value="x")]),
        deploy.owner(org),
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "at most 500" in (error.details() or "")
    swapped = await deploy.put(org, app.id, {"ONLY": "x"}, replace=True)
    assert [v.key for v in swapped.env_vars] == ["ONLY"]
    assert len(swapped.removed_keys) == 500


async def test_update_delete_and_environments(deploy) -> None:
    org = deploy.new_org()
    app = await deploy.app(org)
    await deploy.call(
        "CreateEnvironment", svc.CreateEnvironmentRequest(app_id=app.id, name="staging"), deploy.owner(org)
    )
    await deploy.put(org, app.id, {"MODE": "stage"}, environment="staging")
    prod = await deploy.call("ListEnvVars", svc.ListEnvVarsRequest(app_id=app.id), deploy.member(org))
    assert list(prod.env_vars) == []
    update = svc.UpdateEnvVarRequest(app_id=app.id, environment="staging", key="MODE", value="staged")
    assert (await deploy.call("UpdateEnvVar", update, deploy.owner(org))).env_var.key == "MODE"
    missing = svc.UpdateEnvVarRequest(app_id=app.id, environment="staging", key="NOPE", value="x")
    assert (
        await deploy.fails("UpdateEnvVar", missing, deploy.owner(org))
    ).code() == grpc.StatusCode.NOT_FOUND
    revealed = await deploy.call(
        "RevealEnvVar", _reveal(app.id, "MODE", environment="staging"), deploy.owner(org)
    )
    assert revealed.value == "staged"
    gone = svc.DeleteEnvVarRequest(app_id=app.id, environment="staging", key="MODE")
    assert (await deploy.call("DeleteEnvVar", gone, deploy.owner(org))).deleted
    assert (await deploy.fails("DeleteEnvVar", gone, deploy.owner(org))).code() == grpc.StatusCode.NOT_FOUND
    unknown = svc.ListEnvVarsRequest(app_id=app.id, environment="qa")
    assert (
        await deploy.fails("ListEnvVars", unknown, deploy.member(org))
    ).code() == grpc.StatusCode.NOT_FOUND
    bad_env = svc.ListEnvVarsRequest(app_id=app.id, environment="Not Valid")
    error = await deploy.fails("ListEnvVars", bad_env, deploy.member(org))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "environment" in (error.details() or "")


async def test_clone_copies_every_value_and_keeps_existing_unless_overwrite(deploy) -> None:
    org = deploy.new_org()
    app = await deploy.app(org)
    await deploy.call(
        "CreateEnvironment", svc.CreateEnvironmentRequest(app_id=app.id, name="preview"), deploy.owner(org)
    )
    await deploy.put(org, app.id, {"A": "prod-a", "B": "prod-b"})
    await deploy.put(org, app.id, {"B": "preview-b", "C": "preview-c"}, environment="preview")
    clone = svc.CloneEnvVarsRequest(app_id=app.id, from_environment="production", to_environment="preview")
    first = await deploy.call("CloneEnvVars", clone, deploy.owner(org))
    assert (list(first.copied_keys), list(first.skipped_keys)) == (["A"], ["B"])
    values = {
        key: (
            await deploy.call("RevealEnvVar", _reveal(app.id, key, environment="preview"), deploy.owner(org))
        ).value
        for key in ("A", "B", "C")
    }
    assert values == {"A": "prod-a", "B": "preview-b", "C": "preview-c"}
    clone.overwrite = True
    second = await deploy.call("CloneEnvVars", clone, deploy.owner(org))
    assert (list(second.copied_keys), list(second.skipped_keys)) == (["A", "B"], [])
    b = await deploy.call("RevealEnvVar", _reveal(app.id, "B", environment="preview"), deploy.owner(org))
    assert b.value == "prod-b"
    cloned = [c for c in await deploy.changes(org, types=["env"]) if deploy.summary(c).get("clonedFrom")]
    assert sorted((c.type, deploy.summary(c)["key"]) for c in cloned) == [
        ("env.rotate", "B"),
        ("env.set", "A"),
    ]
    same = svc.CloneEnvVarsRequest(app_id=app.id, from_environment="preview", to_environment="preview")
    assert (
        await deploy.fails("CloneEnvVars", same, deploy.owner(org))
    ).code() == grpc.StatusCode.INVALID_ARGUMENT
    nowhere = svc.CloneEnvVarsRequest(app_id=app.id, from_environment="production", to_environment="qa")
    assert (
        await deploy.fails("CloneEnvVars", nowhere, deploy.owner(org))
    ).code() == grpc.StatusCode.NOT_FOUND


async def test_another_orgs_app_is_not_found_for_every_env_call(deploy) -> None:
    org, other = deploy.new_org(), deploy.new_org()
    theirs = await deploy.app(other)
    await deploy.put(other, theirs.id, {"SECRET": "theirs"})
    me = deploy.owner(org)
    calls = {
        "ListEnvVars": svc.ListEnvVarsRequest(app_id=theirs.id),
        "PutEnvVars": svc.PutEnvVarsRequest(
            app_id=theirs.id, vars=[deploy_pb2.EnvVarInput(key="X", value="1")]
        ),
        "UpdateEnvVar": svc.UpdateEnvVarRequest(app_id=theirs.id, key="SECRET", value="mine"),
        "DeleteEnvVar": svc.DeleteEnvVarRequest(app_id=theirs.id, key="SECRET"),
        "RevealEnvVar": _reveal(theirs.id, "SECRET"),
        "CloneEnvVars": svc.CloneEnvVarsRequest(
            app_id=theirs.id, from_environment="production", to_environment="x"
        ),
    }
    for method, request in calls.items():
        assert (await deploy.fails(method, request, me)).code() == grpc.StatusCode.NOT_FOUND, method
    assert (
        await deploy.call("RevealEnvVar", _reveal(theirs.id, "SECRET"), deploy.owner(other))
    ).value == "theirs"


async def test_values_never_reach_the_logs(deploy, logs) -> None:
    org = deploy.new_org()
    app = await deploy.app(org)
    value = _secret()
    await deploy.put(org, app.id, {"LOGGED_KEY": value, "OTHER_KEY": _secret()})
    await deploy.put(org, app.id, {"LOGGED_KEY": value + "-2"}, replace=True)
    await deploy.call("ListEnvVars", svc.ListEnvVarsRequest(app_id=app.id), deploy.member(org))
    await deploy.call("RevealEnvVar", _reveal(app.id, "LOGGED_KEY"), deploy.owner(org))
    await deploy.fails(
        "PutEnvVars",
        svc.PutEnvVarsRequest(app_id=app.id, vars=[deploy_pb2.EnvVarInput(key="bad key", value=value)]),
        deploy.owner(org),
    )
    # A value that does not open is logged by key: proof that the deploy lines are captured.
    async with deploy.server.engine.begin() as conn:
        await conn.execute(
            sa.text("UPDATE deploy.env_vars SET value_enc = :v WHERE app_id = :a"),
            {"v": b"\0" * 40, "a": app.id},
        )
    await deploy.fails("RevealEnvVar", _reveal(app.id, "LOGGED_KEY"), deploy.owner(org))
    assert "LOGGED_KEY" in logs.text
    assert value not in logs.text
    assert json.dumps(value)[1:-1] not in logs.text
