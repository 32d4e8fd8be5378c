"""OpenTelemetry tracing: an OTLP/HTTP exporter when an endpoint is configured, nothing otherwise."""

from __future__ import annotations

import threading

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

_lock = threading.Lock()
_provider: TracerProvider | None = None


def setup_tracing(service: str, *, endpoint: str | None) -> None:
    """Send this process's spans to an OTLP/HTTP collector.

    The global tracer provider can be set only once per process, so a second call is ignored.

    Args:
        service: The ``service.name`` resource attribute.
        endpoint: The collector's base URL (``OTEL_EXPORTER_OTLP_ENDPOINT``, e.g.
            ``http://127.0.0.1:4318``); ``/v1/traces`` is appended. ``None`` or empty leaves
            tracing off (the API's no-op tracer stays in place).
    """
    global _provider
    if not endpoint:
        return
    with _lock:
        if _provider is not None:
            return
        provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service}))
        exporter = OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces")
        provider.add_span_processor(BatchSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        _provider = provider


def tracing_enabled() -> bool:
    """True when this process records spans (an SDK tracer provider is installed).

    Instrumentation that costs per call (the gRPC interceptors) is installed only then: with tracing
    off there is no span to record and no trace id to propagate, so it would be pure overhead.
    """
    return isinstance(trace.get_tracer_provider(), TracerProvider)


def shutdown_tracing() -> None:
    """Flush pending spans and stop the exporter (call on shutdown; a no-op when tracing is off)."""
    with _lock:
        # The provider object stays registered (OTel cannot swap the global provider); shutting it
        # down twice is harmless.
        if _provider is not None:
            _provider.shutdown()


__all__ = ["setup_tracing", "shutdown_tracing", "tracing_enabled"]
