"""The public sessions API through the gateway: an org key and members of the org, real identity and workers.

"Public" is not anonymous: members read, admins/owners and org keys also prompt and stop; another org's
sessions are 404.
"""

from __future__ import annotations

import hashlib

import pytest

pytestmark = pytest.mark.integration


def spec(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()[:16]


def guide(session_id: str) -> str:
    return hashlib.sha256(f"session:{session_id}".encode()).hexdigest()[:32]


async def _join(api, owner, role: str = "user"):  # type: ignore[no-untyped-def]
    """A fresh user who joins ``owner``'s org with ``role``."""
    member = await api.register("member")
    invited = await api.client.post(
        "/api/tenant/members/invite", headers=owner.headers(), json={"email": member.email, "role": role}
    )
    assert invited.status_code == 200, invited.text
    token = await api.mail_token(to=member.email, subject_contains="invited")
    accepted = await api.client.post(
        "/api/auth/accept-invitation", headers=api.bearer(member.access), json={"token": token}
    )
    assert accepted.status_code == 200, accepted.text
    return member


async def _running(fleet, org, worker, **fields):  # type: ignore[no-untyped-def]
    session = await fleet.queue(org, **fields)
    polled = await fleet.client.get(f"/api/workers/{worker.id}/poll", headers=worker.headers)
    assert [w["sessionId"] for w in polled.json()["work"]] == [session["linearSessionId"]]
    sid = session["linearSessionId"]
    running = await fleet.client.post(
        f"/api/sessions/{sid}/status",
        headers=worker.headers,
        json={"workerId": worker.id, "status": "running"},
    )
    assert running.status_code == 200, running.text
    return sid


async def test_members_read_admins_and_keys_steer_other_orgs_see_nothing(api, fleet) -> None:
    org = await fleet.org("public")
    key = api.bearer(org.key)
    owner = org.owner.headers()
    worker = await fleet.register(org, capacity=1)
    sid = await _running(
        fleet, org, worker, workType="development", extras={"branch": "feat/login", "title": "Fix login"}
    )
    activity = {"workerId": worker.id, "activity": {"type": "thought", "content": "reading the code"}}
    posted = await fleet.client.post(f"/api/sessions/{sid}/activity", headers=worker.headers, json=activity)
    assert posted.status_code == 200, posted.text
    queued = (await fleet.queue(org, workType="qa"))["linearSessionId"]

    stats = await api.client.get("/api/public/stats", headers=key)
    assert stats.status_code == 200, stats.text
    body = stats.json()
    assert {k: body[k] for k in ("workersOnline", "agentsWorking", "queueDepth", "availableCapacity")} == {
        "workersOnline": 1,
        "agentsWorking": 1,
        "queueDepth": 1,
        "availableCapacity": 0,
    }
    assert (body["sessionCountToday"], body["completedToday"], body["totalCostAllTime"]) == (2, 0, 0.0)
    assert body["timestamp"].endswith("Z")

    listed = await api.client.get("/api/public/sessions", headers=owner)
    assert listed.status_code == 200, listed.text
    rows = listed.json()["sessions"]
    assert [(r["id"], r["status"], r["workType"]) for r in rows] == [
        (spec(queued), "queued", "qa"),
        (spec(sid), "working", "development"),
    ]
    assert listed.json()["count"] == 2
    assert listed.json()["nextCursor"] is None
    assert isinstance(rows[1]["startedAt"], str)
    assert isinstance(rows[1]["duration"], int)
    page = await api.client.get("/api/public/sessions", headers=owner, params={"limit": 1})
    assert [r["id"] for r in page.json()["sessions"]] == [spec(queued)]
    rest = await api.client.get(
        "/api/public/sessions", headers=owner, params={"limit": 1, "cursor": page.json()["nextCursor"]}
    )
    assert [r["id"] for r in rest.json()["sessions"]] == [spec(sid)]
    other_project = await api.client.get("/api/public/sessions", headers=key, params={"project": "nope"})
    assert other_project.json()["sessions"] == []
    working = await api.client.get("/api/public/sessions", headers=key, params={"status": "working"})
    assert [r["id"] for r in working.json()["sessions"]] == [spec(sid)]

    for ref in (sid, spec(sid), guide(sid)):
        detail = await api.client.get(f"/api/public/sessions/{ref}", headers=key)
        assert detail.status_code == 200, detail.text
        session = detail.json()["session"]
        assert (session["id"], session["status"], session["branch"], session["issueTitle"]) == (
            spec(sid),
            "working",
            "feat/login",
            "Fix login",
        )
        assert session["workerId"] == worker.id
        timeline = session["timeline"]
        assert isinstance(timeline["created"], int)
        assert isinstance(timeline["started"], int)
        assert timeline["completed"] is None

    feed = await api.client.get(
        "/api/public/session-activities", headers=key, params={"sessionId": guide(sid)}
    )
    assert feed.status_code == 200, feed.text
    assert [(a["type"], a["content"], a["body"]) for a in feed.json()["activities"]] == [
        ("thought", "reading the code", "reading the code")
    ]
    assert feed.json()["sessionStatus"] == "working"
    cursor = feed.json()["cursor"]
    idle = await api.client.get(
        f"/api/public/sessions/{spec(sid)}/activities", headers=key, params={"after": cursor}
    )
    assert (idle.json()["activities"], idle.json()["cursor"]) == ([], cursor)

    # A plain member reads everything but may not steer.
    member = await _join(api, org.owner)
    as_member = member.headers(org.id)
    for path in ("/api/public/stats", "/api/public/sessions", f"/api/public/sessions/{spec(sid)}"):
        assert (await api.client.get(path, headers=as_member)).status_code == 200
    for action, body_ in (("prompt", {"prompt": "go"}), ("stop", None)):
        refused = await api.client.post(f"/api/public/sessions/{sid}/{action}", headers=as_member, json=body_)
        assert refused.status_code == 403, refused.text

    # Another org: 404 for every form, an empty list, its own stats.
    stranger = (await fleet.org("stranger")).owner.headers()
    for ref in (sid, spec(sid), guide(sid)):
        assert (await api.client.get(f"/api/public/sessions/{ref}", headers=stranger)).status_code == 404
        stop = await api.client.post(f"/api/public/sessions/{ref}/stop", headers=stranger)
        assert (stop.status_code, stop.json()) == (404, {"error": "Session not found"})
        prompt = await api.client.post(
            f"/api/public/sessions/{ref}/prompt", headers=stranger, json={"prompt": "x"}
        )
        assert prompt.status_code == 404
        feed_ = await api.client.get(
            "/api/public/session-activities", headers=stranger, params={"sessionId": ref}
        )
        assert feed_.status_code == 404
    assert (await api.client.get("/api/public/sessions", headers=stranger)).json()["sessions"] == []
    assert (await api.client.get("/api/public/stats", headers=stranger)).json()["sessionCountToday"] == 0

    # Steering: a directive to the working session, a re-prioritised queued one, then a stop.
    directed = await api.client.post(
        f"/api/public/sessions/{spec(sid)}/prompt", headers=key, json={"prompt": "add tests too"}
    )
    assert directed.status_code == 200, directed.text
    assert (directed.json()["delivered"], directed.json()["sessionId"], directed.json()["sessionStatus"]) == (
        True,
        sid,
        "working",
    )
    polled = await fleet.client.get(f"/api/workers/{worker.id}/poll", headers=worker.headers)
    directive = polled.json()["inboxMessages"][sid][0]
    assert (directive["type"], directive["payload"]["prompt"]) == ("directive", "add tests too")
    requeued = await api.client.post(
        f"/api/public/sessions/{queued}/prompt", headers=owner, json={"prompt": "p2"}
    )
    assert requeued.json()["sessionStatus"] == "queued"
    stopped = await api.client.post(f"/api/public/sessions/{guide(sid)}/stop", headers=owner)
    assert stopped.status_code == 200, stopped.text
    assert stopped.json() == {
        "stopped": True,
        "sessionId": sid,
        "previousStatus": "working",
        "newStatus": "stopped",
    }
    again = await api.client.post(f"/api/public/sessions/{sid}/stop", headers=key)
    assert again.json() == {
        "stopped": False,
        "sessionId": sid,
        "previousStatus": "stopped",
        "newStatus": "stopped",
    }
    after_stop = await api.client.get(
        "/api/public/session-activities", headers=key, params={"sessionId": sid, "cursor": cursor}
    )
    assert [a["type"] for a in after_stop.json()["activities"]] == ["prompt", "stop"]
    assert after_stop.json()["sessionStatus"] == "stopped"

    metrics = await api.client.get("/api/public/phase-metrics", headers=as_member)
    assert metrics.status_code == 200, metrics.text
    phases = {p["workType"]: p for p in metrics.json()["phases"]}
    assert set(phases) == {"development", "qa"}
    assert (phases["development"]["sessions"], phases["development"]["stopped"]) == (1, 1)
    assert phases["development"]["cycleTimeMs"]["avg"] >= 0
    assert set(phases["qa"]["costUsd"]) == {"total", "avg"}


async def test_bad_input_is_400_naming_the_field(api, fleet) -> None:
    org = await fleet.org("public-bad")
    key = api.bearer(org.key)
    sid = (await fleet.queue(org))["linearSessionId"]
    cases = [
        ("/api/public/sessions", {"limit": "ten"}, "limit must be an integer"),
        ("/api/public/sessions", {"limit": "0"}, "limit must be between 1 and 100"),
        ("/api/public/sessions", {"limit": "101"}, "limit must be between 1 and 100"),
        ("/api/public/sessions", {"cursor": "garbage!"}, "cursor is invalid"),
        (
            "/api/public/sessions",
            {"status": "pending"},
            "status must be one of queued, working, completed, failed, stopped",
        ),
        ("/api/public/session-activities", {}, "sessionId is required"),
        ("/api/public/session-activities", {"sessionId": sid, "cursor": "@@"}, "cursor is invalid"),
        (
            "/api/public/session-activities",
            {"sessionId": sid, "limit": "500"},
            "limit must be between 1 and 200",
        ),
        (f"/api/public/sessions/{sid}/activities", {"after": "@@"}, "after is invalid"),
        (
            "/api/public/phase-metrics",
            {"from": "yesterday"},
            "from must be epoch milliseconds or an RFC 3339 time",
        ),
        (
            "/api/public/phase-metrics",
            {"to": "2026-13-01"},
            "to must be epoch milliseconds or an RFC 3339 time",
        ),
        (
            "/api/public/phase-metrics",
            {"from": "2026-02-01T00:00:00Z", "to": "1700000000000"},
            "from must be before to",
        ),
    ]
    for path, params, message in cases:
        response = await api.client.get(path, headers=key, params=params)
        assert (response.status_code, response.json()) == (400, {"error": message}), path
    empty = await api.client.post(f"/api/public/sessions/{sid}/prompt", headers=key, json={"prompt": ""})
    assert (empty.status_code, empty.json()) == (400, {"error": "prompt is required"})
    missing = await api.client.post(f"/api/public/sessions/{sid}/prompt", headers=key, json={})
    assert (missing.status_code, missing.json()) == (400, {"error": "prompt is required"})
    wrong = await api.client.post(f"/api/public/sessions/{sid}/prompt", headers=key, json={"prompt": 7})
    assert (wrong.status_code, wrong.json()) == (400, {"error": "prompt must be a string"})
    window = await api.client.get(
        "/api/public/phase-metrics",
        headers=key,
        params={"from": "2020-01-01T00:00:00Z", "to": "4102444800000"},
    )
    assert window.status_code == 200, window.text
    assert [p["workType"] for p in window.json()["phases"]] == [""]
    anonymous = await api.client.get("/api/public/stats")
    assert anonymous.status_code == 401
    no_tenant = await api.client.get("/api/public/stats", headers=api.bearer(org.owner.access))
    assert (no_tenant.status_code, no_tenant.json()) == (400, {"error": "X-Tenant-ID header is required"})


async def test_the_activity_feed_takes_a_worker_token_or_an_anonymous_id_and_hash(api, fleet) -> None:
    org = await fleet.org("feed")
    worker = await fleet.register(org, capacity=1)
    sid = await _running(fleet, org, worker)
    posted = await fleet.client.post(
        f"/api/sessions/{sid}/activity",
        headers=worker.headers,
        json={"workerId": worker.id, "activity": {"type": "thought", "content": "reading the issue"}},
    )
    assert posted.status_code == 200, posted.text
    feed = "/api/public/session-activities"

    # A worker of the org reads by raw id (no X-Tenant-ID needed); a hash is not a worker's way in.
    as_worker = await fleet.client.get(feed, headers=worker.headers, params={"sessionId": sid})
    assert as_worker.status_code == 200, as_worker.text
    assert [a["content"] for a in as_worker.json()["activities"]] == ["reading the issue"]
    assert (
        await fleet.client.get(feed, headers=worker.headers, params={"sessionId": spec(sid)})
    ).status_code == 404

    # Anonymous: the raw id plus either hash opens the feed, in both URL forms.
    for proof in (spec(sid), guide(sid)):
        shared = await fleet.client.get(feed, params={"sessionId": sid, "sessionHash": proof})
        assert shared.status_code == 200, shared.text
        assert [a["content"] for a in shared.json()["activities"]] == ["reading the issue"]
        assert shared.json()["sessionStatus"] == "working"
    by_path = await fleet.client.get(
        f"/api/public/sessions/{sid}/activities", params={"sessionHash": guide(sid)}
    )
    assert by_path.status_code == 200, by_path.text

    # Anything else anonymous is 401, and says nothing about whether the session exists.
    refused = [
        {"sessionId": sid},
        {"sessionId": sid, "sessionHash": spec("another-session")},
        {"sessionId": spec(sid), "sessionHash": spec(sid)},
        {"sessionId": "no-such-session", "sessionHash": spec("no-such-session")},
    ]
    for params in refused:
        answer = await fleet.client.get(feed, params=params)
        assert answer.status_code == 401, (params, answer.text)
        assert answer.json()["error"]
    # Other routes of the public API stay closed to anonymous callers.
    assert (await fleet.client.get(f"/api/public/sessions/{sid}")).status_code == 401

    # Another org's worker cannot read it at all.
    other = await fleet.org("feed-other")
    stranger = await fleet.register(other)
    assert (
        await fleet.client.get(feed, headers=stranger.headers, params={"sessionId": sid})
    ).status_code == 404
