"""Ingest ORM models, re-exported here."""

from switchyard.ingest.db.models._analytics import AnalyticsEvent, MetricPoint, MetricsKey
from switchyard.ingest.db.models._counts import ItemCount, ProcessedMessage
from switchyard.ingest.db.models._dsn import Dsn
from switchyard.ingest.db.models._error_event import ErrorEvent
from switchyard.ingest.db.models._error_group import ErrorGroup
from switchyard.ingest.db.models._log_record import LogRecord
from switchyard.ingest.db.models._source_map import SourceMap
from switchyard.ingest.db.models._span import Span

__all__ = [
    "AnalyticsEvent",
    "Dsn",
    "ErrorEvent",
    "ErrorGroup",
    "ItemCount",
    "LogRecord",
    "MetricPoint",
    "MetricsKey",
    "ProcessedMessage",
    "SourceMap",
    "Span",
]
