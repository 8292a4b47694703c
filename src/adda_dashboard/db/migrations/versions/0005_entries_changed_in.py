"""entries changed_in

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 09:00:00.000000

Each entry records the dataset version of the transaction that last wrote it, so a process that
keeps the live entries in memory reads only the rows changed since the version it holds.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("changed_in", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.create_index("ix_entries_changed_in", ["changed_in"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.drop_index("ix_entries_changed_in")
        batch_op.drop_column("changed_in")
