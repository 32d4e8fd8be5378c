"""What each webhook provider sends: its signature and delivery headers, and which events mean work.

Only deliveries that ask for work on an issue become work (Linear ``Issue``/``create``; GitHub
``issues`` ``opened``/``labeled``); every other event is acknowledged and ignored. These functions are
pure: they read headers and the decoded body and return a ``Work`` or ``None``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec
from switchyard.gateway.errors import GatewayError

Headers = Mapping[str, str]
# Linear's issue priority (1 urgent .. 4 low) already reads "lower is sooner"; 0 (none) takes the default.
_LINEAR_PRIORITIES = frozenset({1, 2, 3, 4})
_DELIVERY_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
GITHUB_ISSUE_ACTIONS = frozenset({"opened", "labeled"})


@dataclass(frozen=True, slots=True)
class Work:
    """Work for one issue that a delivery asks for (a ``CreateSession`` to be)."""

    issue_id: str
    issue_identifier: str
    event: str
    action: str
    priority: int = 0
    repository: str = ""
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Provider:
    """One webhook source.

    Attributes:
        name: The ``{provider}`` path segment.
        delivery_header: Header carrying the provider's delivery id (the duplicate-detection key).
        signature_of: The hex HMAC the delivery claims, or ``""`` when it carries none.
        work_of: The work a (verified, decoded) delivery asks for, or ``None`` for other events.
    """

    name: str
    delivery_header: str
    signature_of: Callable[[Headers], str]
    work_of: Callable[[Headers, dict[str, Any]], Work | None]


def signature_valid(secret: bytes, body: bytes, claimed: str) -> bool:
    """True when ``claimed`` is the hex HMAC-SHA256 of the raw ``body`` (compared in constant time)."""
    expected = hmac.new(secret, body, hashlib.sha256).digest()
    try:
        given = bytes.fromhex(claimed.strip())
    except ValueError:
        return False
    return hmac.compare_digest(expected, given)


def decode_event(body: bytes) -> dict[str, Any]:
    """The delivery's JSON object, or 400."""
    try:
        event = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise GatewayError(400, "invalid JSON body") from exc
    if not isinstance(event, dict):
        raise GatewayError(400, "request body must be a JSON object")
    return event


def delivery_id(headers: Headers, header: str, body: bytes) -> str:
    """The provider's delivery id, else the SHA-256 of the raw body (a redelivery sends the same bytes)."""
    value = headers.get(header, "").strip()
    if not value:
        return hashlib.sha256(body).hexdigest()
    if not _DELIVERY_ID.match(value):
        raise GatewayError(400, f"{header} header is invalid")
    return value


def _object(parent: Mapping[str, Any], key: str, *, path: str) -> Mapping[str, Any]:
    value = parent.get(key)
    if not isinstance(value, dict):
        raise GatewayError(400, f"{path} must be an object")
    return value


def _text(parent: Mapping[str, Any], key: str, *, path: str = "", required: bool = False) -> str:
    value = parent.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    if required:
        raise GatewayError(400, f"{path} is required")
    return ""


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value not in ("", None, [])}


def _linear_signature(headers: Headers) -> str:
    return headers.get("linear-signature") or headers.get("x-linear-signature") or ""


def _linear_work(_: Headers, event: dict[str, Any]) -> Work | None:
    if event.get("type") != "Issue" or event.get("action") != "create":
        return None
    data = _object(event, "data", path="data")
    priority = data.get("priority")
    if type(priority) is not int or priority not in _LINEAR_PRIORITIES:
        priority = 0
    return Work(
        issue_id=_text(data, "id", path="data.id", required=True),
        issue_identifier=_text(data, "identifier"),
        event="Issue",
        action="create",
        priority=priority,
        extras=_compact(
            {
                "title": _text(data, "title"),
                "description": _text(data, "description"),
                "url": _text(data, "url") or _text(event, "url"),
            }
        ),
    )


def _github_signature(headers: Headers) -> str:
    value = headers.get("x-hub-signature-256", "").strip()
    return value.removeprefix("sha256=") if value.startswith("sha256=") else ""


def _label_names(issue: Mapping[str, Any]) -> list[str]:
    labels = issue.get("labels")
    if not isinstance(labels, list):
        return []
    names = (label.get("name") if isinstance(label, dict) else None for label in labels)
    return [name for name in names if isinstance(name, str)]


def _github_work(headers: Headers, event: dict[str, Any]) -> Work | None:
    action = event.get("action")
    if headers.get("x-github-event") != "issues" or action not in GITHUB_ISSUE_ACTIONS:
        return None
    issue = _object(event, "issue", path="issue")
    repository = _object(event, "repository", path="repository")
    full_name = _text(repository, "full_name", path="repository.full_name", required=True)
    number = _text(issue, "number", path="issue.number", required=True)
    added = event.get("label")
    return Work(
        issue_id=_text(issue, "node_id") or _text(issue, "id", path="issue.id", required=True),
        issue_identifier=f"{full_name}#{number}",
        event="issues",
        action=str(action),
        repository=_text(repository, "html_url") or f"https://github.com/{full_name}",
        extras=_compact(
            {
                "title": _text(issue, "title"),
                "description": _text(issue, "body"),
                "url": _text(issue, "html_url"),
                "labels": _label_names(issue),
                "label": _text(added, "name") if isinstance(added, dict) else "",
            }
        ),
    )


PROVIDERS: dict[str, Provider] = {
    "linear": Provider("linear", "linear-delivery", _linear_signature, _linear_work),
    "github": Provider("github", "x-github-delivery", _github_signature, _github_work),
}
