"""Domains (hostnames routed by the app's server's agent) and the per-server route snapshot version.

Revision ID: 0020
Revises: 0011
Create Date: 2026-12-02 13:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0020"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "domains",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("org_id", sa.Text(), nullable=False),
        sa.Column("app_id", sa.Text(), nullable=False),
        sa.Column("hostname", sa.Text(), nullable=False),
        sa.Column("tls", sa.Boolean(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("server_id", sa.Text(), nullable=False),
        sa.Column("port", sa.BigInteger(), nullable=False),
        sa.Column("command_id", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'active', 'failed', 'removing')", name=op.f("ck_domains_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domains")),
        schema="deploy",
    )
    op.create_index("uq_domains_hostname", "domains", ["hostname"], unique=True, schema="deploy")
    op.create_index("ix_domains_app", "domains", ["app_id", "hostname"], unique=False, schema="deploy")
    op.create_index("ix_domains_server", "domains", ["server_id"], unique=False, schema="deploy")
    op.create_index("ix_domains_command", "domains", ["command_id"], unique=False, schema="deploy")
    op.create_table(
        "route_versions",
        sa.Column("server_id", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("server_id", name=op.f("pk_route_versions")),
        schema="deploy",
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("route_versions", schema="deploy")
    op.drop_index("ix_domains_command", table_name="domains", schema="deploy")
    op.drop_index("ix_domains_server", table_name="domains", schema="deploy")
    op.drop_index("ix_domains_app", table_name="domains", schema="deploy")
    op.drop_index("uq_domains_hostname", table_name="domains", schema="deploy")
    op.drop_table("domains", schema="deploy")
