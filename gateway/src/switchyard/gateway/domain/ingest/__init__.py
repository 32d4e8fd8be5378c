"""Error tracking over HTTP: the Sentry door, native ingest, DSNs, error groups and source maps."""

from switchyard.gateway.domain.ingest.errors_api import (
    DsnsController,
    ErrorGroupsController,
    NativeIngestController,
    SourceMapsController,
)
from switchyard.gateway.domain.ingest.sentry import SentryController

ROUTES = [
    SentryController,
    NativeIngestController,
    DsnsController,
    ErrorGroupsController,
    SourceMapsController,
]

__all__ = ["ROUTES"]
