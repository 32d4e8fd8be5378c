"""Structured JSON logs that carry the service name, trace ids and the request id.

Every line is one JSON object. Standard-library loggers (grpc, sqlalchemy, nats, ...) are routed
through the same processors, so a third-party warning is as searchable as our own lines.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from contextvars import ContextVar
from typing import Any

import structlog
from opentelemetry import trace

# Set by the gRPC request-context interceptor (and the gateway's middleware) for the current call.
request_id_var: ContextVar[str] = ContextVar("switchyard_request_id", default="")

REDACTED = "[redacted]"
# Keys whose values are never written, whatever a caller passes: secrets must not reach log storage.
_SECRET_KEYS = frozenset(
    {
        "password",
        "secret",
        "token",
        "authorization",
        "cookie",
        "api_key",
        "apikey",
        "access_token",
        "refresh_token",
        "client_secret",
        "principal",
        "principal_key",
        "private_key",
        "signing_key",
        "encryption_key",
        "key_encryption_key",
        "kek",
    }
)
# Not every "*_key" is secret (cache_key, idempotency_key); only the kinds of key that are.
_SECRET_SUFFIXES = (
    "_password",
    "_secret",
    "_token",
    "_api_key",
    "_private_key",
    "_signing_key",
    "_encryption_key",
)

_Event = MutableMapping[str, Any]


def _is_secret(key: str) -> bool:
    lowered = key.lower()
    return lowered in _SECRET_KEYS or lowered.endswith(_SECRET_SUFFIXES)


def redact_secrets(_logger: Any, _method: str, event: _Event) -> _Event:
    """structlog processor: replace the value of any secret-looking key with ``[redacted]``."""
    for key in list(event):
        if key != "event" and _is_secret(key):
            event[key] = REDACTED
    return event


def _add_context(service: str) -> Any:
    def processor(_logger: Any, _method: str, event: _Event) -> _Event:
        event.setdefault("service", service)
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            event.setdefault("trace_id", format(span_context.trace_id, "032x"))
            event.setdefault("span_id", format(span_context.span_id, "016x"))
        request_id = request_id_var.get()
        if request_id:
            event.setdefault("request_id", request_id)
        return event

    return processor


def setup_logging(service: str, *, level: str = "INFO", json: bool = True) -> None:
    """Configure structlog and the standard library to write one JSON object per line to stderr.

    Each line carries ``service`` and, when known, ``trace_id``, ``span_id`` and ``request_id``.
    Values of secret-looking keys (``password``, ``token``, ``*_secret``, ...) are redacted.

    Args:
        service: The service name written on every line (``identity``, ``gateway``, ...).
        level: Minimum level name (``DEBUG``, ``INFO``, ...).
        json: JSON lines when true; a coloured console format for local debugging otherwise.
    """
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_context(service),
        redact_secrets,
    ]
    # Plain tracebacks only: rich's pretty tracebacks print local variables, which may hold secrets.
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    """Return a structlog logger bound to ``name`` (usually ``__name__``).

    Returns:
        A bound logger; call ``.info("event", key=value)``.
    """
    return structlog.stdlib.get_logger(name)


__all__ = ["REDACTED", "get_logger", "redact_secrets", "request_id_var", "setup_logging"]
