"""Analytics events, service-metric points and metrics push keys.

Revision ID: 0020
Revises: 0010
Create Date: 2026-12-01 14:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0020"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "analytics_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("org_id", sa.Text(), nullable=False),
        sa.Column("app_id", sa.Text(), nullable=False),
        sa.Column("dsn_id", sa.Text(), nullable=False),
        sa.Column("uuid", sa.Text(), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("distinct_id", sa.Text(), nullable=False),
        sa.Column("properties", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_events")),
        sa.UniqueConstraint("org_id", "uuid", name=op.f("uq_analytics_events_org_id")),
        schema="ingest",
    )
    for name, columns in (
        ("ix_analytics_events_org_ts", ["org_id", "ts"]),
        ("ix_analytics_events_org_event_ts", ["org_id", "event", "ts"]),
        ("ix_analytics_events_org_distinct_ts", ["org_id", "distinct_id", "ts"]),
    ):
        op.create_index(name, "analytics_events", columns, unique=False, schema="ingest")
    op.create_table(
        "metrics_keys",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("org_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("prefix", sa.Text(), nullable=False),
        sa.Column("key_hash", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metrics_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_metrics_keys_key_hash")),
        schema="ingest",
    )
    op.create_index(
        op.f("ix_ingest_metrics_keys_org_id"), "metrics_keys", ["org_id"], unique=False, schema="ingest"
    )
    op.create_table(
        "metric_points",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("org_id", sa.Text(), nullable=False),
        sa.Column("service_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("instance", sa.Text(), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("labels", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_points")),
        schema="ingest",
    )
    op.create_index(
        "ix_metric_points_org_service_ts",
        "metric_points",
        ["org_id", "service_id", "ts"],
        unique=False,
        schema="ingest",
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_metric_points_org_service_ts", table_name="metric_points", schema="ingest")
    op.drop_table("metric_points", schema="ingest")
    op.drop_index(op.f("ix_ingest_metrics_keys_org_id"), table_name="metrics_keys", schema="ingest")
    op.drop_table("metrics_keys", schema="ingest")
    for name in (
        "ix_analytics_events_org_distinct_ts",
        "ix_analytics_events_org_event_ts",
        "ix_analytics_events_org_ts",
    ):
        op.drop_index(name, table_name="analytics_events", schema="ingest")
    op.drop_table("analytics_events", schema="ingest")
