"""A partial index of pending sessions, for the queue reconciler's keyset pages.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 08:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index(
        "ix_sessions_pending",
        "sessions",
        ["id"],
        unique=False,
        schema="workers",
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_sessions_pending", table_name="sessions", schema="workers")
