"""Deployment states, the stored view and the pure rules (transitions, validation, the command payload)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from switchyard.grpckit.errors import InvalidArgument

PENDING_APPROVAL = "pending_approval"
QUEUED = "queued"
RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELLED = "cancelled"
REJECTED = "rejected"
OPEN = (PENDING_APPROVAL, QUEUED, RUNNING)
FINAL = (SUCCEEDED, FAILED, CANCELLED, REJECTED)

# agent.v1.CommandType numbers deploy issues (the domain does not import generated code).
APP_DEPLOY = 42

IMAGE_TAG_MAX = 200
REASON_MAX = 500
MESSAGE_MAX = 2000
LIST_DEFAULT, LIST_MAX = 50, 200
WATCH_DEFAULT, WATCH_MAX = 500, 2000
_CONTAINER_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")

# agents' final command states -> the deployment's.
_FROM_COMMAND = {"completed": SUCCEEDED, "cancelled": CANCELLED}


@dataclass(frozen=True, slots=True)
class DeploymentView:
    """A deployment as stored."""

    id: str
    org_id: str
    app_id: str
    environment_id: str
    environment: str
    server_id: str
    status: str
    requested_by: str
    approved_by: str
    command_id: str
    rollback_of: str | None
    image_tag: str
    spec: dict[str, Any]
    error: str
    message: str
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def final(self) -> bool:
        """True once nothing will change it any more."""
        return self.status in FINAL


def container_name(app_slug: str, environment: str, app_id: str) -> str:
    """The agent's container (process) name: slug, environment and the app id's head (unique per server)."""
    raw = f"{app_slug}-{environment}-{app_id.replace('-', '')[:8]}"
    return _CONTAINER_UNSAFE.sub("-", raw)[:128]


def image_tag_of(value: str) -> str:
    """A version label: at most 200 printable characters."""
    text = value.strip()
    if len(text) > IMAGE_TAG_MAX or any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise InvalidArgument(f"imageTag must be at most {IMAGE_TAG_MAX} printable characters")
    return text


def reason_of(value: str) -> str:
    """A rejection reason: at most 500 characters."""
    text = value.strip()
    if len(text) > REASON_MAX:
        raise InvalidArgument(f"reason must be at most {REASON_MAX} characters")
    return text


def list_limit(limit: int) -> int:
    """0 = 50, else 1..200."""
    if limit == 0:
        return LIST_DEFAULT
    if not 1 <= limit <= LIST_MAX:
        raise InvalidArgument(f"limit must be between 1 and {LIST_MAX}")
    return limit


def watch_limit(limit: int) -> int:
    """0 = 500, else 1..2000."""
    if limit == 0:
        return WATCH_DEFAULT
    if not 1 <= limit <= WATCH_MAX:
        raise InvalidArgument(f"limit must be between 1 and {WATCH_MAX}")
    return limit


def final_of_command(status: str) -> str:
    """The deployment's final state for the agents command's final state."""
    return _FROM_COMMAND.get(status, FAILED)


def command_payload(spec: dict[str, Any], image_tag: str) -> dict[str, Any]:
    """APP_DEPLOY's payload (no env values: those travel sealed)."""
    return {
        "container_name": spec["container_name"],
        "port": spec["port"],
        "health_check_path": spec["health_check_path"],
        "override_cmd": spec["start_command"],
        "image_tag": image_tag,
    }


def clip(text: str, cap: int = MESSAGE_MAX) -> str:
    """The last ``cap`` characters of ``text`` (messages keep the tail, where errors are)."""
    text = text.strip()
    return text if len(text) <= cap else text[-cap:]
