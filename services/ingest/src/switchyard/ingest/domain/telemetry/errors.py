"""Exception span events as canonical errors, grouped with the Sentry side's events.

The stack trace arrives as the SDK's text (``exception.stacktrace``). Python tracebacks are parsed into
frames (``File "path", line N, in function``), outermost first as Sentry orders them; a frame is in-app
unless it is under ``site-packages``/``dist-packages`` or the standard library. Other languages' traces keep
no frames, so they group by exception type and masked message, as a Sentry event without a stack does.
"""

from __future__ import annotations

import re

from switchyard.ingest.domain.errors.canonical import (
    CanonicalError,
    ExceptionInfo,
    Frame,
    fingerprint_of,
    title_and_culprit,
)
from switchyard.ingest.domain.telemetry.records import SpanException, text

_PY_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>.+)$')
_LIBRARY = ("site-packages", "dist-packages", "/lib/python", "<frozen ")
FRAMES_MAX = 100


def python_frames(stacktrace: str) -> tuple[Frame, ...]:
    """The frames of a Python traceback text (the last chained exception's), outermost first."""
    frames: list[Frame] = []
    lines = stacktrace.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last)"):
            frames = []  # a chained traceback: keep the last one, the exception that was raised
            continue
        match = _PY_FRAME.match(line)
        if not match:
            continue
        filename = match["file"]
        # The source line, when the traceback has one, is indented under its frame.
        following = lines[i + 1] if i + 1 < len(lines) else ""
        source = following.strip() if following.startswith("    ") and not _PY_FRAME.match(following) else ""
        frames.append(
            Frame(
                filename=text(filename, 500),
                function=text(match["func"].strip(), 500),
                lineno=min(int(match["line"]), 2**31 - 1),
                in_app=not any(mark in filename for mark in _LIBRARY),
                context_line=text(source, 500),
            )
        )
    return tuple(frames[-FRAMES_MAX:])


def canonical_of(exc: SpanException) -> CanonicalError:
    """The canonical error of an exception span event."""
    resource = exc.resource
    frames = python_frames(exc.stacktrace)
    exceptions = (ExceptionInfo(type=exc.type, value=exc.message, frames=frames),)
    title, culprit = title_and_culprit(exceptions, exc.message)
    language = resource.get("telemetry.sdk.language")
    return CanonicalError(
        event_id=exc.event_id,
        occurred_at=exc.occurred_at,
        level="error",
        message=exc.message,
        platform=text(language, 50) if isinstance(language, str) and language else "other",
        release=text(resource.get("service.version"), 200),
        environment=text(
            resource.get("deployment.environment.name") or resource.get("deployment.environment"), 200
        ),
        exceptions=exceptions,
        tags={
            "service.name": exc.service_name[:200],
            "trace_id": exc.trace_id,
            "span_id": exc.span_id,
            "source": "otlp",
        },
        fingerprint=fingerprint_of(None, exceptions, exc.message),
        title=title,
        culprit=culprit,
    )
