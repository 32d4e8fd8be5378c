"""Read models and rules of server placement and pools."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from switchyard.grpckit.errors import InvalidArgument

LABELS_MAX = 64
LABEL_VALUE_MAX = 256
LABEL_KEY = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._/-]{0,61}[A-Za-z0-9])?$")


@dataclass(frozen=True, slots=True)
class PlacementView:
    """A server's placement as stored."""

    server_id: str
    org_id: str
    labels: dict[str, str]
    cordoned: bool
    draining: bool
    pool_id: str | None
    revoked: bool
    registered_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class PoolView:
    """A pool as stored, with how many (live) servers it holds."""

    id: str
    org_id: str
    name: str
    description: str
    selector: dict[str, str] = field(default_factory=dict)
    created_at: datetime | None = None
    server_count: int = 0


@dataclass(frozen=True, slots=True)
class ServerSeen:
    """What an agents event says about a server."""

    server_id: str
    org_id: str
    occurred_at: datetime
    # registered: True; revoked: False.
    registered: bool
    deleted: bool = False


def labels_of(labels: Mapping[str, str], field: str = "labels") -> dict[str, str]:
    """Validated labels: at most 64; keys like ``zone`` or ``example.com/tier``; values <= 256 characters."""
    if len(labels) > LABELS_MAX:
        raise InvalidArgument(f"{field} must hold at most {LABELS_MAX} labels")
    result: dict[str, str] = {}
    for key in sorted(labels):
        value = labels[key]
        if not LABEL_KEY.match(key):
            raise InvalidArgument(
                f"{field} has an invalid key {key[:64]!r}: letters, digits, '.', '_', '/', '-' (at most 63)"
            )
        if len(value) > LABEL_VALUE_MAX or any(ord(ch) < 32 for ch in value):
            raise InvalidArgument(f"{field}.{key} must be at most {LABEL_VALUE_MAX} printable characters")
        result[key] = value
    return result
