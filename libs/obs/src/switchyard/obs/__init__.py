"""Observability for every Switchyard process: JSON logs with trace ids, and OTLP tracing."""

from switchyard.obs.log import REDACTED, get_logger, redact_secrets, request_id_var, setup_logging
from switchyard.obs.runtime import settle_heap
from switchyard.obs.tracing import setup_tracing, shutdown_tracing, tracing_enabled

__all__ = [
    "REDACTED",
    "get_logger",
    "redact_secrets",
    "request_id_var",
    "settle_heap",
    "setup_logging",
    "setup_tracing",
    "shutdown_tracing",
    "tracing_enabled",
]
