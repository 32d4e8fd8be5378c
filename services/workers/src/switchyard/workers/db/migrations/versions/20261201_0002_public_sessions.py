"""Public sessions API: the two public session hashes (backfilled), a reset counter, and list indexes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 09:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The same hashes domain/public/hashes.py computes for new rows.
_BACKFILL = """
UPDATE workers.sessions SET
  spec_hash = substr(encode(sha256(convert_to(id, 'UTF8')), 'hex'), 1, 16),
  guide_hash = substr(encode(sha256(convert_to('session:' || id, 'UTF8')), 'hex'), 1, 32)
"""


def upgrade() -> None:
    """Upgrade schema."""
    for name in ("spec_hash", "guide_hash"):
        op.add_column(
            "sessions",
            sa.Column(name, sa.Text(), server_default="", nullable=False),
            schema="workers",
        )
    op.add_column(
        "sessions",
        sa.Column("reset_count", sa.Integer(), server_default="0", nullable=False),
        schema="workers",
    )
    op.execute(_BACKFILL)
    op.create_index("ix_sessions_spec_hash", "sessions", ["spec_hash"], unique=False, schema="workers")
    op.create_index("ix_sessions_guide_hash", "sessions", ["guide_hash"], unique=False, schema="workers")
    op.create_index(
        "ix_sessions_org_id_created_at_id",
        "sessions",
        ["org_id", "created_at", "id"],
        unique=False,
        schema="workers",
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_sessions_org_id_created_at_id", table_name="sessions", schema="workers")
    op.drop_index("ix_sessions_guide_hash", table_name="sessions", schema="workers")
    op.drop_index("ix_sessions_spec_hash", table_name="sessions", schema="workers")
    for name in ("reset_count", "guide_hash", "spec_hash"):
        op.drop_column("sessions", name, schema="workers")
