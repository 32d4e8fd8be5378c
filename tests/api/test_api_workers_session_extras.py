"""Per-session worker extras through the gateway (Rensei §2.4, §2.5): inbox, ownership transfer, files.

Real identity, workers and mutations services behind an in-process gateway; the Donmai daemon client
receives a queued inbox message in its running session and ACKs it.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest
from switchyard.db.redis import create_redis
from switchyard.donmai import AgentResult, Daemon, DaemonConfig, Project, RetryPolicy, SessionContext, Timings

pytestmark = pytest.mark.integration

# Every interval and backoff shrunk so the protocol runs at test speed (no assertion depends on them).
FAST = Timings(
    lock_refresh_interval=0.05,
    retry=RetryPolicy(attempts=3, base_delay=0.01),
    heartbeat_interval=0.05,
    poll_interval=0.05,
)


async def _claimed(fleet, org=None) -> tuple[Any, Any, str]:  # type: ignore[no-untyped-def]
    org = org or await fleet.org("inbox")
    session = await fleet.queue(org, repository="github.com/acme/app")
    worker = await fleet.register(org, capacity=2)
    polled = await fleet.client.get(f"/api/workers/{worker.id}/poll", headers=worker.headers)
    assert polled.json()["claimedSessionIds"] == [session["linearSessionId"]]
    return org, worker, session["linearSessionId"]


async def _poll(fleet, worker) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = await fleet.client.get(f"/api/workers/{worker.id}/poll", headers=worker.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _org_key(org) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {org.key}"}


async def test_inbox_message_reaches_the_poll_until_acked(fleet) -> None:
    org, worker, session_id = await _claimed(fleet)
    posted = await fleet.client.post(
        f"/api/sessions/{session_id}/inbox",
        headers=_org_key(org),
        json={"type": "directive", "payload": {"text": "add a test"}, "userName": "Ada"},
    )
    assert posted.status_code == 201, posted.text
    message = posted.json()
    assert (message["type"], message["lane"], message["sessionId"]) == ("directive", "normal", session_id)
    assert isinstance(message["createdAt"], int)

    polled = await _poll(fleet, worker)
    assert polled["hasInboxMessages"] is True
    assert polled["inboxMessages"] == {session_id: [message]}
    assert polled["inboxMessages"][session_id][0]["payload"] == {"text": "add a test"}
    # Not ACKed yet: the next poll hands it out again.
    assert (await _poll(fleet, worker))["inboxMessages"] == {session_id: [message]}

    acked = await fleet.client.post(
        f"/api/sessions/{session_id}/inbox/ack",
        headers=worker.headers,
        json={"messageId": message["id"], "lane": "normal"},
    )
    assert acked.status_code == 200, acked.text
    assert acked.json() == {"acknowledged": True}
    after = await _poll(fleet, worker)
    assert (after["inboxMessages"], after["hasInboxMessages"]) == ({}, False)


async def test_stop_is_urgent_and_bad_posts_are_refused(fleet) -> None:
    org, worker, session_id = await _claimed(fleet)
    stop = await fleet.client.post(
        f"/api/sessions/{session_id}/inbox", headers=_org_key(org), json={"type": "stop"}
    )
    assert (stop.status_code, stop.json()["lane"]) == (201, "urgent")
    bad = await fleet.client.post(
        f"/api/sessions/{session_id}/inbox", headers=_org_key(org), json={"type": "shout"}
    )
    assert bad.status_code == 400
    assert "type" in bad.json()["error"]
    as_worker = await fleet.client.post(
        f"/api/sessions/{session_id}/inbox", headers=worker.headers, json={"type": "nudge"}
    )
    assert as_worker.status_code in (401, 403)
    other = await fleet.org("inbox-other")
    foreign = await fleet.client.post(
        f"/api/sessions/{session_id}/inbox", headers=_org_key(other), json={"type": "nudge"}
    )
    assert foreign.status_code == 404


async def test_ack_names_missing_fields_and_checks_the_owner(fleet) -> None:
    org, worker, session_id = await _claimed(fleet)
    message = (
        await fleet.client.post(
            f"/api/sessions/{session_id}/inbox", headers=_org_key(org), json={"type": "nudge"}
        )
    ).json()
    url = f"/api/sessions/{session_id}/inbox/ack"
    no_id = await fleet.client.post(url, headers=worker.headers, json={"lane": "normal"})
    assert no_id.status_code == 400
    assert "messageId" in no_id.json()["error"]
    no_lane = await fleet.client.post(url, headers=worker.headers, json={"messageId": message["id"]})
    assert no_lane.status_code == 400
    assert "lane" in no_lane.json()["error"]
    body = {"messageId": message["id"], "lane": "normal"}
    intruder = await fleet.register(org)
    foreign = await fleet.client.post(url, headers=intruder.headers, json=body)
    assert foreign.status_code == 403
    assert foreign.json() == {"error": "Session is owned by another worker"}
    unknown = await fleet.client.post(
        f"/api/sessions/{uuid.uuid4()}/inbox/ack", headers=worker.headers, json=body
    )
    assert unknown.status_code == 404
    # The refused ACKs left the message pending for its owner.
    assert [m["id"] for m in (await _poll(fleet, worker))["inboxMessages"][session_id]] == [message["id"]]


async def _until(check: Any) -> None:
    """Wait (without asserting on time) until ``check()`` is true; fail if it never becomes so."""
    for _ in range(600):
        if check():
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"{check.__name__} never became true")


async def test_daemon_client_receives_and_acks_a_queued_message(
    fleet, gateway, redis_url, tmp_path: Path
) -> None:
    org = await fleet.org("daemon-inbox")
    started = asyncio.Event()

    async def listening_agent(context: SessionContext) -> AgentResult:
        started.set()
        message = await context.inbox.get()
        return AgentResult(summary=f"Heard {message['payload']['text']}")

    session_id = (await fleet.queue(org, projectName="web", repository="github.com/acme/web"))[
        "linearSessionId"
    ]
    config = DaemonConfig(
        orchestrator_url="http://gateway.test",
        registration_token=org.key,
        hostname="dev-box.test",
        state_dir=tmp_path / "state",
        max_sessions=2,
        machine_id=f"machine-{uuid.uuid4().hex[:8]}",
        projects=(Project("web", "github.com/acme/web"),),
        timings=FAST,
    )
    daemon = Daemon(config, listening_agent, http=gateway)
    await daemon.start()
    try:
        await _until(started.is_set)
        posted = await gateway.post(
            f"/api/sessions/{session_id}/inbox",
            headers=_org_key(org),
            json={"type": "directive", "payload": {"text": "hello"}},
        )
        assert posted.status_code == 201, posted.text

        def finished() -> bool:
            return session_id in daemon.finished

        await _until(finished)
    finally:
        await daemon.stop()
    runner = daemon.finished[session_id]
    assert runner.outcome == "completed"
    assert ("inbox/ack", 200) in runner.posted
    redis = create_redis(redis_url)
    try:
        pending = await redis.xpending(f"workers:inbox:{session_id}:normal", "inbox-readers")
    finally:
        await redis.aclose()
    assert pending["pending"] == 0


async def _running(fleet, org=None) -> tuple[Any, Any, str]:  # type: ignore[no-untyped-def]
    org, worker, session_id = await _claimed(fleet, org)
    started = await fleet.client.post(
        f"/api/sessions/{session_id}/status",
        headers=worker.headers,
        json={"workerId": worker.id, "status": "running"},
    )
    assert started.status_code == 200, started.text
    return org, worker, session_id


async def test_transfer_ownership_moves_a_session_to_the_new_worker(fleet) -> None:
    org, old, session_id = await _running(fleet)
    new = await fleet.register(org)
    url = f"/api/sessions/{session_id}/transfer-ownership"
    missing = await fleet.client.post(url, headers=new.headers, json={"newWorkerId": new.id})
    assert missing.status_code == 400
    assert "oldWorkerId" in missing.json()["error"]
    bystander = await fleet.register(org)
    body = {"newWorkerId": new.id, "oldWorkerId": old.id}
    assert (await fleet.client.post(url, headers=bystander.headers, json=body)).status_code == 403
    stranger = await fleet.register(await fleet.org("transfer-other"))
    other_org = {"newWorkerId": stranger.id, "oldWorkerId": old.id}
    assert (await fleet.client.post(url, headers=old.headers, json=other_org)).status_code == 404
    unknown = await fleet.client.post(
        f"/api/sessions/{uuid.uuid4()}/transfer-ownership", headers=new.headers, json=body
    )
    assert unknown.status_code == 404

    moved = await fleet.client.post(url, headers=new.headers, json=body)
    assert moved.status_code == 200, moved.text
    assert moved.json()["transferred"] is True
    assert moved.json()["session"]["workerId"] == new.id
    again = await fleet.client.post(url, headers=new.headers, json=body)
    assert again.json() == {"transferred": False, "reason": "Session is owned by another worker"}
    old_post = await fleet.client.post(
        f"/api/sessions/{session_id}/progress", headers=old.headers, json={"message": "still here"}
    )
    assert old_post.status_code == 403
    assert old_post.json() == {"error": "Session is owned by another worker"}


async def test_file_reservations_conflict_release_and_end_with_the_session(fleet) -> None:
    org, first, one = await _running(fleet)
    _, second, two = await _running(fleet, org)
    reserved = await fleet.client.post(
        f"/api/sessions/{one}/files/reserve",
        headers=first.headers,
        json={"filePaths": ["src/a.py", "src/b.py"], "reason": "refactor"},
    )
    assert reserved.status_code == 200, reserved.text
    assert reserved.json() == {"reserved": ["src/a.py", "src/b.py"], "conflicts": []}
    clash = await fleet.client.post(
        f"/api/sessions/{two}/files/reserve", headers=second.headers, json={"filePaths": ["src/b.py", "c.py"]}
    )
    assert clash.json()["reserved"] == ["c.py"]
    [conflict] = clash.json()["conflicts"]
    assert (conflict["filePath"], conflict["heldBy"]["sessionId"]) == ("src/b.py", one)
    assert isinstance(conflict["heldBy"]["reservedAt"], int)
    check = await fleet.client.get(
        f"/api/sessions/{two}/files/check-conflicts?filePaths=src/a.py,c.py&filePaths=src/b.py",
        headers=second.headers,
    )
    assert check.status_code == 200, check.text
    assert [c["filePath"] for c in check.json()["conflicts"]] == ["src/a.py", "src/b.py"]

    released = await fleet.client.post(
        f"/api/sessions/{one}/files/release", headers=first.headers, json={"filePaths": ["src/a.py"]}
    )
    assert released.json() == {"released": 1}
    done = await fleet.client.post(
        f"/api/sessions/{one}/status",
        headers=first.headers,
        json={"workerId": first.id, "status": "completed"},
    )
    assert done.status_code == 200, done.text
    # The terminal state released src/b.py too.
    check = await fleet.client.get(
        f"/api/sessions/{two}/files/check-conflicts",
        params={"filePaths": "src/a.py,src/b.py"},
        headers=second.headers,
    )
    assert check.json() == {"conflicts": []}
    everything = await fleet.client.post(f"/api/sessions/{two}/files/release-all", headers=second.headers)
    assert everything.json() == {"released": 1}


async def test_file_routes_validate_and_check_the_owner(fleet) -> None:
    org, worker, session_id = await _running(fleet)
    intruder = await fleet.register(org)
    url = f"/api/sessions/{session_id}/files/reserve"
    no_paths = await fleet.client.post(url, headers=worker.headers, json={})
    assert no_paths.status_code == 400
    assert "filePaths" in no_paths.json()["error"]
    empty = await fleet.client.post(url, headers=worker.headers, json={"filePaths": []})
    assert empty.status_code == 400
    assert "filePaths" in empty.json()["error"]
    foreign = await fleet.client.post(url, headers=intruder.headers, json={"filePaths": ["a"]})
    assert (foreign.status_code, foreign.json()) == (403, {"error": "Session is owned by another worker"})
    foreign_all = await fleet.client.post(
        f"/api/sessions/{session_id}/files/release-all", headers=intruder.headers, json={}
    )
    assert foreign_all.status_code == 403
    unknown = await fleet.client.get(
        f"/api/sessions/{uuid.uuid4()}/files/check-conflicts?filePaths=a", headers=worker.headers
    )
    assert unknown.status_code == 404


SCAN = {
    "type": "agent.security-scan",
    "scanner": "semgrep",
    "severityCounts": {"critical": 0, "high": 1, "medium": 0, "low": 2},
    "totalFindings": 3,
    "target": "src/",
    "scanDurationMs": 900,
    "timestamp": "2026-11-23T07:00:00Z",
}


async def test_tool_error_scan_urls_and_token_delta(fleet) -> None:
    _, worker, session_id = await _running(fleet)
    base = f"/api/sessions/{session_id}"
    tool = await fleet.client.post(
        f"{base}/tool-error",
        headers=worker.headers,
        json={"workerId": worker.id, "toolName": "Bash", "errorMessage": "exit 1", "context": {"x": 1}},
    )
    assert (tool.status_code, tool.json()) == (200, {"created": False, "reason": "no tracker configured"})
    scan = await fleet.client.post(
        f"{base}/security-scan", headers=worker.headers, json={"workerId": worker.id, "event": SCAN}
    )
    assert (scan.status_code, scan.json()) == (200, {"stored": True})
    urls = [{"label": "PR", "url": "https://example.com/pr/7"}]
    posted = await fleet.client.post(
        f"{base}/external-urls", headers=worker.headers, json={"externalUrls": urls}
    )
    assert (posted.status_code, posted.json()) == (200, {"updated": True, "externalUrls": urls})
    delta = await fleet.client.post(
        f"{base}/token-delta",
        headers=worker.headers,
        json={"turnId": "t1", "frames": [{"t": "a"}, {"t": "b"}]},
    )
    assert (delta.status_code, delta.json()) == (200, {"published": 2})


async def test_extra_reports_validate_and_check_the_owner(fleet) -> None:
    org, worker, session_id = await _running(fleet)
    intruder = await fleet.register(org)
    base = f"/api/sessions/{session_id}"
    missing = await fleet.client.post(
        f"{base}/tool-error", headers=worker.headers, json={"workerId": worker.id, "toolName": "Bash"}
    )
    assert missing.status_code == 400
    assert "errorMessage" in missing.json()["error"]
    bad_event = await fleet.client.post(
        f"{base}/security-scan",
        headers=worker.headers,
        json={"workerId": worker.id, "event": {**SCAN, "type": "other"}},
    )
    assert bad_event.status_code == 400
    assert "type" in bad_event.json()["error"]
    no_urls = await fleet.client.post(f"{base}/external-urls", headers=worker.headers, json={})
    assert no_urls.status_code == 400
    assert "externalUrls" in no_urls.json()["error"]
    no_frames = await fleet.client.post(f"{base}/token-delta", headers=worker.headers, json={"turnId": "t"})
    assert no_frames.status_code == 400
    assert "frames" in no_frames.json()["error"]
    foreign = await fleet.client.post(f"{base}/token-delta", headers=intruder.headers, json={"frames": []})
    assert (foreign.status_code, foreign.json()) == (403, {"error": "Session is owned by another worker"})
    unknown = await fleet.client.post(
        f"/api/sessions/{uuid.uuid4()}/external-urls", headers=worker.headers, json={"externalUrls": []}
    )
    assert unknown.status_code == 404
