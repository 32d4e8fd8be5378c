"""Initial mutations schema: mutations (with an index of open rows per host) and the outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 06:26:22.113532

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "mutations",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("org_id", sa.Text(), nullable=False),
        sa.Column("worker_host_id", sa.Text(), nullable=False),
        sa.Column("op", sa.Text(), nullable=False),
        sa.Column("params", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mutations")),
        schema="mutations",
    )
    op.create_index(
        "ix_mutations_host_created",
        "mutations",
        ["worker_host_id", "created_at"],
        unique=False,
        schema="mutations",
    )
    op.create_index(
        "ix_mutations_open",
        "mutations",
        ["worker_host_id", "created_at"],
        unique=False,
        schema="mutations",
        postgresql_where=sa.text("status IN ('pending', 'delivered')"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("msg_id", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column(
            "headers",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("msg_id", name=op.f("uq_outbox_msg_id")),
        schema="mutations",
    )
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["id"],
        unique=False,
        schema="mutations",
        postgresql_where=sa.text("published_at IS NULL"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(
        "ix_outbox_pending",
        table_name="outbox",
        schema="mutations",
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.drop_table("outbox", schema="mutations")
    op.drop_index(
        "ix_mutations_open",
        table_name="mutations",
        schema="mutations",
        postgresql_where=sa.text("status IN ('pending', 'delivered')"),
    )
    op.drop_index("ix_mutations_host_created", table_name="mutations", schema="mutations")
    op.drop_table("mutations", schema="mutations")
