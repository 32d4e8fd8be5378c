"""Routing (posteriors, decisions, observations) and recovery packets.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 08:40:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def _routing() -> None:
    op.create_table(
        "routing_posteriors",
        sa.Column("org_id", sa.Text(), nullable=False),
        sa.Column("work_type", sa.Text(), nullable=False),
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("alpha", sa.Float(), nullable=False),
        sa.Column("beta", sa.Float(), nullable=False),
        sa.Column("observations", sa.BigInteger(), nullable=False),
        sa.Column("cost_total_usd", sa.Float(), nullable=False),
        sa.Column("cost_observations", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("org_id", "work_type", "provider", name=op.f("pk_routing_posteriors")),
        schema="workers",
    )
    op.create_table(
        "routing_decisions",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.Text(), nullable=False),
        sa.Column("session_id", sa.Text(), nullable=False),
        sa.Column("work_type", sa.Text(), nullable=False),
        sa.Column("candidates", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("selected_provider", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("expected_reward", sa.Float(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("exploited", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_decisions")),
        schema="workers",
    )
    op.create_index(
        "ix_routing_decisions_org_id_id",
        "routing_decisions",
        ["org_id", "id"],
        unique=False,
        schema="workers",
    )
    op.create_table(
        "routing_observations",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.Text(), nullable=False),
        sa.Column("session_id", sa.Text(), nullable=False),
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("work_type", sa.Text(), nullable=False),
        sa.Column("reward", sa.Float(), nullable=False),
        sa.Column("task_completed", sa.Boolean(), nullable=True),
        sa.Column("pr_created", sa.Boolean(), nullable=True),
        sa.Column("qa_result", sa.Text(), nullable=True),
        sa.Column("total_cost_usd", sa.Float(), nullable=True),
        sa.Column("wall_clock_ms", sa.BigInteger(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_observations")),
        schema="workers",
    )


def _recovery() -> None:
    op.create_table(
        "recovery_packets",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("org_id", sa.Text(), nullable=False),
        sa.Column("session_id", sa.Text(), nullable=False),
        sa.Column("agent_id", sa.Text(), nullable=False),
        sa.Column("tier", sa.Text(), nullable=False),
        sa.Column("recovery_chain_id", sa.Text(), nullable=False),
        sa.Column("token_estimate", sa.BigInteger(), nullable=False),
        sa.Column("packet_data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("consumed_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_packets")),
        schema="workers",
    )
    op.create_index(
        "ix_recovery_packets_session_id_created_at",
        "recovery_packets",
        ["session_id", "created_at"],
        unique=False,
        schema="workers",
    )


def upgrade() -> None:
    """Upgrade schema."""
    _routing()
    _recovery()


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(
        "ix_recovery_packets_session_id_created_at", table_name="recovery_packets", schema="workers"
    )
    op.drop_table("recovery_packets", schema="workers")
    op.drop_table("routing_observations", schema="workers")
    op.drop_index("ix_routing_decisions_org_id_id", table_name="routing_decisions", schema="workers")
    op.drop_table("routing_decisions", schema="workers")
    op.drop_table("routing_posteriors", schema="workers")
