"""M2M clients: OAuth2 client-credentials clients of an org.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 06:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "m2m_clients",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("secret_hash", sa.Text(), nullable=False),
        sa.Column("scopes", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["identity.tenants.id"],
            name=op.f("fk_m2m_clients_org_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_m2m_clients")),
        schema="identity",
    )
    op.create_index("ix_m2m_clients_org_id", "m2m_clients", ["org_id"], unique=False, schema="identity")


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_m2m_clients_org_id", table_name="m2m_clients", schema="identity")
    op.drop_table("m2m_clients", schema="identity")
