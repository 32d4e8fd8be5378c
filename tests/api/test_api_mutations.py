"""Daemon mutations through the gateway: enqueue, list, cancel, delivery on heartbeat and ACKs.

Real identity, workers and mutations services behind an in-process gateway.
"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.integration

MUTATIONS = "/api/daemon/mutations"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


async def _enqueue(fleet, headers: dict, host: str, op: str = "project.add", params: dict | None = None):
    body = {
        "workerHostId": host,
        "op": op,
        "params": params if params is not None else {"id": "p1", "repository": "github.com/acme/app"},
    }
    return await fleet.client.post(MUTATIONS, headers=headers, json=body)


def _refusal(response) -> dict:
    # The seed's 409 body, beside the house {"error": ...} sentence every error carries.
    body = dict(response.json())
    assert body.pop("error")
    return body


async def _listed(fleet, headers: dict, host: str) -> dict[str, dict]:
    response = await fleet.client.get(MUTATIONS, headers=headers, params={"workerHostId": host})
    assert response.status_code == 200, response.text
    return {m["id"]: m for m in response.json()["mutations"]}


async def test_enqueue_list_and_cancel(fleet) -> None:
    org = await fleet.org("mut")
    worker = await fleet.register(org)
    key = fleet.api.bearer(org.key)
    made = await _enqueue(fleet, key, worker.id)
    assert made.status_code == 201, made.text
    mutation = made.json()["mutation"]
    assert (mutation["orgId"], mutation["workerHostId"], mutation["op"], mutation["status"]) == (
        org.id,
        worker.id,
        "project.add",
        "pending",
    )
    assert mutation["params"] == {"id": "p1", "repository": "github.com/acme/app"}
    assert (mutation["deliveredAt"], mutation["cancelledAt"]) == (None, None)
    assert RFC3339.match(mutation["createdAt"])

    # The owner with X-Tenant-ID is an org admin too.
    second = await _enqueue(fleet, org.owner.headers(), worker.id, "modelAccess.clear", {"workload": ""})
    assert second.status_code == 201, second.text
    listed = await fleet.client.get(MUTATIONS, headers=key, params={"workerHostId": worker.id, "limit": 1})
    assert [m["id"] for m in listed.json()["mutations"]] == [second.json()["mutation"]["id"]]  # newest first
    assert set(await _listed(fleet, key, worker.id)) == {mutation["id"], second.json()["mutation"]["id"]}

    cancelled = await fleet.client.delete(f"{MUTATIONS}/{mutation['id']}", headers=key)
    assert (cancelled.status_code, cancelled.json()) == (200, {"cancelled": True})
    again = await fleet.client.delete(f"{MUTATIONS}/{mutation['id']}", headers=key)
    assert (again.status_code, _refusal(again)) == (409, {"cancelled": False, "reason": "already_delivered"})
    after = (await _listed(fleet, key, worker.id))[mutation["id"]]
    assert after["status"] == "cancelled"
    assert RFC3339.match(after["cancelledAt"])
    # A cancelled mutation is never delivered.
    beat = await fleet.beat(worker)
    assert [m["id"] for m in beat.json().get("pendingMutations", [])] == [second.json()["mutation"]["id"]]


async def test_delivery_on_heartbeat_redelivery_and_acks(fleet) -> None:
    org = await fleet.org("mut-deliver")
    worker = await fleet.register(org)
    key = fleet.api.bearer(org.key)
    add = (await _enqueue(fleet, key, worker.id)).json()["mutation"]
    bad = (await _enqueue(fleet, key, worker.id, "project.remove", {"id": "p9"})).json()["mutation"]

    first = await fleet.beat(worker)
    assert first.status_code == 200, first.text
    pending = {m["id"]: m for m in first.json()["pendingMutations"]}
    assert set(pending) == {add["id"], bad["id"]}
    assert pending[add["id"]]["op"] == "project.add"
    assert pending[add["id"]]["params"] == {"id": "p1", "repository": "github.com/acme/app"}
    assert RFC3339.match(pending[add["id"]]["requestedAt"])
    assert pending[add["id"]]["requestedBy"]

    # Delivered: the cancel window is closed; unACKed mutations are re-sent.
    refused = await fleet.client.delete(f"{MUTATIONS}/{add['id']}", headers=key)
    assert (refused.status_code, _refusal(refused)) == (
        409,
        {"cancelled": False, "reason": "already_delivered"},
    )
    delivered = (await _listed(fleet, key, worker.id))[add["id"]]
    assert delivered["status"] == "delivered"
    assert RFC3339.match(delivered["deliveredAt"])
    resent = await fleet.beat(worker)
    assert {m["id"] for m in resent.json()["pendingMutations"]} == {add["id"], bad["id"]}

    acked = await fleet.beat(
        worker, appliedMutations=[add["id"]], mutationFailures=[{"id": bad["id"], "error": "unknown project"}]
    )
    assert acked.status_code == 200, acked.text
    assert "pendingMutations" not in acked.json()
    final = await _listed(fleet, key, worker.id)
    assert (final[add["id"]]["status"], final[bad["id"]]["status"]) == ("applied", "failed")
    assert final[bad["id"]]["failure"] == "unknown project"


async def test_pool_deleted_sets_host_status(fleet) -> None:
    org = await fleet.org("mut-pool")
    worker = await fleet.register(org)
    made = await _enqueue(
        fleet,
        fleet.api.bearer(org.key),
        worker.id,
        "pool.deleted",
        {"poolId": "pool-1", "candidatePoolIds": ["pool-2"]},
    )
    assert made.status_code == 201, made.text
    beat = (await fleet.beat(worker)).json()
    assert [m["op"] for m in beat["pendingMutations"]] == ["pool.deleted"]
    assert beat["hostStatus"]["status"] == "pool_deleted"
    assert beat["hostStatus"]["candidatePoolIds"] == ["pool-2"]


async def test_cross_org_and_malformed_mutations(fleet) -> None:
    org = await fleet.org("mut-a")
    stranger = await fleet.org("mut-b")
    worker = await fleet.register(org)
    mutation = (await _enqueue(fleet, fleet.api.bearer(org.key), worker.id)).json()["mutation"]
    theirs = fleet.api.bearer(stranger.key)
    assert (await _enqueue(fleet, theirs, worker.id)).status_code == 404
    assert (await fleet.client.delete(f"{MUTATIONS}/{mutation['id']}", headers=theirs)).status_code == 404
    assert (await fleet.client.delete(f"{MUTATIONS}/mut_{'0' * 24}", headers=theirs)).status_code == 404
    listed = await fleet.client.get(MUTATIONS, headers=theirs, params={"workerHostId": worker.id})
    assert listed.status_code == 404 or listed.json() == {"mutations": []}
    # A stranger user acting in our org is refused before anything is read.
    outsider = await fleet.client.get(
        MUTATIONS, headers=stranger.owner.headers(org.id), params={"workerHostId": worker.id}
    )
    assert outsider.status_code in (403, 404)
    # Workers cannot queue mutations.
    assert (await _enqueue(fleet, worker.headers, worker.id)).status_code in (401, 403)
    unknown_host = await _enqueue(fleet, fleet.api.bearer(org.key), "wkr_0000000000000000")
    assert unknown_host.status_code == 404

    key = fleet.api.bearer(org.key)
    cases = [
        ({"op": "project.add", "params": {}}, "workerHostId is required"),
        ({"workerHostId": worker.id, "params": {}}, "op is required"),
        ({"workerHostId": worker.id, "op": "project.add", "params": []}, "params must be an object"),
    ]
    for body, message in cases:
        response = await fleet.client.post(MUTATIONS, headers=key, json=body)
        assert (response.status_code, response.json()) == (400, {"error": message}), body
    unknown_op = await _enqueue(fleet, key, worker.id, "project.explode", {})
    assert unknown_op.status_code == 400
    missing_param = await _enqueue(fleet, key, worker.id, "project.add", {"repository": "r"})
    assert missing_param.status_code == 400
    assert "id" in missing_param.json()["error"]
    for params, message in (
        ({}, "workerHostId is required"),
        ({"workerHostId": worker.id, "limit": 0}, "limit must be between 1 and 500"),
        ({"workerHostId": worker.id, "limit": 501}, "limit must be between 1 and 500"),
    ):
        response = await fleet.client.get(MUTATIONS, headers=key, params=params)
        assert (response.status_code, response.json()) == (400, {"error": message}), params
    anonymous = await fleet.client.get(MUTATIONS, params={"workerHostId": worker.id})
    assert anonymous.status_code == 401
