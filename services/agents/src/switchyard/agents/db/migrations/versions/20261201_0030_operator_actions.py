"""Operator actions: recorded Dwaar config revisions (patches, their replies, inverses and rollbacks).

Revision ID: 0030
Revises: 0001
Create Date: 2026-12-01 12:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0030"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "dwaar_revisions",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("server_id", sa.Text(), nullable=False),
        sa.Column("org_id", sa.Text(), nullable=False),
        sa.Column("patch", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("reply", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("inverse", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("command_id", sa.Text(), nullable=False),
        sa.Column("rollback_of", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dwaar_revisions")),
        schema="agents",
    )
    op.create_index(
        "ix_dwaar_revisions_server_id_created_at",
        "dwaar_revisions",
        ["server_id", "created_at"],
        unique=False,
        schema="agents",
    )
    op.create_index(
        "ix_dwaar_revisions_rollback_of",
        "dwaar_revisions",
        ["rollback_of"],
        unique=False,
        schema="agents",
        postgresql_where=sa.text("rollback_of IS NOT NULL"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(
        "ix_dwaar_revisions_rollback_of",
        table_name="dwaar_revisions",
        schema="agents",
        postgresql_where=sa.text("rollback_of IS NOT NULL"),
    )
    op.drop_index("ix_dwaar_revisions_server_id_created_at", table_name="dwaar_revisions", schema="agents")
    op.drop_table("dwaar_revisions", schema="agents")
