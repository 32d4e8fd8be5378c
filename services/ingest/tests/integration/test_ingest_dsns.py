"""DSNs over real gRPC: mint, list, resolve by key, delete; tenancy and roles."""

from __future__ import annotations

import grpc
import pytest
from switchyard.ingest.v1 import ingest_service_pb2 as svc

pytestmark = pytest.mark.integration


async def test_a_dsn_is_minted_listed_resolved_by_its_key_and_deleted(ingest) -> None:
    org = ingest.new_org()
    made = (await ingest.call("CreateDsn", svc.CreateDsnRequest(name=" web "), ingest.owner(org))).dsn
    assert made.name == "web"
    assert len(made.public_key) == 32
    assert made.project_id > 0

    listed = await ingest.call("ListDsns", svc.ListDsnsRequest(), ingest.member(org))
    assert [d.id for d in listed.dsns] == [made.id]
    resolved = await ingest.call("ResolveDsnKey", svc.ResolveDsnKeyRequest(public_key=made.public_key))
    assert (resolved.dsn.org_id, resolved.dsn.project_id) == (org, made.project_id)

    await ingest.call("DeleteDsn", svc.DeleteDsnRequest(dsn_id=made.id), ingest.owner(org))
    gone = await ingest.fails("ResolveDsnKey", svc.ResolveDsnKeyRequest(public_key=made.public_key))
    assert gone.code() == grpc.StatusCode.NOT_FOUND


async def test_another_orgs_dsn_is_not_found_and_members_cannot_mint(ingest) -> None:
    org, other = ingest.new_org(), ingest.new_org()
    made = (await ingest.call("CreateDsn", svc.CreateDsnRequest(name="api"), ingest.owner(org))).dsn

    foreign = await ingest.fails("DeleteDsn", svc.DeleteDsnRequest(dsn_id=made.id), ingest.owner(other))
    assert foreign.code() == grpc.StatusCode.NOT_FOUND
    assert (await ingest.call("ListDsns", svc.ListDsnsRequest(), ingest.owner(other))).dsns == []
    denied = await ingest.fails("CreateDsn", svc.CreateDsnRequest(name="x"), ingest.member(org))
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    bad = await ingest.fails("CreateDsn", svc.CreateDsnRequest(name=" "), ingest.owner(org))
    assert bad.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "name" in (bad.details() or "")
