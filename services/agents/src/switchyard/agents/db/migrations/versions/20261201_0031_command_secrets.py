"""Sealed command secrets: a payload part merged in only when the command is delivered to the agent.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-01 13:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0031"
down_revision: str | Sequence[str] | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("commands", sa.Column("secret_enc", sa.LargeBinary(), nullable=True), schema="agents")


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("commands", "secret_enc", schema="agents")
