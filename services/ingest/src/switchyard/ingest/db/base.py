"""Declarative base of the ingest schema."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase
from switchyard.db.base import make_metadata

SCHEMA = "ingest"


class Base(DeclarativeBase):
    """Every ingest table lives in the ``ingest`` schema with the shared naming convention."""

    metadata = make_metadata(SCHEMA)
    type_annotation_map = {datetime: DateTime(timezone=True), dict[str, Any]: JSONB}
