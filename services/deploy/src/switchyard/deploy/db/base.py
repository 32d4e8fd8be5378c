"""Declarative base of the deploy schema."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime
from sqlalchemy.orm import DeclarativeBase
from switchyard.db.base import make_metadata

SCHEMA = "deploy"


class Base(DeclarativeBase):
    """Every deploy table lives in the ``deploy`` schema with the shared naming convention."""

    metadata = make_metadata(SCHEMA)
    type_annotation_map = {datetime: DateTime(timezone=True)}
