"""One canonical error form for every source (Sentry events, native JSON), and its fingerprint.

Grouping: the SDK's ``fingerprint`` when it gives one (``{{ default }}`` stands for the default input);
otherwise the exception types of the chain plus each in-app frame's module (or file name) and function —
never line numbers, which move with every edit. Without any stack, the exception type and its value with
digits and hex runs masked; without an exception, the message template.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from switchyard.ingest.domain.sentry.envelope import Malformed

LEVELS = ("debug", "info", "warning", "error", "fatal")
TEXT_MAX = 2000
FRAMES_MAX = 100
_VARIABLE = re.compile(r"0x[0-9a-fA-F]+|\b[0-9a-fA-F]{8,}\b|\d+")
DEFAULT_MARK = "{{ default }}"


@dataclass(frozen=True, slots=True)
class Frame:
    """One stack frame, outermost first."""

    filename: str = ""
    function: str = ""
    module: str = ""
    lineno: int = 0
    colno: int = 0
    in_app: bool = False
    context_line: str = ""


@dataclass(frozen=True, slots=True)
class ExceptionInfo:
    """One exception of the chain (Sentry order: the last one is the one raised)."""

    type: str
    value: str
    module: str = ""
    frames: tuple[Frame, ...] = ()


@dataclass(frozen=True, slots=True)
class CanonicalError:
    """An error event in the one form stored and grouped."""

    event_id: str
    occurred_at: datetime
    level: str
    message: str
    platform: str
    release: str
    environment: str
    exceptions: tuple[ExceptionInfo, ...]
    tags: dict[str, str] = field(default_factory=dict)
    fingerprint: str = ""
    title: str = ""
    culprit: str = ""


def _text(value: Any, limit: int = TEXT_MAX) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**31 else 0


def event_id_of(value: Any) -> str:
    """A Sentry event id (32 hex characters); dashes are accepted, anything else is Malformed."""
    if value is None or value == "":
        return uuid.uuid4().hex
    try:
        return uuid.UUID(str(value)).hex
    except ValueError as exc:
        raise Malformed("event_id is not a UUID") from exc


def _when(value: Any, received_at: datetime) -> datetime:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError):
            return received_at
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return received_at
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return received_at


def _frames(stacktrace: Any) -> tuple[Frame, ...]:
    frames = stacktrace.get("frames") if isinstance(stacktrace, dict) else None
    if not isinstance(frames, list):
        return ()
    return tuple(
        Frame(
            filename=_text(f.get("filename") or f.get("abs_path"), 500),
            function=_text(f.get("function"), 500),
            module=_text(f.get("module"), 500),
            lineno=_int(f.get("lineno")),
            colno=_int(f.get("colno")),
            in_app=f.get("in_app") is True,
            context_line=_text(f.get("context_line"), 500),
        )
        for f in frames[-FRAMES_MAX:]
        if isinstance(f, dict)
    )


def _exceptions(event: dict[str, Any]) -> tuple[ExceptionInfo, ...]:
    raw = event.get("exception")
    values = raw.get("values") if isinstance(raw, dict) else raw
    if not isinstance(values, list):
        return ()
    result = []
    for value in values:
        if not isinstance(value, dict):
            continue
        result.append(
            ExceptionInfo(
                type=_text(value.get("type"), 200) or "Error",
                value=_text(value.get("value")),
                module=_text(value.get("module"), 200),
                frames=_frames(value.get("stacktrace")),
            )
        )
    return tuple(result)


def _message(event: dict[str, Any]) -> tuple[str, str]:
    """The message and its template (the template groups: parameters vary)."""
    for key in ("logentry", "message"):
        value = event.get(key)
        if isinstance(value, dict):
            formatted = _text(value.get("formatted")) or _text(value.get("message"))
            return formatted, _text(value.get("message")) or formatted
        if isinstance(value, str) and value:
            return value[:TEXT_MAX], value[:TEXT_MAX]
    return "", ""


def _tags(value: Any) -> dict[str, str]:
    pairs = value.items() if isinstance(value, dict) else value if isinstance(value, list) else []
    tags: dict[str, str] = {}
    for pair in pairs:
        if isinstance(pair, (list, tuple)) and len(pair) == 2:
            tags[str(pair[0])[:200]] = str(pair[1])[:200]
    return dict(list(tags.items())[:50])


def default_grouping(exceptions: tuple[ExceptionInfo, ...], template: str) -> list[str]:
    """The default grouping input of an event."""
    if not exceptions:
        return ["message", _VARIABLE.sub("<n>", template)]
    parts: list[str] = []
    for exc in exceptions:
        parts.append(exc.type)
        in_app = [f for f in exc.frames if f.in_app] or list(exc.frames)
        parts.extend(f"{f.module or f.filename.rsplit('/', 1)[-1]}:{f.function}" for f in in_app)
        if not exc.frames:
            parts.append(_VARIABLE.sub("<n>", exc.value))
    return parts


def fingerprint_of(sdk: Any, exceptions: tuple[ExceptionInfo, ...], template: str) -> str:
    """Hex SHA-256 of the grouping input (the SDK's fingerprint when given)."""
    default = default_grouping(exceptions, template)
    parts: list[str] = default
    if isinstance(sdk, list) and sdk and all(isinstance(p, (str, int, float)) for p in sdk):
        parts = []
        for part in sdk:
            parts.extend(default if part == DEFAULT_MARK else [f"sdk:{part}"])
    return hashlib.sha256(json.dumps(parts, separators=(",", ":")).encode()).hexdigest()


def _title_and_culprit(exceptions: tuple[ExceptionInfo, ...], message: str) -> tuple[str, str]:
    if not exceptions:
        return (message.splitlines()[0][:200] if message else "<unlabeled event>"), ""
    main = exceptions[-1]
    title = f"{main.type}: {main.value.splitlines()[0]}" if main.value else main.type
    in_app = [f for f in main.frames if f.in_app] or list(main.frames)
    culprit = ""
    if in_app:
        last = in_app[-1]
        culprit = f"{last.module or last.filename} in {last.function}".strip()
    return title[:200], culprit[:200]


def canonical_error(event: dict[str, Any], *, received_at: datetime) -> CanonicalError:
    """The canonical form of a Sentry event payload (``event`` item or ``/store/`` body).

    Raises:
        Malformed: The event id is not a UUID.
    """
    exceptions = _exceptions(event)
    message, template = _message(event)
    level = event.get("level")
    title, culprit = _title_and_culprit(exceptions, message)
    return CanonicalError(
        event_id=event_id_of(event.get("event_id")),
        occurred_at=_when(event.get("timestamp"), received_at),
        level=level if level in LEVELS else "error",
        message=message,
        platform=_text(event.get("platform"), 50) or "other",
        release=_text(event.get("release"), 200),
        environment=_text(event.get("environment"), 200),
        exceptions=exceptions,
        tags=_tags(event.get("tags")),
        fingerprint=fingerprint_of(event.get("fingerprint"), exceptions, template),
        title=title,
        culprit=culprit,
    )
