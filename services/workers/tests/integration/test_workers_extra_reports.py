"""Tool errors, security scans, external URLs and token deltas over real gRPC, stored as activities."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.protobuf.struct_pb2 import Struct
from sqlalchemy import text
from switchyard.workers.v1 import workers_service_pb2 as svc

pytestmark = pytest.mark.integration

SCAN = {
    "type": "agent.security-scan",
    "scanner": "semgrep",
    "severityCounts": {"critical": 0, "high": 1, "medium": 2, "low": 3},
    "totalFindings": 6,
    "target": "src/",
    "scanDurationMs": 1200,
    "timestamp": "2026-11-23T07:00:00Z",
}


def _report(
    session_id: str, kind: str, data: dict[str, Any], worker_id: str = ""
) -> svc.RecordSessionReportRequest:
    body = Struct()
    body.update(data)
    return svc.RecordSessionReportRequest(session_id=session_id, worker_id=worker_id, kind=kind, data=body)


async def test_reports_are_stored_as_activities(workers, workers_server) -> None:
    reg = await workers.register()
    session = await workers.queue(reg.org)
    await workers.poll(reg)
    cases = [
        (
            "tool-error",
            {"toolName": "Bash", "errorMessage": "exit 1", "context": {"issueIdentifier": "ENG-1"}},
            1,
        ),
        ("security-scan", {"event": SCAN}, 1),
        ("external-urls", {"externalUrls": [{"label": "PR", "url": "https://example.com/pr/1"}]}, 1),
        ("token-delta", {"turnId": "t1", "frames": [{"text": "he"}, {"text": "llo"}]}, 2),
    ]
    for kind, data, count in cases:
        answer = await workers.call(
            "RecordSessionReport", _report(session.id, kind, data, reg.worker_id), reg.worker
        )
        assert (answer.stored, answer.count) == (True, count)
    async with workers_server.deps.reads() as s:
        rows = (
            await s.execute(
                text(
                    "SELECT kind, type, content, data FROM workers.activities"
                    " WHERE session_id = :s ORDER BY id"
                ),
                {"s": session.id},
            )
        ).all()
    assert [(r[0], r[1]) for r in rows] == [
        ("tool-error", "Bash"),
        ("security-scan", "semgrep"),
        ("external-urls", ""),
        ("token-delta", "t1"),
    ]
    assert rows[0][2] == "exit 1"
    assert rows[1][3]["event"]["severityCounts"]["high"] == 1
    assert rows[2][3]["externalUrls"] == [{"label": "PR", "url": "https://example.com/pr/1"}]


async def test_reports_validate_and_check_the_owner(workers) -> None:
    reg = await workers.register()
    other = await workers.register(reg.org)
    session = await workers.queue(reg.org)
    await workers.poll(reg)
    invalid = [
        ("tool-error", {"toolName": "Bash"}, "errorMessage"),
        ("security-scan", {"event": {**SCAN, "type": "other"}}, "event.type"),
        ("security-scan", {}, "event"),
        ("external-urls", {"externalUrls": [{"label": "x"}]}, "url"),
        ("token-delta", {"turnId": "t"}, "frames"),
        ("shout", {}, "kind"),
    ]
    for kind, data, named in invalid:
        error = await workers.fails("RecordSessionReport", _report(session.id, kind, data), reg.worker)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert named in (error.details() or "")
    body = {"toolName": "Bash", "errorMessage": "boom"}
    foreign = await workers.fails(
        "RecordSessionReport", _report(session.id, "tool-error", body), other.worker
    )
    assert foreign.code() == grpc.StatusCode.PERMISSION_DENIED
    unknown = await workers.fails("RecordSessionReport", _report("nope", "tool-error", body), reg.worker)
    assert unknown.code() == grpc.StatusCode.NOT_FOUND
