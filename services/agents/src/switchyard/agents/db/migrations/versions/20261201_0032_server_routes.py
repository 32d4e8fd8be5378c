"""Canonical routes per server, projected from deploy's deploy.routes.changed snapshots.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-02 13:45:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0032"
down_revision: str | Sequence[str] | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "server_routes",
        sa.Column("server_id", sa.Text(), nullable=False),
        sa.Column("org_id", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("routes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("server_id", name=op.f("pk_server_routes")),
        schema="agents",
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("server_routes", schema="agents")
