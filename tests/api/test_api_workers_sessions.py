"""Sessions through the gateway: queueing, poll pre-claim in priority order, the FSM, worker posts.

Real identity, workers and mutations services behind an in-process gateway.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


async def _poll(fleet, worker) -> dict:
    response = await fleet.client.get(f"/api/workers/{worker.id}/poll", headers=worker.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_poll_preclaims_in_priority_order_up_to_capacity(fleet) -> None:
    org = await fleet.org("poll")
    low = await fleet.queue(org, priority=5, prompt="later")
    high = await fleet.queue(
        org, priority=1, prompt="first", extras={"ref": "main", "maxDurationSeconds": 600}
    )
    mid = await fleet.queue(org, priority=3, workType="qa", repository="github.com/acme/app")
    assert high["status"] == "pending"
    assert high["workerId"] is None
    assert isinstance(high["queuedAt"], int)

    worker = await fleet.register(org, capacity=2)
    polled = await _poll(fleet, worker)
    assert polled["preClaimed"] is True
    assert [w["sessionId"] for w in polled["work"]] == [high["linearSessionId"], mid["linearSessionId"]]
    assert polled["claimedSessionIds"] == [high["linearSessionId"], mid["linearSessionId"]]
    first = polled["work"][0]
    assert (first["priority"], first["prompt"], first["ref"], first["maxDurationSeconds"]) == (
        1,
        "first",
        "main",
        600,
    )
    assert isinstance(first["queuedAt"], int)
    assert (polled["work"][1]["workType"], polled["work"][1]["repository"]) == ("qa", "github.com/acme/app")
    assert (polled["inboxMessages"], polled["hasInboxMessages"]) == ({}, False)

    status = await fleet.client.get(f"/api/sessions/{high['linearSessionId']}/status", headers=worker.headers)
    assert status.status_code == 200, status.text
    assert (status.json()["status"], status.json()["workerId"]) == ("claimed", worker.id)
    assert isinstance(status.json()["claimedAt"], int)

    # Queued detail for cloud runners: only while queued.
    claimed = await fleet.client.get(
        f"/api/daemon/sessions/{high['linearSessionId']}", headers=worker.headers
    )
    assert claimed.status_code == 404
    queued = await fleet.client.get(f"/api/daemon/sessions/{low['linearSessionId']}", headers=worker.headers)
    assert queued.status_code == 200, queued.text
    assert (queued.json()["sessionId"], queued.json()["organizationId"]) == (low["linearSessionId"], org.id)
    assert queued.json()["prompt"] == "later"

    # Full: nothing more is claimed until a session ends.
    assert (await _poll(fleet, worker))["work"] == []


async def test_nack_requeues_with_the_original_priority(fleet) -> None:
    org = await fleet.org("nack")
    session = await fleet.queue(org, priority=2)
    worker = await fleet.register(org, capacity=1)
    work = (await _poll(fleet, worker))["work"][0]
    nacked = await fleet.client.post(
        f"/api/sessions/{session['linearSessionId']}/nack",
        headers=worker.headers,
        json={"workerId": worker.id, "reason": "project not allowed", "work": work},
    )
    assert nacked.status_code == 200, nacked.text
    assert nacked.json() == {"nacked": True, "sessionId": session["linearSessionId"], "requeued": True}
    status = await fleet.client.get(
        f"/api/sessions/{session['linearSessionId']}/status", headers=worker.headers
    )
    assert (status.json()["status"], status.json()["priority"], status.json()["workerId"]) == (
        "pending",
        2,
        None,
    )
    assert [w["sessionId"] for w in (await _poll(fleet, worker))["work"]] == [session["linearSessionId"]]


async def test_session_fsm_and_worker_posts_through_http(fleet) -> None:
    org = await fleet.org("fsm")
    session = await fleet.queue(org, priority=1)
    sid = session["linearSessionId"]
    worker = await fleet.register(org, capacity=1)
    other = await fleet.register(org, capacity=1)
    await _poll(fleet, worker)

    async def post(path: str, body: dict, who=worker):
        return await fleet.client.post(f"/api/sessions/{sid}/{path}", headers=who.headers, json=body)

    stolen = await post("status", {"workerId": other.id, "status": "running"}, who=other)
    assert stolen.status_code == 403
    impersonated = await post("status", {"workerId": other.id, "status": "running"})
    assert impersonated.status_code == 403
    running = await post(
        "status", {"workerId": worker.id, "status": "running", "worktreePath": "/work/trees/wt"}
    )
    assert running.status_code == 200, running.text
    assert running.json()["updated"] is True
    assert (running.json()["session"]["status"], running.json()["session"]["worktreePath"]) == (
        "running",
        "/work/trees/wt",
    )

    activity = await post(
        "activity",
        {
            "workerId": worker.id,
            "activity": {
                "type": "action",
                "content": "ran tests",
                "toolName": "Bash",
                "toolInput": {"cmd": "pytest"},
            },
        },
    )
    assert (activity.status_code, activity.json()) == (200, {"forwarded": True, "linearSessionId": sid})
    progress = await post("progress", {"workerId": worker.id, "milestone": "tests", "message": "green"})
    assert (progress.status_code, progress.json()) == (200, {"posted": True, "milestone": "tests"})
    lock = await post("lock-refresh", {"workerId": worker.id, "issueId": session["issueId"]})
    assert (lock.status_code, lock.json()) == (200, {"refreshed": True})
    empty = await post("completion", {"workerId": worker.id, "summary": ""})
    assert (empty.status_code, empty.json()) == (400, {"error": "summary is required"})
    completion = await post("completion", {"workerId": worker.id, "summary": "x" * 25_000})
    assert completion.status_code == 200, completion.text
    assert completion.json()["totalParts"] == 3
    assert completion.json()["posted"] == 3

    # The real daemon goes running -> completed without finalizing; repeats are idempotent.
    done = {
        "workerId": worker.id,
        "status": "completed",
        "totalCostUsd": 0.42,
        "inputTokens": 1000,
        "outputTokens": 200,
    }
    for _ in range(2):
        completed = await post("status", done)
        assert completed.status_code == 200, completed.text
        assert completed.json()["session"]["status"] == "completed"
    assert completed.json()["session"]["totalCostUsd"] == 0.42
    assert completed.json()["session"]["inputTokens"] == 1000
    back = await post("status", {"workerId": worker.id, "status": "running"})
    assert back.status_code == 409
    assert set(back.json()) == {"error"}
    # The terminal state released the lock and the worker's slot.
    lock_after = await post("lock-refresh", {"workerId": worker.id, "issueId": session["issueId"]})
    assert lock_after.json() == {"refreshed": False}
    nxt = await fleet.queue(org)
    assert [w["sessionId"] for w in (await _poll(fleet, worker))["work"]] == [nxt["linearSessionId"]]


async def test_cross_org_sessions_are_404_and_bodies_are_checked(fleet) -> None:
    org = await fleet.org("sess-a")
    stranger_org = await fleet.org("sess-b")
    session = await fleet.queue(org)
    sid = session["linearSessionId"]
    stranger = await fleet.register(stranger_org)
    for headers in (stranger.headers, fleet.api.bearer(stranger_org.key)):
        status = await fleet.client.get(f"/api/sessions/{sid}/status", headers=headers)
        assert status.status_code == 404
        detail = await fleet.client.get(f"/api/daemon/sessions/{sid}", headers=headers)
        assert detail.status_code == 404
    post = await fleet.client.post(
        f"/api/sessions/{sid}/status",
        headers=stranger.headers,
        json={"workerId": stranger.id, "status": "running"},
    )
    assert post.status_code in (403, 404)
    # The owner's org key and the owner (with X-Tenant-ID) read it.
    for headers in (fleet.api.bearer(org.key), org.owner.headers()):
        mine = await fleet.client.get(f"/api/sessions/{sid}/status", headers=headers)
        assert mine.status_code == 200, mine.text
        assert mine.json()["organizationId"] == org.id

    worker = await fleet.register(org)
    cases = [
        ("status", {"status": "running"}, "workerId is required"),
        ("status", {"workerId": worker.id, "status": "paused"}, "status has an invalid value"),
        (
            "status",
            {"workerId": worker.id, "status": "failed", "inputTokens": "many"},
            "inputTokens must be an integer or null",
        ),
        ("activity", {"activity": {"type": "gossip"}}, "activity.type has an invalid value"),
        (
            "activity",
            {"activity": {"type": "thought", "timestamp": "yesterday"}},
            "activity.timestamp must be epoch ms or an RFC 3339 time",
        ),
        ("lock-refresh", {"workerId": worker.id}, "issueId is required"),
        ("progress", {"workerId": worker.id}, "message is required"),
        ("nack", {"reason": "x"}, "workerId is required"),
    ]
    for path, body, message in cases:
        response = await fleet.client.post(f"/api/sessions/{sid}/{path}", headers=worker.headers, json=body)
        assert (response.status_code, response.json()) == (400, {"error": message}), (path, body)
    queued = await fleet.client.post(
        "/api/sessions", headers=fleet.api.bearer(org.key), json={"issueId": "i", "priority": 9}
    )
    assert (queued.status_code, queued.json()) == (400, {"error": "priority is invalid"})
    # Workers cannot queue work; a plain member without X-Tenant-ID cannot either.
    refused = await fleet.client.post("/api/sessions", headers=worker.headers, json={"issueId": "i"})
    assert refused.status_code in (401, 403)
