"""Metadata with one naming convention, bound to the owning service's schema."""

from __future__ import annotations

from sqlalchemy import MetaData

# Stable constraint names make Alembic autogenerate diffs and downgrades deterministic.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def make_metadata(schema: str) -> MetaData:
    """MetaData whose tables live in ``schema`` and follow ``NAMING_CONVENTION``.

    Example:
        ``class Base(DeclarativeBase): metadata = make_metadata("identity")``
    """
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


__all__ = ["NAMING_CONVENTION", "make_metadata"]
