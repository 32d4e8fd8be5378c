"""Per-session worker extras through the gateway (Rensei §2.4, §2.5): the session inbox and its ACK.

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


async def _claimed(fleet) -> tuple[Any, Any, str]:  # type: ignore[no-untyped-def]
    org = await fleet.org("inbox")
    session = await fleet.queue(org)
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
