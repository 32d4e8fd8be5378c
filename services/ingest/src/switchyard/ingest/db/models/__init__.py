"""Ingest ORM models, re-exported here."""

from switchyard.ingest.db.models._counts import ItemCount, ProcessedMessage
from switchyard.ingest.db.models._dsn import Dsn
from switchyard.ingest.db.models._error_event import ErrorEvent
from switchyard.ingest.db.models._error_group import ErrorGroup
from switchyard.ingest.db.models._source_map import SourceMap

__all__ = ["Dsn", "ErrorEvent", "ErrorGroup", "ItemCount", "ProcessedMessage", "SourceMap"]
