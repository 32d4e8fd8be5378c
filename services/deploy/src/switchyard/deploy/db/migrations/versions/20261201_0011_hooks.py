"""Deploy hooks: tokens (hashed at rest) that trigger a deployment of an app's environment without a session.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 14:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "deploy_hooks",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("org_id", sa.Text(), nullable=False),
        sa.Column("app_id", sa.Text(), nullable=False),
        sa.Column("environment", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("token_hint", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["app_id"], ["deploy.apps.id"], name=op.f("fk_deploy_hooks_app_id_apps"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deploy_hooks")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_deploy_hooks_token_hash")),
        schema="deploy",
    )
    op.create_index("ix_deploy_hooks_app_id", "deploy_hooks", ["app_id"], schema="deploy")


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_deploy_hooks_app_id", table_name="deploy_hooks", schema="deploy")
    op.drop_table("deploy_hooks", schema="deploy")
