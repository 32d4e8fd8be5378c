"""Deployments: one row per rollout of an app's spec to an environment, and the environments' approval flag.

Revision ID: 0010
Revises: 0001
Create Date: 2026-12-01 13:30:00.000000

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


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column(
        "environments",
        sa.Column("requires_approval", sa.Boolean(), server_default=sa.false(), nullable=False),
        schema="deploy",
    )
    op.create_table(
        "deployments",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("org_id", sa.Text(), nullable=False),
        sa.Column("app_id", sa.Text(), nullable=False),
        sa.Column("environment_id", sa.Text(), nullable=False),
        sa.Column("environment", sa.Text(), nullable=False),
        sa.Column("server_id", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.Column("approved_by", sa.Text(), nullable=False, server_default=""),
        sa.Column("command_id", sa.Text(), nullable=False, server_default=""),
        sa.Column("rollback_of", sa.Text(), nullable=True),
        sa.Column("image_tag", sa.Text(), nullable=False, server_default=""),
        sa.Column("spec", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("error", sa.Text(), nullable=False, server_default=""),
        sa.Column("message", sa.Text(), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployments")),
        schema="deploy",
    )
    op.create_index(
        "ix_deployments_app_id_created_at", "deployments", ["app_id", "created_at"], schema="deploy"
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_deployments_app_id_created_at", table_name="deployments", schema="deploy")
    op.drop_table("deployments", schema="deploy")
    op.drop_column("environments", "requires_approval", schema="deploy")
