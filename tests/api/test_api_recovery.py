"""Recovery packets through the gateway (Rensei §2.5): save, read, resume once, list the chain.

Org members read with X-Tenant-ID; saving and resuming need an admin/owner or the org's key.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

pytestmark = pytest.mark.integration

PACKET_KEYS = {
    "id",
    "sessionId",
    "agentId",
    "tier",
    "recoveryChainId",
    "tokenEstimate",
    "createdAt",
    "consumedAt",
    "packetData",
}


def _key(org) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {org.key}"}


async def _session(fleet, tag: str = "recovery") -> tuple[Any, str]:  # type: ignore[no-untyped-def]
    org = await fleet.org(tag)
    session = await fleet.queue(org)
    return org, session["linearSessionId"]


async def _member(api, org):  # type: ignore[no-untyped-def]
    member = await api.register("recovery-member")
    invited = await api.client.post(
        "/api/tenant/members/invite",
        headers=org.owner.headers(),
        json={"email": member.email, "role": "user"},
    )
    assert invited.status_code == 200, invited.text
    token = await api.mail_token(to=member.email, subject_contains="invited")
    accepted = await api.client.post(
        "/api/auth/accept-invitation", headers=api.bearer(member.access), json={"token": token}
    )
    assert accepted.status_code == 200, accepted.text
    return member


async def test_save_read_resume_and_list_the_chain(fleet) -> None:
    org, session_id = await _session(fleet)
    client, owner = fleet.client, org.owner.headers(org.id)
    url = f"/api/sessions/{session_id}/recovery-packet"
    body = {
        "agentId": "agent-1",
        "tier": "compact",
        "lastTool": "Edit",
        "context": {"files": ["a.py"], "turn": 7},
    }
    made = await client.post(url, headers=owner, json=body)
    assert made.status_code == 201, made.text
    packet = made.json()["packet"]
    assert set(packet) == PACKET_KEYS
    assert (packet["sessionId"], packet["agentId"], packet["tier"]) == (session_id, "agent-1", "compact")
    assert packet["packetData"] == {"lastTool": "Edit", "context": {"files": ["a.py"], "turn": 7}}
    # {"context":{"files":["a.py"],"turn":7},"lastTool":"Edit"} is 57 characters: ceil(57 / 4).
    assert packet["tokenEstimate"] == 15
    assert packet["consumedAt"] is None
    assert packet["createdAt"].endswith("Z")

    later = (await client.post(url, headers=_key(org), json={"agentId": "agent-2"})).json()["packet"]
    assert (later["tier"], later["recoveryChainId"]) == ("full", packet["recoveryChainId"])

    read = await client.get(url, headers=owner)
    assert (read.status_code, read.json()["packet"]["id"]) == (200, later["id"])
    resumed = await client.get(url, headers=_key(org), params={"resume": "true"})
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["packet"]["id"] == later["id"]
    assert resumed.json()["packet"]["consumedAt"] is not None
    assert (await client.get(url, headers=owner)).json()["packet"]["id"] == packet["id"]
    assert (await client.get(url, headers=owner, params={"resume": "true"})).status_code == 200
    empty = await client.get(url, headers=owner)
    assert (empty.status_code, empty.json()) == (404, {"error": "no recovery packet"})

    chain = await client.get(f"/api/sessions/{session_id}/recovery-chain", headers=owner)
    assert chain.status_code == 200, chain.text
    listed = chain.json()
    assert (listed["sessionId"], listed["totalPackets"]) == (session_id, 2)
    assert [p["id"] for p in listed["packets"]] == [later["id"], packet["id"]]
    assert set(listed["packets"][0]) == PACKET_KEYS - {"sessionId", "agentId"}
    assert all(p["consumedAt"] for p in listed["packets"])
    assert listed["packets"][1]["packetData"] == packet["packetData"]


async def test_two_concurrent_resumes_get_the_packet_once(fleet) -> None:
    org, session_id = await _session(fleet)
    url = f"/api/sessions/{session_id}/recovery-packet"
    made = (await fleet.client.post(url, headers=_key(org), json={"agentId": "a"})).json()["packet"]
    answers = await asyncio.gather(
        fleet.client.get(url, headers=_key(org), params={"resume": "true"}),
        fleet.client.get(url, headers=org.owner.headers(org.id), params={"resume": "true"}),
    )
    assert sorted(a.status_code for a in answers) == [200, 404]
    assert [a.json()["packet"]["id"] for a in answers if a.status_code == 200] == [made["id"]]


async def test_bad_bodies_are_refused_naming_the_field_or_size(fleet) -> None:
    org, session_id = await _session(fleet)
    url = f"/api/sessions/{session_id}/recovery-packet"
    for body, status, named in (
        ({"tier": "full"}, 400, "agentId is required"),
        ({"agentId": 7}, 400, "agentId must be a string"),
        ({"agentId": "a", "tier": ["x"]}, 400, "tier must be a string"),
        ([1, 2], 400, "JSON object"),
        ({"agentId": "a", "blob": "x" * (256 * 1024)}, 413, "262144 bytes"),
    ):
        answer = await fleet.client.post(url, headers=_key(org), json=body)
        assert answer.status_code == status, (body if status != 413 else "big", answer.text)
        assert named in answer.json()["error"]
    bad_flag = await fleet.client.get(url, headers=_key(org), params={"resume": "maybe"})
    assert (bad_flag.status_code, "resume" in bad_flag.json()["error"]) == (400, True)


async def test_members_read_admins_write_other_orgs_see_nothing(api, fleet) -> None:
    org, session_id = await _session(fleet)
    member = (await _member(api, org)).headers(org.id)
    url = f"/api/sessions/{session_id}/recovery-packet"
    chain_url = f"/api/sessions/{session_id}/recovery-chain"
    denied = await fleet.client.post(url, headers=member, json={"agentId": "a"})
    assert denied.status_code == 403
    assert (await fleet.client.post(url, headers=_key(org), json={"agentId": "a"})).status_code == 201
    assert (await fleet.client.get(url, headers=member)).status_code == 200
    assert (await fleet.client.get(chain_url, headers=member)).json()["totalPackets"] == 1
    assert (await fleet.client.get(url, headers=member, params={"resume": "true"})).status_code == 403

    other, _ = await _session(fleet, "recovery-other")
    for headers in (_key(other), other.owner.headers(other.id)):
        for answer in (
            await fleet.client.post(url, headers=headers, json={"agentId": "x"}),
            await fleet.client.get(url, headers=headers),
            await fleet.client.get(url, headers=headers, params={"resume": "true"}),
            await fleet.client.get(chain_url, headers=headers),
        ):
            assert (answer.status_code, answer.json()) == (404, {"error": "Session not found"})
    unknown = await fleet.client.get("/api/sessions/no-such-session/recovery-chain", headers=_key(org))
    assert unknown.status_code == 404
    worker = await fleet.register(org)
    assert (await fleet.client.get(url, headers=worker.headers)).status_code == 401
    # Nothing above consumed it.
    assert (await fleet.client.get(url, headers=_key(org))).json()["packet"]["consumedAt"] is None
