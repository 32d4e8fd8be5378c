"""Helpers of the OTLP API tests: SDK pipelines exporting to the gateway, polling."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor


def tracer_provider(base_url: str, key: str, service: str) -> TracerProvider:
    """An SDK tracer provider (not the global one) exporting gzip protobuf to the gateway."""
    provider = TracerProvider(resource=Resource.create({"service.name": service, "service.version": "1.2.3"}))
    exporter = OTLPSpanExporter(
        endpoint=f"{base_url}/v1/traces",
        headers={"Authorization": f"Bearer {key}"},
        compression=Compression.Gzip,
    )
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def logger_provider(base_url: str, key: str, service: str) -> LoggerProvider:
    """An SDK logger provider exporting protobuf to the gateway."""
    provider = LoggerProvider(resource=Resource.create({"service.name": service}))
    exporter = OTLPLogExporter(endpoint=f"{base_url}/v1/logs", headers={"Authorization": f"Bearer {key}"})
    provider.add_log_record_processor(BatchLogRecordProcessor(exporter))
    return provider


async def flush(provider: Any) -> bool:
    """Export everything pending; the exporter blocks, so it runs off the loop the gateway serves on."""
    done: bool = await asyncio.to_thread(provider.force_flush, 20_000)
    return done


async def eventually(probe: Callable[[], Awaitable[Any]], within: float = 30.0) -> Any:
    """Poll ``probe`` until it returns something truthy (the consumers store asynchronously)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = await probe()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.1)
