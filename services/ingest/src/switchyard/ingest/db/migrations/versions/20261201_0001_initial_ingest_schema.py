"""Initial ingest schema: DSNs, error groups and events, item counters, the processed-message ledger and
source maps.

Revision ID: 0001
Revises:
Create Date: 2026-12-01 13:27:45.560087

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
        "dsns",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("org_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("app_id", sa.Text(), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("project_id", sa.BigInteger(), sa.Identity(always=False, start=1), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dsns")),
        sa.UniqueConstraint("project_id", name=op.f("uq_dsns_project_id")),
        sa.UniqueConstraint("public_key", name=op.f("uq_dsns_public_key")),
        schema="ingest",
    )
    op.create_index(op.f("ix_ingest_dsns_org_id"), "dsns", ["org_id"], unique=False, schema="ingest")
    op.create_table(
        "error_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("org_id", sa.Text(), nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("group_id", sa.Text(), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("platform", sa.Text(), nullable=False),
        sa.Column("release", sa.Text(), nullable=False),
        sa.Column("environment", sa.Text(), nullable=False),
        sa.Column("exceptions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("tags", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_error_events")),
        sa.UniqueConstraint("project_id", "event_id", name=op.f("uq_error_events_project_id")),
        schema="ingest",
    )
    op.create_index(
        "ix_error_events_group_received",
        "error_events",
        ["group_id", "received_at"],
        unique=False,
        schema="ingest",
    )
    op.create_table(
        "error_groups",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("org_id", sa.Text(), nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("culprit", sa.Text(), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("platform", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("event_count", sa.BigInteger(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_error_groups")),
        sa.UniqueConstraint("project_id", "fingerprint", name=op.f("uq_error_groups_project_id")),
        schema="ingest",
    )
    op.create_index(
        "ix_error_groups_org_last_seen",
        "error_groups",
        ["org_id", "last_seen"],
        unique=False,
        schema="ingest",
    )
    op.create_table(
        "item_counts",
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("item_type", sa.Text(), nullable=False),
        sa.Column("org_id", sa.Text(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "item_type", name=op.f("pk_item_counts")),
        schema="ingest",
    )
    op.create_table(
        "processed_messages",
        sa.Column("msg_id", sa.Text(), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("msg_id", name=op.f("pk_processed_messages")),
        schema="ingest",
    )
    op.create_table(
        "source_maps",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("org_id", sa.Text(), nullable=False),
        sa.Column("release", sa.Text(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_maps")),
        sa.UniqueConstraint("org_id", "release", "file_name", name=op.f("uq_source_maps_org_id")),
        schema="ingest",
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("source_maps", schema="ingest")
    op.drop_table("processed_messages", schema="ingest")
    op.drop_table("item_counts", schema="ingest")
    op.drop_index("ix_error_groups_org_last_seen", table_name="error_groups", schema="ingest")
    op.drop_table("error_groups", schema="ingest")
    op.drop_index("ix_error_events_group_received", table_name="error_events", schema="ingest")
    op.drop_table("error_events", schema="ingest")
    op.drop_index(op.f("ix_ingest_dsns_org_id"), table_name="dsns", schema="ingest")
    op.drop_table("dsns", schema="ingest")
