"""sheet mirror

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-12 09:00:00.000000

The live mirror to the team's Google spreadsheet: an outbox of committed changes not yet given
to the sheet (written in each change's own transaction), what each row was last given or gave
back (to tell an editor's change in the sheet from a stale cell), the conflicts the app won,
and one state row per direction (push, pull) holding its lease and its last outcome.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sheet_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sheet_outbox")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("sheet_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sheet_outbox_created_at"), ["created_at"])
        batch_op.create_index("ix_sheet_outbox_entity_entity_id", ["entity", "entity_id"])

    op.create_table(
        "sheet_row_states",
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("tab", sa.String(length=16), nullable=False),
        sa.Column("cells", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("entity", "entity_id", name=op.f("pk_sheet_row_states")),
    )

    op.create_table(
        "sheet_conflicts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("sr_no", sa.BigInteger(), nullable=False),
        sa.Column("column", sa.String(length=64), nullable=False),
        sa.Column("sheet_value", sa.Text(), nullable=False),
        sa.Column("app_value", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sheet_conflicts")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("sheet_conflicts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sheet_conflicts_at"), ["at"])
        batch_op.create_index(batch_op.f("ix_sheet_conflicts_entry_id"), ["entry_id"])

    op.create_table(
        "sheet_sync_state",
        sa.Column("name", sa.String(length=16), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_sheet_sync_state")),
    )
    op.execute("INSERT INTO sheet_sync_state (name) VALUES ('push'), ('pull')")


def downgrade() -> None:
    op.drop_table("sheet_sync_state")
    with op.batch_alter_table("sheet_conflicts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sheet_conflicts_entry_id"))
        batch_op.drop_index(batch_op.f("ix_sheet_conflicts_at"))
    op.drop_table("sheet_conflicts")
    op.drop_table("sheet_row_states")
    with op.batch_alter_table("sheet_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_sheet_outbox_entity_entity_id")
        batch_op.drop_index(batch_op.f("ix_sheet_outbox_created_at"))
    op.drop_table("sheet_outbox")
