"""Declarative base of the workers schema."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase
from switchyard.db.base import make_metadata

SCHEMA = "workers"


class Base(DeclarativeBase):
    """Every workers table lives in the ``workers`` schema with the shared naming convention."""

    metadata = make_metadata(SCHEMA)
    type_annotation_map = {datetime: DateTime(timezone=True), dict[str, Any]: JSONB}
