"""Traces and logs: OTLP spans and the log store (OTLP log records and agent log entries).

Revision ID: 0010
Revises: 0001
Create Date: 2026-12-02 13:50:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0010"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSONB = postgresql.JSONB(astext_type=sa.Text())


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "spans",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("org_id", sa.Text(), nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("app_id", sa.Text(), nullable=False),
        sa.Column("trace_id", sa.Text(), nullable=False),
        sa.Column("span_id", sa.Text(), nullable=False),
        sa.Column("parent_span_id", sa.Text(), nullable=False),
        sa.Column("service_name", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.SmallInteger(), nullable=False),
        sa.Column("start_ns", sa.BigInteger(), nullable=False),
        sa.Column("end_ns", sa.BigInteger(), nullable=False),
        sa.Column("duration_ns", sa.BigInteger(), nullable=False),
        sa.Column("status_code", sa.SmallInteger(), nullable=False),
        sa.Column("status_message", sa.Text(), nullable=False),
        sa.Column("attributes", JSONB, nullable=False),
        sa.Column("events", JSONB, nullable=False),
        sa.Column("resource", JSONB, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spans")),
        sa.UniqueConstraint("org_id", "trace_id", "span_id", name=op.f("uq_spans_org_id")),
        schema="ingest",
    )
    op.create_index(
        "ix_spans_org_service_start", "spans", ["org_id", "service_name", "start_ns"], schema="ingest"
    )
    op.create_table(
        "logs",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("org_id", sa.Text(), nullable=False),
        sa.Column("app_id", sa.Text(), nullable=False),
        sa.Column("server_id", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("severity_number", sa.SmallInteger(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("attributes", JSONB, nullable=False),
        sa.Column("trace_id", sa.Text(), nullable=False),
        sa.Column("span_id", sa.Text(), nullable=False),
        sa.Column("service_name", sa.Text(), nullable=False),
        sa.Column("dedupe_key", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_logs")),
        sa.UniqueConstraint("org_id", "dedupe_key", name=op.f("uq_logs_org_id")),
        schema="ingest",
    )
    op.create_index("ix_logs_org_app_ts", "logs", ["org_id", "app_id", "ts", "id"], schema="ingest")
    op.create_index("ix_logs_org_ts", "logs", ["org_id", "ts", "id"], schema="ingest")


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_logs_org_ts", table_name="logs", schema="ingest")
    op.drop_index("ix_logs_org_app_ts", table_name="logs", schema="ingest")
    op.drop_table("logs", schema="ingest")
    op.drop_index("ix_spans_org_service_start", table_name="spans", schema="ingest")
    op.drop_table("spans", schema="ingest")
