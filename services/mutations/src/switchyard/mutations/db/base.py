"""Declarative base of the mutations schema."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime
from sqlalchemy.orm import DeclarativeBase
from switchyard.db.base import make_metadata

SCHEMA = "mutations"


class Base(DeclarativeBase):
    """Every mutations table lives in the ``mutations`` schema with the shared naming convention."""

    metadata = make_metadata(SCHEMA)
    type_annotation_map = {datetime: DateTime(timezone=True)}
