"""Processed update ids, so every instance answers a Telegram update at most once.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "processed_updates",
        sa.Column("bot_id", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("update_id", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("bot_id", "update_id", name="pk_processed_updates"),
    )
    op.create_index("ix_processed_updates_seen_at", "processed_updates", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_processed_updates_seen_at", table_name="processed_updates")
    op.drop_table("processed_updates")
