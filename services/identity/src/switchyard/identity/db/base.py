"""Declarative base of the identity schema."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime
from sqlalchemy.orm import DeclarativeBase
from switchyard.db.base import make_metadata

SCHEMA = "identity"


class Base(DeclarativeBase):
    """Every identity table lives in the ``identity`` schema with the shared naming convention."""

    metadata = make_metadata(SCHEMA)
    type_annotation_map = {datetime: DateTime(timezone=True)}
